import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Fingerprint } from '../../../server/src/fingerprint/types';
import type { Sample } from '../../../server/src/monitor/sample';

/** The tier that is the right outcome: 0 is no action. */
export type LabelTier = 0 | 1 | 2 | 3;

/**
 * One recorded (or varied) episode: the sample stream `watch` stores for one lab host around one
 * fault or benign event, with the right outcome written down before it was recorded.
 */
export interface Episode {
  schema: 1;
  /** `family/seed-index`, plus `~vN` for a variant. */
  id: string;
  family: string;
  kind: 'harmful' | 'benign';
  label: {
    tier: LabelTier;
    /** The cause family the episode is about (deploy, release-regression, colour-fault, neighbour, disk-fill, config-drift, traffic, none). */
    cause: string;
    why: string;
  };
  /** What was injected and how: rates, colour, durations; for variants, the transformation too. */
  params: Record<string, unknown>;
  seed: number;
  host: string;
  intervalMs: number;
  recordedAt: string;
  /** The event began at this sample time (the injection, or the first sample when the fault came with the baseline). */
  onsetTs: number;
  /** The event's own activity ended here (a benign burst), or null if it did not end. */
  endTs: number | null;
  /** When the failure condition would be reached without action (slow faults), or null. */
  failureTs: number | null;
  /** The first `warmup` samples train the detectors, as in `watch`. */
  warmup: number;
  /** The plumbline.yaml the episode was recorded under (its environment `lab`). */
  workspaceYaml: string;
  /** The host's active baseline while recording (packages and file contents left out). */
  baseline: Fingerprint;
  /** The release target in the host's latest pre-deployment snapshot. */
  snapshotRelease: string | null;
  samples: Sample[];
}

/** Where recorded episodes live: committed ones beside this file, regenerated ones in a cache. */
export const COMMITTED_DIR = path.resolve(__dirname, '../../../../test/bench/episodes/recorded');
export const CACHE_DIR = path.resolve(process.env.PLUMBLINE_EPISODES ?? path.join(process.env.HOME ?? '/tmp', '.cache/plumbline-episodes'));

/** A fingerprint trimmed to what replay needs: packages and managed file contents go. */
export function trimFingerprint(f: Fingerprint): Fingerprint {
  return {
    ...f,
    os: { ...f.os, packages: null },
    app: { ...f.app, files: f.app.files.map((file) => ({ ...file, content: undefined })) },
  };
}

/** Samples trimmed of what no detector reads: notes. */
export function trimSample(s: Sample): Sample {
  const { notes: _notes, ...rest } = s;
  return rest;
}

export function writeEpisode(dir: string, e: Episode): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${e.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.json.gz`);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, zlib.gzipSync(JSON.stringify(e), { level: 9 }));
  fs.renameSync(tmp, file);
  return file;
}

export function readEpisode(file: string): Episode {
  const e = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as Episode;
  if (e.schema !== 1) throw new Error(`${file}: episode schema ${String(e.schema)} is not 1`);
  if (!Array.isArray(e.samples) || e.samples.length <= e.warmup) throw new Error(`${file}: ${e.samples?.length ?? 0} samples, not more than the warm-up ${e.warmup}`);
  return e;
}

/** Every episode in `dirs` (the first dir that has any wins), sorted by id. */
export function loadEpisodes(dirs: readonly string[]): { dir: string; episodes: Episode[] } | null {
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json.gz')).sort();
    if (files.length === 0) continue;
    return { dir, episodes: files.map((f) => readEpisode(path.join(dir, f))).sort((a, b) => a.id.localeCompare(b.id)) };
  }
  return null;
}
