import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { WORKSPACE_FILES, labExec } from '../../../server/src/lab/lab';
import { faultyReleaseScript } from '../../../server/src/lab/faultyRelease';

/** Runs a shell script inside a lab host as root; throws with its stderr when it fails. */
export async function sh(dir: string, host: string, script: string, input?: string): Promise<string> {
  const r = await labExec(dir, host, ['sh', '-c', script], input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`${host}: script failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}\n${script}`);
  return r.stdout;
}

/** Writes one file on a host from the bench's own text (stdin, so nothing is quoted into a command line). */
export async function putFile(dir: string, host: string, remote: string, text: string): Promise<void> {
  await labExec(dir, host, ['sh', '-c', 'cat > "$1.tmp" && mv -f "$1.tmp" "$1"', 'put', remote], { input: text }).then((r) => {
    if (r.code !== 0) throw new Error(`${host}: writing ${remote} failed: ${r.stderr.trim()}`);
  });
}

export async function setFaults(dir: string, host: string, faults: Record<string, unknown>): Promise<void> {
  await putFile(dir, host, '/srv/app/shared/faults.json', `${JSON.stringify(faults)}\n`);
}

const HEALTHY =
  'for i in $(seq 1 75); do curl -fsS -o /dev/null --max-time 2 http://127.0.0.1/healthz && exit 0; sleep 0.2; done; echo "app not healthy through nginx" >&2; exit 1';

/**
 * Puts a host back to the lab's good state: no faults, release r2 without release faults,
 * managed files as deployed, blue active, no fill files, both colours restarted from `current`.
 */
export async function resetHost(dir: string, host: string): Promise<void> {
  await setFaults(dir, host, {});
  for (const [local, remote] of [
    [WORKSPACE_FILES.appConf, '/etc/nginx/conf.d/app.conf'],
    [WORKSPACE_FILES.upstreamConf, '/etc/nginx/conf.d/upstream.conf'],
    [WORKSPACE_FILES.appEnv, '/srv/app/shared/app.env'],
  ] as const) {
    await putFile(dir, host, remote, fs.readFileSync(path.join(dir, local), 'utf8'));
  }
  await sh(
    dir,
    host,
    [
      'set -e',
      'rm -f /srv/app/releases/r1/faults.json /srv/app/releases/r2/faults.json /srv/bench-fill',
      'rm -rf /srv/data/spool /srv/jobs /srv/data/cache/bench-fill /var/log/app-burst.log /tmp/backup.tgz /tmp/backup.img',
      'rm -rf /srv/app/releases/r3',
      'cd /srv/app && ln -sfn releases/r2 current.new && mv -T current.new current',
      'nginx -t -q && nginx -s reload',
      'for c in blue green; do kill "$(cat /run/plumbline-app-$c.pid)" 2>/dev/null || true; done',
      'sleep 2',
      HEALTHY,
    ].join('\n'),
  );
}

/** Deploys r3, a copy of r2 with release-level faults, on one host (as the demo does). */
export async function deployFaultyRelease(dir: string, host: string, faults: Record<string, unknown>): Promise<void> {
  await sh(dir, host, faultyReleaseScript(faults));
}

export interface RequestTally {
  sent: number;
  failed: number;
  statuses: Record<string, number>;
  /**
   * Each request's start time (epoch ms), outcome (HTTP status, or timeout/error/reset) and the
   * colour that answered (the app's x-app-colour header; '' when nginx answered itself).
   */
  log?: Array<[number, string, string]>;
}

function oneRequest(address: string, timeoutMs: number, route = '/healthz'): Promise<[string, string]> {
  return new Promise((resolve) => {
    const req = http.get({ host: address, port: 80, path: route, agent: false, timeout: timeoutMs }, (res) => {
      const colour = String(res.headers['x-app-colour'] ?? '');
      res.resume();
      res.on('end', () => resolve([String(res.statusCode), colour]));
      res.on('error', () => resolve(['reset', colour]));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve([e.message === 'timeout' ? 'timeout' : 'error', '']));
  });
}

/**
 * When traffic moved during [from, to): the first request answered by another colour than the one
 * answering just before `from`; null if it never moved. Failures before it are the fault's (the
 * faulty colour still served), after it the switch's.
 */
export function flipTime(t: RequestTally, from: number, to: number): number | null {
  const log = t.log ?? [];
  const before = log.filter(([at, , c]) => at < from && c !== '').at(-1)?.[2];
  if (!before) return null;
  return log.find(([at, , c]) => at >= from && at < to && c !== '' && c !== before)?.[0] ?? null;
}

/**
 * A bounded request loop through nginx on a lab host's address: sequential requests, at most
 * `maxRequests` and `maxMs`, until `stop()`. A request that is not 2xx counts as failed.
 */
export function requestLoop(
  address: string,
  opts: { maxRequests: number; maxMs: number; gapMs?: number },
): { stop: () => Promise<RequestTally>; snapshot: () => RequestTally } {
  const tally: RequestTally = { sent: 0, failed: 0, statuses: {}, log: [] };
  let stopped = false;
  const deadline = Date.now() + opts.maxMs;
  const done = (async () => {
    while (!stopped && tally.sent < opts.maxRequests && Date.now() < deadline) {
      const at = Date.now();
      const [s, colour] = await oneRequest(address, 3000);
      tally.log!.push([at, s, colour]);
      tally.sent++;
      tally.statuses[s] = (tally.statuses[s] ?? 0) + 1;
      if (!/^2\d\d$/.test(s)) tally.failed++;
      if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      return tally;
    },
    snapshot: () => tally,
  };
}

/** The requests of a loop sent in [from, to), tallied. */
export function tallyBetween(t: RequestTally, from: number, to: number): RequestTally {
  const r: RequestTally = { sent: 0, failed: 0, statuses: {} };
  for (const [at, s] of t.log ?? []) {
    if (at < from || at >= to) continue;
    r.sent++;
    r.statuses[s] = (r.statuses[s] ?? 0) + 1;
    if (!/^2\d\d$/.test(s)) r.failed++;
  }
  return r;
}

/** Requests to `/` through nginx on a host's lab address, `concurrency` clients back to back, while `more` says so. */
async function traffic(address: string, concurrency: number, more: (t: RequestTally) => boolean): Promise<RequestTally> {
  const tally: RequestTally = { sent: 0, failed: 0, statuses: {} };
  const worker = async (): Promise<void> => {
    while (more(tally)) {
      tally.sent++;
      const [s] = await oneRequest(address, 3000, '/');
      tally.statuses[s] = (tally.statuses[s] ?? 0) + 1;
      if (!/^2\d\d$/.test(s)) tally.failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tally;
}

/** A traffic spike: `count` requests, `concurrency` at a time. */
export function trafficSpike(address: string, count: number, concurrency: number): Promise<RequestTally> {
  return traffic(address, concurrency, (t) => t.sent < count);
}

/** Traffic for `ms`: `concurrency` clients back to back. */
export function trafficFor(address: string, ms: number, concurrency: number): Promise<RequestTally> {
  const until = Date.now() + ms;
  return traffic(address, concurrency, () => Date.now() < until);
}
