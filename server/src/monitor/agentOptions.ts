import type { EnvironmentConfig } from '../config/types';
import type { StreamArgvOptions } from '../fingerprint/agent';

/** What the streaming agent reads on each host of the environment. */
export function streamOptions(env: EnvironmentConfig): StreamArgvOptions {
  const { app } = env.layers;
  return {
    intervalMs: env.intervalMs,
    files: app.files.map((f) => ({ remote: f.remote, secret: f.secret })),
    release: app.release,
    process: app.process,
    health: app.health,
    metrics: app.metrics,
    mounts: env.layers.hardware.mounts,
  };
}
