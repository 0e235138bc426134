import { Command, CommanderError } from 'commander';
import { registerActCommands } from './act';
import { registerAgentCommands } from './agent';
import { EXIT_ERROR } from './exitCodes';
import { registerDemoCommand } from './demo';
import { registerFleetCommands } from './fleet';
import { registerGuardCommand } from './guard';
import { registerProposalCommands } from './proposals';
import { registerLabCommands } from './lab';
import { registerReplayCommand } from './replay';
import { registerScoreCommand } from './score';
import { registerWatchCommand } from './watch';
import { CliExit } from './workspace';

const program = new Command('plumbline')
  .description('Fingerprint hosts after a good deployment, watch for drift per layer, and act before failures land.')
  .version(process.env.PLUMBLINE_VERSION ?? '0.1.0')
  .exitOverride()
  .showHelpAfterError();

registerFleetCommands(program);
registerActCommands(program);
registerAgentCommands(program);
registerLabCommands(program);
registerDemoCommand(program);
registerScoreCommand(program);
registerWatchCommand(program);
registerGuardCommand(program);
registerReplayCommand(program);
registerProposalCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof CliExit) {
    if (e.message && e.message !== `exit ${e.code}`) process.stderr.write(`plumbline: ${e.message}\n`);
    process.exitCode = e.code;
  } else if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_ERROR;
  } else {
    process.stderr.write(`plumbline: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT_ERROR;
  }
});
