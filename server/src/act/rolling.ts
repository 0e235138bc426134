import type { EnvironmentConfig } from '../config/types';
import { hasSystemd, restartService } from './restart';
import { switchColour } from './switch';
import type { StepRunner } from './steps';
import { ActionStop } from './types';
import { WAIT_HEALTHY_SCRIPT, scriptArgv } from './scripts';
import { activeColour, colourHealthUrl, otherColour, type Colour } from './upstream';

/** Whether restarting `name` restarts both colours (it names them, or is their common prefix). */
export function coversColours(name: string, services: { blue: string; green: string } | undefined): boolean {
  if (!services) return false;
  const covers = (svc: string): boolean => svc === name || svc.startsWith(`${name}-`) || svc.startsWith(`${name}@`);
  return covers(services.blue) && covers(services.green);
}

/**
 * Restarts the app without dropping a request, when `actions.switch` names the service of each
 * colour: the idle colour first (no traffic goes there), then traffic moves to it through the
 * usual switch (which health-checks it and refuses if it is not healthy), then the colour that
 * served is restarted and traffic goes back to it once healthy — the upstream ends as it began.
 * If the idle colour does not come back healthy (the host said so: a refused switch, a failed
 * restart), the serving colour is restarted in place and the note says requests may have failed
 * meanwhile. If the host did not answer at all (SSH trouble under load), nothing is known about
 * the colours, so the action stops: it never falls back to the riskier path on a guess.
 */
export async function rollingRestart(run: StepRunner, env: EnvironmentConfig, systemd: boolean): Promise<string[]> {
  const sw = env.actions.switch;
  if (!sw?.services || !sw.upstream || !sw.blue || !sw.green) throw new ActionStop('refused', 'a rolling restart needs actions.switch with upstream, blue, green and services');
  const read = await run.must({ title: 'read the upstream file (which colour serves)', effect: 'read', root: true, argv: ['cat', '--', sw.upstream] });
  const active = activeColour(read.stdout, { blue: sw.blue, green: sw.green });
  if (!active.ok) throw new ActionStop('refused', `cannot tell the serving colour from ${sw.upstream}: ${active.error}`);
  const serving = active.value;
  const idle = otherColour(serving);
  const notes = [`rolling restart: ${idle} (idle) first`];
  let moved: { ok: boolean; note: string };
  try {
    notes.push(await restartService(run, sw.services[idle], systemd));
    await waitHealthy(run, env, idle);
    moved = await moveTraffic(run, env, idle);
  } catch (e) {
    // The idle colour does not come back (it crashes on start): it takes no traffic either way.
    if (!(e instanceof ActionStop) || e.transport) throw e;
    moved = { ok: false, note: e.message };
  }
  if (moved.ok) notes.push(`traffic ${moved.note}`);
  else notes.push(`${idle} did not take traffic (${moved.note}); ${serving} is restarted in place, requests may fail meanwhile`);
  notes.push(await restartService(run, sw.services[serving], systemd));
  if (moved.ok) {
    await waitHealthy(run, env, serving);
    // Back to the colour that served before, so the action leaves the upstream as it found it.
    const back = await moveTraffic(run, env, serving);
    notes.push(back.ok ? `traffic back: ${back.note}` : `traffic stays on ${idle}: ${serving} is not healthy after its restart (${back.note})`);
  }
  return notes;
}

/** Seconds a restarted colour gets to answer its health endpoint before traffic would move to it. */
export const START_WAIT_S = 20;

/** Waits until `colour` answers its health URL with 2xx (the switch's own check then confirms it). */
async function waitHealthy(run: StepRunner, env: EnvironmentConfig, colour: Colour): Promise<void> {
  const sw = env.actions.switch!;
  const url = colourHealthUrl(env.layers.app.health, colour === 'blue' ? sw.blue! : sw.green!);
  await run.run({
    title: `wait until ${colour} answers ${url}`,
    effect: 'read',
    argv: scriptArgv('plumbline-wait-healthy', WAIT_HEALTHY_SCRIPT, [url, String(START_WAIT_S)]),
    timeoutMs: (START_WAIT_S + 10) * 1000,
  });
}

/** The switch to `to`; a refusal (the colour is not healthy) is an answer, not an error. */
async function moveTraffic(run: StepRunner, env: EnvironmentConfig, to: Colour): Promise<{ ok: boolean; note: string }> {
  try {
    const r = await switchColour(run, env, { to });
    return { ok: true, note: r.notes.join('; ') };
  } catch (e) {
    if (e instanceof ActionStop && e.status === 'refused') return { ok: false, note: e.message };
    throw e;
  }
}

/** Restarts each named service: rolling across the colours when it covers both, else in place. */
export async function restartApp(run: StepRunner, env: EnvironmentConfig, names: readonly string[]): Promise<string[]> {
  const systemd = await hasSystemd(run);
  const notes: string[] = [];
  for (const name of names) {
    if (env.actions.switch?.strategy === 'nginx-upstream' && coversColours(name, env.actions.switch.services)) notes.push(...(await rollingRestart(run, env, systemd)));
    else notes.push(await restartService(run, name, systemd));
  }
  return notes;
}
