import type { EnvironmentConfig } from '../config/types';
import { RESTART_SCRIPT, scriptArgv } from './scripts';
import type { StepRunner } from './steps';
import { ActionStop } from './types';

/** Seconds a supervised restart may take: old process gone, new one started. */
export const RESTART_WAIT_S = 20;

/** Whether systemd manages the host (PID 1 is systemd); decides how a service is restarted. */
export async function hasSystemd(run: StepRunner): Promise<boolean> {
  const r = await run.run({ title: 'find whether systemd runs the host', effect: 'read', argv: ['test', '-d', '/run/systemd/system'] });
  return r.code === 0;
}

/**
 * Restarts one service: `systemctl restart -- NAME` under systemd, else the lab-style supervised
 * restart (TERM the matching processes, wait for the supervisor to start new ones, new pids).
 */
export async function restartService(run: StepRunner, name: string, systemd: boolean, waitS = RESTART_WAIT_S): Promise<string> {
  if (systemd) {
    await run.must({ title: `restart ${name} (systemd)`, effect: 'change', root: true, argv: ['systemctl', 'restart', '--', name], timeoutMs: 120_000 });
    const r = await run.run({ title: `check ${name} is active`, effect: 'read', argv: ['systemctl', 'is-active', '--', name] });
    if (r.ran && r.stdout.trim() !== 'active') throw new ActionStop('failed', `${name} is "${r.stdout.trim()}" after systemctl restart`);
    return `${name}: restarted by systemd`;
  }
  const r = await run.must({
    title: `restart ${name} (stop its processes; its supervisor starts new ones)`,
    effect: 'change',
    root: true,
    argv: scriptArgv('plumbline-restart', RESTART_SCRIPT, [name, String(waitS)]),
    timeoutMs: (waitS * 2 + 10) * 1000,
  });
  if (!r.ran) return `${name}: would be restarted`;
  const old = /^OLD ?(.*)$/m.exec(r.stdout)?.[1]?.trim() || 'none';
  const now = /^NEW ?(.*)$/m.exec(r.stdout)?.[1]?.trim() || 'none';
  return `${name}: pids ${old} → ${now}`;
}

/** Tier 1: restart the configured services, then run the user's own commands (argv lists, as root). */
export async function remediate(run: StepRunner, env: EnvironmentConfig): Promise<string[]> {
  const cfg = env.actions.remediate;
  const names = cfg?.restart ?? [];
  const commands = cfg?.commands ?? [];
  if (names.length === 0 && commands.length === 0) {
    throw new ActionStop('refused', `environment ${env.name} has no actions.remediate (restart or commands) in plumbline.yaml`);
  }
  const done: string[] = [];
  if (names.length > 0) {
    const systemd = await hasSystemd(run);
    for (const name of names) done.push(await restartService(run, name, systemd));
  }
  for (const argv of commands) {
    await run.must({ title: `run ${argv[0]} (remediate.commands)`, effect: 'change', root: true, argv, timeoutMs: 120_000 });
    done.push(`ran ${argv.join(' ')}`);
  }
  return done;
}
