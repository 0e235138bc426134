import * as path from 'node:path';
import type { Command } from 'commander';
import { checkStore } from '../store/check';
import { EXIT_ERROR, EXIT_OK } from './exitCodes';
import { print, printErr, printJson } from './output';
import { renderTable } from './table';
import { CliExit, findConfig } from './workspace';

/** `store check`: is the store readable, whole and its audit chain intact? Reads only. */
export function registerStoreCommands(program: Command): void {
  const store = program.command('store').description("Plumbline's own data: the SQLite store and its keys");
  store
    .command('check')
    .description('SQLite integrity and foreign keys, every stored row readable, the audit chain and its key (exit 2 when anything is wrong)')
    .option('-c, --config <file>', 'plumbline.yaml (default: the nearest one from the current folder up)')
    .option('--data <dir>', 'data folder (default: .plumbline beside plumbline.yaml)')
    .option('--json', 'machine-readable output on stdout')
    .action((flags: { config?: string; data?: string; json?: boolean }) => {
      let dir = flags.data;
      if (!dir) {
        const config = flags.config ?? findConfig(process.cwd());
        if (!config) throw new CliExit(EXIT_ERROR, 'no plumbline.yaml here or in any parent folder (use --data DIR or --config FILE)');
        dir = path.join(path.dirname(path.resolve(config)), '.plumbline');
      }
      const r = checkStore(path.join(path.resolve(dir), 'plumbline.db'));
      if (flags.json) printJson(r);
      else {
        print(renderTable(['CHECK', 'RESULT', 'DETAIL'], r.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', c.detail]), 110));
        print(r.ok ? `${r.file}: ok` : `${r.file}: DAMAGED`);
      }
      if (!r.ok) printErr(`plumbline: what to do: ${r.advice}`);
      process.exitCode = r.ok ? EXIT_OK : EXIT_ERROR;
    });
}
