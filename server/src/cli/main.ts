import { Command, CommanderError } from 'commander';
import { EXIT_ERROR } from './exitCodes';
import { CliExit } from './workspace';
import { printErr } from './output';

type Register = (program: Command) => void;

/** The store's own errors (by name: the store module is loaded only by the commands that use it). */
const STORE_ERRORS = new Set(['StoreCorrupt', 'SchemaTooNew', 'SchemaMismatch']);

/**
 * Each command's module, loaded only when that command runs: `plumbline diff` loads the engine,
 * never the detectors, tfjs, the lab or the LSP. `--version` loads none; help and an unknown
 * command load them all (in this order, which is the order help lists them).
 */
const MODULES: Array<{ commands: string[]; load: () => Promise<Register> }> = [
  { commands: ['baseline', 'diff', 'hosts'], load: async () => (await import('./fleet')).registerFleetCommands },
  { commands: ['snapshot', 'act', 'audit'], load: async () => (await import('./act')).registerActCommands },
  { commands: ['agent'], load: async () => (await import('./agent')).registerAgentCommands },
  { commands: ['lab'], load: async () => (await import('./lab')).registerLabCommands },
  { commands: ['demo'], load: async () => (await import('./demo')).registerDemoCommand },
  { commands: ['score'], load: async () => (await import('./score')).registerScoreCommand },
  { commands: ['watch'], load: async () => (await import('./watch')).registerWatchCommand },
  { commands: ['guard'], load: async () => (await import('./guard')).registerGuardCommand },
  { commands: ['store'], load: async () => (await import('./store')).registerStoreCommands },
  { commands: ['replay'], load: async () => (await import('./replay')).registerReplayCommand },
  { commands: ['proposals', 'promote'], load: async () => (await import('./proposals')).registerProposalCommands },
  { commands: ['serve', 'status', 'approvals', 'approve'], load: async () => (await import('./serve')).registerServeCommands },
];

async function main(argv: string[]): Promise<void> {
  const program = new Command('plumbline')
    .description('Fingerprint hosts after a good deployment, watch for drift per layer, and act before failures land.')
    .version(process.env.PLUMBLINE_VERSION ?? '0.1.0')
    .exitOverride()
    .showHelpAfterError();
  // The command is the first word that is not an option (the program's own options take no value).
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  const only = MODULES.find((m) => word !== undefined && m.commands.includes(word));
  const versionOnly = word === undefined && argv.some((a) => a === '-V' || a === '--version');
  const load = versionOnly ? [] : only ? [only] : MODULES;
  for (const register of await Promise.all(load.map((m) => m.load()))) register(program);
  await program.parseAsync(argv);
}

main(process.argv).catch((e: unknown) => {
  if (e instanceof CliExit) {
    if (e.message && e.message !== `exit ${e.code}`) printErr(`plumbline: ${e.message}`);
    process.exitCode = e.code;
  } else if (e instanceof Error && STORE_ERRORS.has(e.name)) {
    printErr(`plumbline: ${e.message}`);
    process.exitCode = EXIT_ERROR;
  } else if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_ERROR;
  } else {
    printErr(`plumbline: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = EXIT_ERROR;
  }
});
