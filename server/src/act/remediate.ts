import type { EnvironmentConfig } from '../config/types';
import { restartApp } from './rolling';
import type { StepRunner } from './steps';
import { ActionStop } from './types';

/** Tier 1: restart the configured services, then run the user's own commands (argv lists, as root). */
export async function remediate(run: StepRunner, env: EnvironmentConfig): Promise<string[]> {
  const cfg = env.actions.remediate;
  const names = cfg?.restart ?? [];
  const commands = cfg?.commands ?? [];
  if (names.length === 0 && commands.length === 0) {
    throw new ActionStop('refused', `environment ${env.name} has no actions.remediate (restart or commands) in plumbline.yaml`);
  }
  const done: string[] = [];
  if (names.length > 0) done.push(...(await restartApp(run, env, names)));
  for (const argv of commands) {
    await run.must({ title: `run ${argv[0]} (remediate.commands)`, effect: 'change', root: true, argv, timeoutMs: 120_000 });
    done.push(`ran ${argv.join(' ')}`);
  }
  return done;
}
