import type { Fingerprint } from '../fingerprint/types';
import { observedConfig, type Sample } from '../monitor/sample';
import { SEVERITY_SCORE } from '../risk/configDrift';
import type { Finding } from '../risk/types';

const short = (h: string | null | undefined): string => (h ? h.slice(0, 12) : 'missing');

/**
 * Configuration drift seen between full captures: the agent hashes managed files and reads the
 * release symlink every interval, so a changed file or release shows up within one interval.
 * Secret files are compared by hash only, like everywhere else.
 */
export function configDriftFindings(sample: Sample, baseline: Fingerprint, ts: number): Finding[] {
  const out: Finding[] = [];
  // A source that cannot see files and the release (Prometheus) says nothing about them: no drift, and no "fine" either.
  const config = observedConfig(sample);
  if (!config) return out;
  for (const file of baseline.app.files) {
    if (!(file.remote in config.files)) continue;
    const live = config.files[file.remote];
    const was = file.exists ? file.sha256 : null;
    if (live === was) continue;
    out.push({
      ts,
      layer: 'app',
      source: 'config',
      metric: `file:${file.remote}`,
      value: short(live),
      baseline: short(was),
      threshold: null,
      score: SEVERITY_SCORE[live === null ? 'high' : 'medium'],
      detail: live === null ? `${file.remote} is gone (it was in the baseline)` : `${file.remote} changed since the baseline (sha256 ${short(was)} → ${short(live)})`,
    });
  }
  const release = baseline.app.release;
  if (release && config.release !== release.target) {
    out.push({
      ts,
      layer: 'app',
      source: 'config',
      metric: 'release',
      value: config.release,
      baseline: release.target,
      threshold: null,
      score: SEVERITY_SCORE.high,
      detail: `${release.path} points at ${config.release ?? 'nothing'}, the baseline had ${release.target ?? 'nothing'}`,
    });
  }
  return out;
}
