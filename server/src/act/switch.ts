import type { EnvironmentConfig } from '../config/types';
import { HTTP_CHECK_SCRIPT, NGINX_WORKERS_SCRIPT, WAIT_GONE_SCRIPT, scriptArgv, switchCommitArgv } from './scripts';
import { lastLine, type StepRunner } from './steps';
import { ActionStop } from './types';
import { activeColour, colourHealthUrl, otherColour, rewriteUpstream, type Colour } from './upstream';

/** Health requests the target colour must answer 2xx, every one, before traffic moves to it. */
export const TARGET_CHECKS = 5;
/** Seconds to wait for nginx's old workers to finish their requests and exit after a reload. */
export const OLD_WORKERS_WAIT_S = 60;

export interface SwitchResult {
  from?: Colour;
  to?: Colour;
  notes: string[];
}

/**
 * Tier 2. nginx-upstream: find the active colour, health-check the other one (refuse when it is
 * not healthy), then one command on the host installs the new upstream, runs `nginx -t` and
 * reloads (putting the old file back on failure; it finishes even if this client dies), and wait
 * until the old workers are gone — reload returns before they stop,
 * and until they do, some requests are still served the old way. `command`: the user's argv.
 */
export async function switchColour(run: StepRunner, env: EnvironmentConfig, opts: { to?: Colour } = {}): Promise<SwitchResult> {
  const cfg = env.actions.switch;
  if (!cfg) throw new ActionStop('refused', `environment ${env.name} has no actions.switch in plumbline.yaml`);
  if (cfg.strategy === 'command') {
    if (!cfg.command) throw new ActionStop('refused', 'actions.switch.command is missing');
    await run.must({ title: 'run the switch command (actions.switch.command)', effect: 'change', root: true, argv: cfg.command, timeoutMs: 300_000 });
    return { notes: [`ran ${cfg.command.join(' ')}`] };
  }
  const { upstream, blue, green } = cfg;
  if (!upstream || !blue || !green) throw new ActionStop('refused', 'actions.switch needs upstream, blue and green for strategy nginx-upstream');
  const addresses = { blue, green };

  const read = await run.must({ title: 'read the upstream file', effect: 'read', root: true, argv: ['cat', '--', upstream] });
  const active = activeColour(read.stdout, addresses);
  if (!active.ok) throw new ActionStop('refused', `cannot tell the active colour from ${upstream}: ${active.error}`);
  const from = active.value;
  const to = opts.to ?? otherColour(from);
  if (to === from) throw new ActionStop('refused', `${to} is already the active colour`);

  const url = colourHealthUrl(env.layers.app.health, addresses[to]);
  const health = await run.must({
    title: `health-check ${to} (${url}) ${TARGET_CHECKS} times`,
    effect: 'read',
    argv: scriptArgv('plumbline-http-check', HTTP_CHECK_SCRIPT, [url, String(TARGET_CHECKS)]),
  });
  const statuses = health.stdout.trim().split('\n').filter(Boolean);
  if (statuses.length !== TARGET_CHECKS || !statuses.every((s) => /^2\d\d$/.test(s))) {
    throw new ActionStop('refused', `${to} is not healthy (${url} answered ${statuses.join(', ') || 'nothing'}); traffic stays on ${from}`);
  }

  const next = rewriteUpstream(read.stdout, addresses[from], addresses[to]);
  if (!next.ok) throw new ActionStop('refused', next.error);
  const meta = await run.must({ title: 'read the upstream file mode and owner', effect: 'read', root: true, argv: ['stat', '-c', '%a %U:%G', '--', upstream] });
  const [mode, owner] = meta.stdout.trim().split(' ');
  // nginx's workers before the reload: the ones still running after it serve the old way until they exit.
  const workers = await run.run({ title: 'list the nginx workers before the reload', effect: 'read', root: true, argv: scriptArgv('plumbline-nginx-workers', NGINX_WORKERS_SCRIPT, []) });
  const old = workers.stdout.split('\n').map((s) => s.trim()).filter((s) => /^\d+$/.test(s));
  // One command installs the upstream, checks nginx and reloads it, or puts the old file back: a
  // client killed or cut off half-way leaves the host serving one colour, the file saying the same.
  const commit = await run.run({
    title: `point the upstream at ${to}, check nginx and reload it (one command: all or nothing)`,
    effect: 'change',
    root: true,
    argv: switchCommitArgv(upstream, mode ?? '', owner ?? '', next.value),
    stdin: next.value,
    stdinNote: `${Buffer.byteLength(next.value)} bytes: the upstream with server ${addresses[to]}`,
  });
  if (commit.ran && commit.code === 7) throw new ActionStop('failed', `nginx -t rejected the switched configuration, so the old upstream was put back: ${lastLine(commit.stderr).replace(/^NGINX_T /, '')}`);
  if (commit.ran && commit.code !== 0) {
    if (commit.code === null && commit.signal === undefined) throw new ActionStop('failed', `the switch command on the host ended without an exit status; it runs to its end on the host either way: read ${upstream} to see which colour serves`, true);
    throw new ActionStop('failed', `the switch to ${to} failed (exit ${commit.code ?? commit.signal}): ${lastLine(commit.stderr || commit.stdout)}`);
  }
  const notes = [`${from} → ${to}`];
  if (old.length > 0) {
    const gone = await run.run({
      title: `wait until the old nginx workers (${old.join(' ')}) have exited`,
      effect: 'change',
      root: true,
      argv: scriptArgv('plumbline-wait-gone', WAIT_GONE_SCRIPT, [String(OLD_WORKERS_WAIT_S), ...old]),
      timeoutMs: (OLD_WORKERS_WAIT_S + 10) * 1000,
    });
    if (gone.ran && gone.code !== 0) throw new ActionStop('failed', `old nginx workers still running after ${OLD_WORKERS_WAIT_S} s: ${gone.stdout.trim()}`);
    if (gone.ran) notes.push(`old workers ${old.join(' ')} exited`);
  }
  const after = await run.run({ title: 'read the upstream file back', effect: 'read', root: true, argv: ['cat', '--', upstream] });
  if (!run.dryRun) {
    const now = activeColour(after.stdout, addresses);
    if (!now.ok || now.value !== to) throw new ActionStop('failed', `after the switch ${upstream} does not point at ${to}`);
  }
  return { from, to, notes };
}
