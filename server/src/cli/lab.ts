import type { Command } from 'commander';
import * as path from 'node:path';
import { LabError, WORKSPACE_FILES, labDown, labExec, labStatus, labUp, requireRoot } from '../lab/lab';
import { parseDuration } from '../config/duration';
import { EXIT_ERROR } from './exitCodes';
import { renderTable } from './table';

const DEFAULT_DIR = './.lab';

/** `plumbline lab up|down|status|exec`: real isolated Linux hosts on this machine, for tests and demos. */
export function registerLabCommands(program: Command): void {
  const lab = program.command('lab').description('Run lab hosts on this machine: namespaces with real sshd, nginx and a blue/green app (needs root)')
    // Lets `lab exec HOST CMD -x` pass -x to CMD; `--` works as well.
    .enablePositionalOptions();

  lab
    .command('up')
    .description('Start lab hosts web-1…web-N and write ssh_config, known_hosts and plumbline.yaml into the lab dir')
    .option('--hosts <n>', 'how many hosts', '3')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .option('-v, --verbose', 'print progress')
    .option('--prometheus [scrape]', 'also run node_exporter in every host and Prometheus on loopback scraping them every SCRAPE (default 2s); plumbline.yaml then reads metrics from it')
    .option('--postgres', 'also run a PostgreSQL cluster of the lab\'s own; its URL goes to <dir>/store-url')
    .action(async (opts: { hosts: string; dir: string; verbose?: boolean; prometheus?: string | boolean; postgres?: boolean }) => {
      if (!guard()) return;
      const hosts = Number(opts.hosts);
      if (!Number.isInteger(hosts) || hosts < 1) return fail(`--hosts must be a positive whole number, not "${opts.hosts}"`);
      const scrape = opts.prometheus === undefined ? undefined : parseDuration(typeof opts.prometheus === 'string' ? opts.prometheus : '2s');
      if (opts.prometheus !== undefined && scrape === undefined) return fail(`--prometheus: expected a scrape interval like "2s", got "${String(opts.prometheus)}"`);
      const started = Date.now();
      const state = await orFail(() =>
        labUp({
          dir: opts.dir,
          hosts,
          log: opts.verbose ? (l) => process.stderr.write(`lab: ${l}\n`) : undefined,
          ...(scrape !== undefined && { prometheus: { scrapeIntervalMs: scrape } }),
          postgres: opts.postgres,
        }),
      );
      if (!state) return;
      const rows = state.hosts.map((h) => [h.name, h.address, h.netns, String(h.initPid)]);
      process.stdout.write(`${renderTable(['HOST', 'ADDRESS', 'NETNS', 'INIT PID'], rows)}\n\n`);
      process.stdout.write(`${state.hosts.length} hosts up in ${Date.now() - started} ms on ${state.bridge} (${state.subnet})\n`);
      process.stdout.write(`ssh config:  ${path.join(state.dir, WORKSPACE_FILES.sshConfig)}   (ssh -F … web-1)\n`);
      process.stdout.write(`workspace:   ${path.join(state.dir, WORKSPACE_FILES.workspace)}\n`);
      process.stdout.write(`to use it:   export PLUMBLINE_SSH_CONFIG=${path.join(state.dir, WORKSPACE_FILES.sshConfig)}   (or --ssh-config; plumbline.yaml cannot choose it)\n`);
      if (state.prometheus) process.stdout.write(`prometheus:  ${state.prometheus.url} (node_exporter on every host; the workspace reads metrics from it)\n`);
      if (state.postgres) {
        process.stdout.write(`postgresql:  127.0.0.1:${state.postgres.port}; export PLUMBLINE_STORE_URL="$(cat ${path.join(state.dir, WORKSPACE_FILES.storeUrl)})"\n`);
      }
    });

  lab
    .command('down')
    .description('Stop every lab host and remove its network, firewall table and files')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .action(async (opts: { dir: string }) => {
      if (!guard()) return;
      await orFail(() => labDown({ dir: opts.dir, log: (l) => process.stderr.write(`lab: ${l}\n`) }));
    });

  lab
    .command('status')
    .description('Show whether each lab host and its services are up')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .option('--json', 'print JSON')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const status = await orFail(() => labStatus(opts.dir));
      if (!status) return;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      } else {
        const yn = (b: boolean): string => (b ? 'up' : 'DOWN');
        const rows = status.map((s) => [s.host.name, s.host.address, yn(s.alive), yn(s.sshd), yn(s.nginx), yn(s.app.blue), yn(s.app.green)]);
        process.stdout.write(`${renderTable(['HOST', 'ADDRESS', 'ALIVE', 'SSHD', 'NGINX', 'BLUE', 'GREEN'], rows)}\n`);
      }
      const healthy = status.every((s) => s.alive && s.sshd && s.nginx && s.app.blue && s.app.green);
      if (!healthy) process.exitCode = EXIT_ERROR;
    });

  lab
    .command('exec')
    .description('Run a command as root inside a lab host (through its namespaces, not SSH): lab exec web-1 -- cat /etc/hostname')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .option('-i, --stdin', 'pass standard input to the command')
    .argument('<host>', 'host name, like web-1')
    .argument('<command...>', 'the command and its arguments')
    .passThroughOptions()
    .action(async (host: string, command: string[], opts: { dir: string; stdin?: boolean }) => {
      if (!guard()) return;
      const input = opts.stdin ? await readStdin() : undefined;
      const argv = command[0] === '--' ? command.slice(1) : command;
      if (argv.length === 0) return fail('lab exec: give a command after the host, like: lab exec web-1 -- hostname');
      const r = await orFail(() => labExec(opts.dir, host, argv, { input }));
      if (!r) return;
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code ?? EXIT_ERROR;
    });
}

/** Prints why the lab cannot run here (not root, a missing package) and sets exit code 2. */
function guard(): boolean {
  try {
    requireRoot();
    return true;
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
    return false;
  }
}

function fail(message: string): void {
  process.stderr.write(`plumbline: ${message}\n`);
  process.exitCode = EXIT_ERROR;
}

/** A LabError is a message for a person, not a crash: print it and exit 2. */
async function orFail<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof LabError) {
      fail(e.message);
      return undefined;
    }
    throw e;
  }
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (b: Buffer) => chunks.push(b));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString()));
    process.stdin.on('error', reject);
  });
}
