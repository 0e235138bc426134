import { LabError } from './errors';
import { RunResult, run } from './run';
import { LabHost } from './state';

const HOST_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
};

/** Runs argv as root inside every namespace of the host (not over SSH): the lab's back door for tests. */
export function execInHost(host: LabHost, argv: string[], opts: { input?: string } = {}): Promise<RunResult> {
  if (argv.length === 0) throw new LabError('lab exec: no command given');
  return run('nsenter', ['-t', String(host.initPid), '-a', '--', ...argv], { input: opts.input, env: HOST_ENV });
}
