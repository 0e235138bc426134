import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical';
import type { EnvironmentConfig } from '../config/types';

/**
 * What an approval is bound to: everything in `plumbline.yaml` that decides an action's commands
 * for an environment (its actions, the release link, the managed files, the health check). An
 * action runs on the config it was approved on, or not at all: the commands are built again when
 * it runs (they depend on what the host shows then), but never from a config nobody saw.
 */
export function actionConfigHash(env: EnvironmentConfig): string {
  const app = env.layers.app;
  const bound = {
    env: env.name,
    actions: env.actions,
    release: app.release ?? null,
    files: app.files.map((f) => ({ local: f.local, remote: f.remote, secret: f.secret ?? false })),
    health: app.health ?? null,
  };
  return createHash('sha256').update(canonicalJson(stripRanges(bound))).digest('hex').slice(0, 16);
}

/** Source ranges say where a value was written, not what it is: an edit elsewhere in the file does not unbind. */
function stripRanges(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripRanges);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'range').map(([k, x]) => [k, stripRanges(x)]));
  return v;
}
