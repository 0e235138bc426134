import { Command, CommanderError } from 'commander';
import { registerActCommands } from './act';
import { registerAgentCommands } from './agent';
import { EXIT_ERROR } from './exitCodes';
import { registerDemoCommand } from './demo';
import { registerFleetCommands } from './fleet';
import { registerGuardCommand } from './guard';
import { registerLabCommands } from './lab';
import { registerScoreCommand } from './score';
import { registerStoreCommands } from './store';
import { SchemaMismatch, SchemaTooNew, StoreCorrupt } from '../store/store';
import { registerWatchCommand } from './watch';
import { CliExit } from './workspace';
import { printErr } from './output';

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
registerStoreCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof CliExit) {
    if (e.message && e.message !== `exit ${e.code}`) printErr(`plumbline: ${e.message}`);
    process.exitCode = e.code;
  } else if (e instanceof StoreCorrupt || e instanceof SchemaTooNew || e instanceof SchemaMismatch) {
    printErr(`plumbline: ${e.message}`);
    process.exitCode = EXIT_ERROR;
  } else if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_ERROR;
  } else {
    printErr(`plumbline: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = EXIT_ERROR;
  }
});
