/**
 * What a decision is about, as plain data: the cause the evidence points at, and the inputs it was
 * attributed from. Policy (the threshold mapping today, a trained model next) reads these; so do
 * the CLI, the editor and the audit log. No functions, no classes: everything here serialises.
 */
import type { Layer, Reason } from '../risk/types';

export type Colour = 'blue' | 'green';

/** The resource a process uses more of than its baseline; `service`: what users get (latency, errors) below the harm threshold. */
export type Resource = 'cpu' | 'memory' | 'disk' | 'network' | 'fds' | 'processes' | 'service';

/** One piece of evidence: a metric against its baseline, now, and since when. */
export interface Evidence {
  layer: Layer;
  metric: string;
  source: Reason['source'];
  /** The metric's normal range in the baseline window (p01–p99), when known. */
  band: { low: number; high: number } | null;
  baseline: number | string | null;
  now: number | string | null;
  /** Epoch ms from which the metric has been off its normal without a break; null when unknown. */
  since: number | null;
  /** The reason's score in [0, 1]. */
  score: number;
  /** A forecast: the limit, the time left to it, and the trend's slope (per second). */
  forecast?: { limit: number; timeToBreachMs: number | null; slopePerSec: number };
  detail: string;
}

/** A change of the release: the `current` target moved. */
export interface ReleaseChange {
  /** The release link (`layers.app.release`). */
  path: string | null;
  from: string | null;
  to: string | null;
  /**
   * Epoch ms when it was seen. `seen: 'watch'`: the sample in which the link moved. `seen:
   * 'snapshot'`: it happened between the pre-deployment snapshot and the baseline; `at` is the
   * baseline's promotion time (the latest it can have happened), or null.
   */
  at: number | null;
  seen: 'watch' | 'snapshot';
  /** Managed files that changed with it (within the same settle window). */
  files: string[];
}

/** A process that is not the app, and how much of a resource it takes. */
export interface ProcessShare {
  pid: number;
  command: string;
  cpuPct: number;
  rssKiB: number;
  /** Its share of the host's use of the resource now, in [0, 1]. */
  share: number;
}

interface CauseBase {
  /** One sentence for people. */
  summary: string;
  /** What points at the cause, strongest first. */
  evidence: Evidence[];
  /** What users see (errors, latency, failed health, a limit forecast to be reached): the harm. Empty: no harm. */
  harm: Evidence[];
}

/**
 * Why the host deviates. The tier follows from the cause (see `cure.ts`), never from the risk
 * level alone.
 *
 * - `deploy`: the release changed and users see no harm; `settled` once it has run for the settle
 *   window. A new baseline to propose, never a fault.
 * - `release-regression`: the release changed and then users saw harm; the release before it cures.
 * - `colour-fault`: the serving colour is bad on the release the other colour runs too.
 * - `neighbour`: a process other than the app uses the resource; no action of the app's cures it.
 * - `app-resource`: the app process itself uses more (cpu, memory, fds) without harm to users yet.
 * - `disk-fill`: a filesystem fills; `canFree` says whether the configured clean-up frees it
 *   (null: not tried in this episode).
 * - `config-drift`: a managed file changed without a release change; the snapshot's copy cures.
 * - `load`: the app (or the host beside it) uses more because it serves more requests, while
 *   users see no harm: demand, not a fault; a restart, a switch or a rollback meets the same
 *   traffic. Capacity is a person's call.
 * - `os-drift`: packages, sysctls, services changed: reported, not the app's to fix.
 * - `unknown`: the evidence points at nothing above.
 */
export type Cause =
  | (CauseBase & { kind: 'deploy'; release: ReleaseChange; settled: boolean })
  | (CauseBase & { kind: 'release-regression'; release: ReleaseChange })
  | (CauseBase & { kind: 'colour-fault'; colour: Colour | null; other: { colour: Colour; healthy: boolean | null; detail: string } | null })
  | (CauseBase & { kind: 'neighbour'; resource: Resource; processes: ProcessShare[] })
  | (CauseBase & { kind: 'app-resource'; resource: Resource })
  | (CauseBase & { kind: 'load'; resource: Resource; traffic: string })
  | (CauseBase & { kind: 'disk-fill'; mount: string | null; cleanup: boolean; canFree: boolean | null })
  | (CauseBase & { kind: 'config-drift'; files: string[] })
  | (CauseBase & { kind: 'os-drift'; items: string[] })
  | (CauseBase & { kind: 'unknown' });

export type CauseKind = Cause['kind'];

/** What cause attribution reads: one host, one interval. Plain data so a trained model can read it too. */
export interface CauseInput {
  host: string;
  /** Epoch ms of this interval. */
  now: number;
  /** The host's risk reasons (scored findings and config drift), strongest first. */
  reasons: Reason[];
  /** Normal ranges of the baseline window, by `layer.metric`. */
  bands?: Record<string, { low: number; high: number }>;
  /** First time of the current unbroken run of findings, by `layer.metric`. */
  since?: Record<string, number>;
  /** The release: now, in the active baseline, in the latest snapshot (what a rollback restores), and the last change seen. */
  release?: { now: string | null; baseline: string | null; snapshot: string | null; change: ReleaseChange | null } | null;
  /** How long after a release change its start-up (restarts, a few busy seconds) is not judged as harm. */
  settleMs: number;
  /** How long after a release change harm is blamed on it. */
  blameMs: number;
  /** The serving colour, and the idle colour's health when it was checked. */
  colours?: { serving: Colour | null; idle: { colour: Colour; healthy: boolean | null; detail: string } | null } | null;
  /**
   * Who uses the host: the app's processes and the top processes that are not the app (nor the
   * agent), now and in the baseline window (medians). Null without per-process data.
   */
  processes?: {
    app: { cpuPct: number; rssKiB: number } | null;
    host: { cpuPct: number; rssKiB: number };
    baseline: { appCpuPct: number | null; appRssKiB: number | null; hostCpuPct: number | null; hostRssKiB: number | null };
    top: Array<{ pid: number; command: string; cpuPct: number; rssKiB: number }>;
  } | null;
  /** `actions.remediate.commands` are configured (the user's clean-up), and whether they freed the disk when tried in this episode. */
  cleanup: { configured: boolean; freed: boolean | null };
  /** The managed file the switch owns (its upstream): which colour serves is the switch's to say, not drift. */
  switchFile?: string;
}
