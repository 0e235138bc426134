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
