/**
 * Cause attribution: from one interval's evidence to what the host's deviation is about. Pure and
 * deterministic; the policy maps the cause to the tier that cures it (`cure.ts`).
 *
 * The order of the questions is the order of how sure each answer is:
 *  1. a release change (its start-up is judged only once it has settled; harm after it blames it);
 *  2. a managed file that changed on its own (the snapshot's copy cures it);
 *  3. harm users see without a release change: a process other than the app taking the resource,
 *     else the serving colour;
 *  4. without harm: a filling disk, a neighbour or the app itself using a resource, a settled
 *     deploy, OS drift, or nothing known.
 */
import { metricProfile } from '../detect/layer/metricProfile';
import type { Reason } from '../risk/types';
import type { Cause, CauseInput, Evidence, ProcessShare, ReleaseChange, Resource } from './causeTypes';

export * from './causeTypes';

/** Signals users see, measured through the front door (nginx): after a switch they describe the serving colour. */
export const SERVICE_METRICS: ReadonlySet<string> = new Set(['healthOk', 'healthLatencyMs', 'errorRatio']);

/** A service signal counts as harm from this score (the default minor threshold). */
export const HARM_MIN_SCORE = 0.3;

/** Reasons within this share of the strongest one are "what the risk is about". */
export const LEADING_SHARE = 0.5;

/** The app explains a resource when it accounts for at least this share of the host's increase. */
export const APP_SHARE_OF_INCREASE = 0.5;

/** Resource of a hardware or OS metric; null for metrics that are no resource. */
const RESOURCE: Record<string, Resource> = {
  'hardware.cpuPct': 'cpu',
  'hardware.memUsedPct': 'memory',
  'os.hostRssKiB': 'memory',
  'hardware.diskUsedPct': 'disk',
  'hardware.netRxBps': 'network',
  'hardware.netTxBps': 'network',
  'os.fds': 'fds',
  'os.processes': 'processes',
  'app.cpuPct': 'cpu',
  'app.rssKiB': 'memory',
  'app.fds': 'fds',
  'app.threads': 'processes',
};

const key = (r: Pick<Reason, 'layer' | 'metric'>): string => `${r.layer}.${r.metric}`;

/** Whether the reason's value is on the bad side of its baseline. */
function worse(r: Reason): boolean {
  if (typeof r.value !== 'number' || typeof r.baseline !== 'number') return false;
  const d = metricProfile(r.metric).direction;
  return d === 'down' ? r.value < r.baseline : d === 'up' ? r.value > r.baseline : r.value !== r.baseline;
}

/**
 * Harm users see: a service signal measured worse than its baseline at a score that counts, or a
 * forecast that an app limit (memory, latency SLO, fds) will be reached within the risk horizon. A
 * service metric that is merely missing, or a finding traffic explains, is no evidence of harm.
 */
export function isHarm(r: Reason, minScore = HARM_MIN_SCORE): boolean {
  if (r.layer !== 'app' || r.score <= 0 || r.explainedBy) return false;
  // A forecast counts once it scores like one: risk keeps breaches beyond its horizon below minor.
  if (r.source === 'forecast') return r.forecast?.timeToBreachMs != null && r.score >= minScore;
  return SERVICE_METRICS.has(r.metric) && r.score >= minScore && (r.source === 'stats' || r.source === 'model') && worse(r);
}

/** Whether users are affected now (service signals only, no forecasts): what a switch is judged by after it ran. */
export function serviceImpact(reasons: readonly Reason[], minScore = HARM_MIN_SCORE): boolean {
  return reasons.some((r) => r.source !== 'forecast' && isHarm(r, minScore));
}

export function evidenceOf(r: Reason, input: Pick<CauseInput, 'bands' | 'since'>): Evidence {
  const k = key(r);
  return {
    layer: r.layer,
    metric: r.metric,
    source: r.source,
    band: input.bands?.[k] ?? null,
    baseline: r.baseline ?? null,
    now: r.value,
    since: input.since?.[k] ?? null,
    score: r.score,
    ...(r.forecast ? { forecast: { limit: r.forecast.limit, timeToBreachMs: r.forecast.timeToBreachMs, slopePerSec: r.forecast.slopePerSec } } : {}),
    detail: r.detail,
  };
}

/** The release name people use: the last path element of the target (`releases/r3` → `r3`). */
export function releaseName(target: string | null): string {
  if (!target) return '(none)';
  const parts = target.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? target;
}

/** "12:03:04Z": times in sentences. */
export function clock(ms: number | null): string {
  return ms === null ? 'an unknown time' : `${new Date(ms).toISOString().slice(11, 19)}Z`;
}

/** The release change to judge: the one seen while watching, else the snapshot's release replaced before the baseline. */
function releaseChange(input: CauseInput): ReleaseChange | null {
  const rel = input.release;
  if (!rel) return null;
  if (rel.change && rel.change.to === rel.now) return rel.change;
  if (rel.snapshot !== null && rel.now !== rel.snapshot) {
    return { path: null, from: rel.snapshot, to: rel.now, at: null, seen: 'snapshot', files: [] };
  }
  return null;
}

/**
 * Who takes a resource: the app when its own increase is at least half the host's; otherwise the
 * processes that are not the app, named when the agent reports them. Null: no data to tell.
 */
function whoTakes(resource: Resource, reasons: readonly Reason[], input: CauseInput): { app: boolean; processes: ProcessShare[] } {
  const p = input.processes;
  const appReason = reasons.find((r) => r.layer === 'app' && RESOURCE[key(r)] === resource && r.score > 0 && worse(r));
  const named = (by: 'cpu' | 'memory'): ProcessShare[] => {
    if (!p) return [];
    const total = by === 'cpu' ? p.host.cpuPct : p.host.rssKiB;
    return [...p.top]
      .sort((a, b) => (by === 'cpu' ? b.cpuPct - a.cpuPct : b.rssKiB - a.rssKiB))
      .slice(0, 3)
      .map((x) => ({ ...x, share: total > 0 ? Math.min(1, (by === 'cpu' ? x.cpuPct : x.rssKiB) / total) : 0 }))
      .filter((x) => x.share > 0);
  };
  if ((resource === 'cpu' || resource === 'memory') && p) {
    const hostNow = resource === 'cpu' ? p.host.cpuPct : p.host.rssKiB;
    const hostBase = resource === 'cpu' ? p.baseline.hostCpuPct : p.baseline.hostRssKiB;
    const appNow = p.app ? (resource === 'cpu' ? p.app.cpuPct : p.app.rssKiB) : 0;
    const appBase = (resource === 'cpu' ? p.baseline.appCpuPct : p.baseline.appRssKiB) ?? appNow;
    if (hostBase !== null) {
      const increase = hostNow - hostBase;
      const appIncrease = appNow - appBase;
      if (increase > 0) {
        const app = appIncrease >= APP_SHARE_OF_INCREASE * increase;
        if (app) return { app, processes: [] };
        // Named only as far as they account for what the app does not: the fewest of the top
        // processes whose use reaches that share of it; none when all of them together do not (a
        // process at 1 % does not take half a core; short-lived forks never show in the top).
        const need = APP_SHARE_OF_INCREASE * (increase - Math.max(0, appIncrease));
        const takers: ProcessShare[] = [];
        let use = 0;
        for (const x of named(resource)) {
          if (use >= need) break;
          takers.push(x);
          use += resource === 'cpu' ? x.cpuPct : x.rssKiB;
        }
        return { app, processes: use >= need ? takers : [] };
      }
      // The host uses no more than its baseline now (what raised the reason has gone): the app is
      // the cause only if its own use is up and its own metrics say so.
      const app = appIncrease > 0 && appReason !== undefined;
      return { app, processes: [] };
    }
    // No baseline to measure the increase against: who holds most of it now.
    const topNow = named(resource)[0];
    const app = appNow >= (resource === 'cpu' ? (topNow?.cpuPct ?? 0) : (topNow?.rssKiB ?? 0));
    return { app, processes: app ? [] : named(resource) };
  }
  if (appReason) return { app: true, processes: [] };
  // The app's own metrics do not show it: someone else, named when the agent says who.
  return { app: false, processes: p ? named(resource === 'memory' ? 'memory' : 'cpu') : [] };
}

function who(processes: ProcessShare[]): string {
  if (processes.length === 0) return 'a process other than the app';
  return processes
    .slice(0, 3)
    .map((x) => `pid ${x.pid} ${JSON.stringify(x.command)} (${Math.round(x.share * 100)}%, cpu ${x.cpuPct.toFixed(0)}%, rss ${Math.round(x.rssKiB / 1024)} MiB)`)
    .join(', ');
}

function harmText(harm: readonly Evidence[]): string {
  const seen = new Set<string>();
  return harm
    .filter((h) => !seen.has(h.metric) && seen.add(h.metric))
    .slice(0, 2)
    .map((h) => {
      if (h.forecast) return `${h.metric} forecast to reach ${h.forecast.limit}${h.forecast.timeToBreachMs != null ? ` in ${Math.round(h.forecast.timeToBreachMs / 1000)} s` : ''}`;
      const band = h.band ? ` (normal ${num(h.band.low)}–${num(h.band.high)})` : typeof h.baseline === 'number' ? ` (baseline ${num(h.baseline)})` : '';
      return `${h.metric} ${typeof h.now === 'number' ? num(h.now) : String(h.now)}${band}`;
    })
    .join(', ');
}

function num(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}

/** The cause of one host's deviation this interval. */
export function attributeCause(input: CauseInput): Cause {
  const scored = input.reasons.filter((r) => r.score > 0 && r.source !== 'nodata');
  const ev = (r: Reason): Evidence => evidenceOf(r, input);
  const top = Math.max(0, ...scored.map((r) => r.score));
  const leading = scored.filter((r) => r.score >= top * LEADING_SHARE);
  const harmReasons = scored.filter((r) => isHarm(r));
  const harm = harmReasons.map(ev);
  const switchMetric = input.switchFile ? `file:${input.switchFile}` : null;
  const files = scored.filter((r) => r.layer === 'app' && r.source === 'config' && r.metric.startsWith('file:') && r.metric !== switchMetric);
  const releaseReason = scored.find((r) => r.layer === 'app' && r.source === 'config' && r.metric === 'release');
  const change = releaseChange(input);

  // 1. A release change: its start-up settles first; harm after it is the release's.
  if (change) {
    const at = change.at;
    const name = releaseName(change.to);
    const age = at === null ? null : input.now - at;
    const deployFiles = new Set(change.files.map((f) => `file:${f}`));
    const deployEvidence = [...(releaseReason ? [releaseReason] : []), ...files.filter((f) => deployFiles.has(f.metric))].map(ev);
    if (change.seen === 'watch' && age !== null && age < input.settleMs) {
      return {
        kind: 'deploy',
        release: change,
        settled: false,
        harm,
        evidence: deployEvidence,
        summary: `release ${name} deployed outside Plumbline at ${clock(at)}; its start-up is judged once it has run ${Math.round(input.settleMs / 1000)} s`,
      };
    }
    // Harm that was there before the release is not the release's doing.
    const sinceRelease = (h: Evidence): boolean => at === null || h.since === null || h.since >= at;
    const hurt = harm.filter(sinceRelease);
    // A release deployed after the snapshot (a canary, then promoted): the app's own trend toward
    // a limit, one its forecast holds up (significant, and on samples the fit did not see), is the
    // release's even before it is within the risk horizon; the snapshot's release is the state
    // before it. The policy still waits for moderate risk while users see no harm.
    const trends =
      change.seen === 'snapshot'
        ? scored.filter((r) => r.layer === 'app' && r.source === 'forecast' && r.forecast?.timeToBreachMs != null && !isHarm(r)).map(ev).filter(sinceRelease)
        : [];
    const after = [...hurt, ...trends];
    if (after.length > 0 && (age === null || age <= input.blameMs)) {
      const since =
        change.seen === 'snapshot'
          ? `since release ${name} (deployed after the snapshot${change.from ? ` of ${releaseName(change.from)}` : ''}${at !== null ? `, baseline at ${clock(at)}` : ''})`
          : `since release ${name} at ${clock(at)}`;
      return {
        kind: 'release-regression',
        release: change,
        harm: hurt,
        evidence: [...after, ...deployEvidence],
        summary: `${harmText(after)} ${since}`,
      };
    }
  }

  // 2. A managed file changed on its own (not with a release): the snapshot's copy cures it.
  const deployFiles = new Set((change?.files ?? []).map((f) => `file:${f}`));
  const drifted = files.filter((f) => !deployFiles.has(f.metric));
  if (drifted.length > 0) {
    const names = drifted.map((f) => f.metric.slice('file:'.length));
    return { kind: 'config-drift', files: names, harm, evidence: drifted.map(ev), summary: `${names.join(', ')} changed on the host since the baseline, with no release change` };
  }

  const resourceLeads = leading.filter((r) => r.layer !== 'app' && r.source !== 'config' && RESOURCE[key(r)] !== undefined && RESOURCE[key(r)] !== 'disk');
  const disk = leading.find((r) => r.layer === 'hardware' && r.metric === 'diskUsedPct' && r.source !== 'config');

  // 3. Harm without a release to blame: a neighbour taking the resource (whatever its score: the
  // harm may outweigh it), else the serving colour.
  if (harm.length > 0) {
    // Only CPU and memory, measured per process: a crash loop also moves the process count, and
    // that is the app's doing however it looks from the host.
    const resourceAny = scored.filter((r) => r.layer !== 'app' && r.source !== 'config' && (RESOURCE[key(r)] === 'cpu' || RESOURCE[key(r)] === 'memory'));
    for (const r of input.processes ? resourceAny : []) {
      const resource = RESOURCE[key(r)];
      const w = whoTakes(resource, scored, input);
      if (!w.app && w.processes.length > 0) {
        return {
          kind: 'neighbour',
          resource,
          processes: w.processes,
          harm,
          evidence: [ev(r), ...harm],
          summary: `${resource} taken by ${who(w.processes)}, not the app; users see ${harmText(harm)}`,
        };
      }
    }
    const serving = input.colours?.serving ?? null;
    const idle = input.colours?.idle ?? null;
    const otherText = idle ? `; ${idle.colour} ${idle.healthy === null ? 'not checked' : idle.healthy ? 'is healthy' : 'is not healthy either'} (${idle.detail})` : '';
    return {
      kind: 'colour-fault',
      colour: serving,
      other: idle,
      harm,
      evidence: [...harm, ...leading.filter((r) => !isHarm(r) && r.source !== 'config').map(ev)],
      summary: `the serving colour${serving ? ` (${serving})` : ''} is bad on the release the other colour runs too: ${harmText(harm)}${otherText}`,
    };
  }

  // 4. No harm.
  if (disk) {
    const mountMatch = /on (\/\S*)/.exec(disk.detail);
    const canFree = input.cleanup.freed;
    return {
      kind: 'disk-fill',
      mount: mountMatch ? mountMatch[1] : null,
      cleanup: input.cleanup.configured,
      canFree,
      harm,
      evidence: [ev(disk)],
      summary: `the disk fills (${typeof disk.value === 'number' ? `${num(disk.value)}% used` : 'usage up'})${
        input.cleanup.configured ? (canFree === false ? '; the configured clean-up ran and did not free it' : '; the configured clean-up may free it') : '; no clean-up is configured'
      }`,
    };
  }
  for (const r of resourceLeads) {
    const resource = RESOURCE[key(r)];
    const w = whoTakes(resource, scored, input);
    if (!w.app) {
      return { kind: 'neighbour', resource, processes: w.processes, harm, evidence: [ev(r)], summary: `${resource} taken by ${who(w.processes)}, not the app; users see no harm` };
    }
  }
  const appLeads = leading.filter((r) => r.layer === 'app' && r.source !== 'config');
  const deployHealthy = change && change.seen === 'watch' && change.at !== null && input.now - change.at <= input.blameMs;
  if (deployHealthy) {
    return {
      kind: 'deploy',
      release: change,
      settled: true,
      harm,
      evidence: [...(releaseReason ? [ev(releaseReason)] : []), ...appLeads.map(ev)],
      summary: `release ${releaseName(change.to)} deployed outside Plumbline at ${clock(change.at)}; service healthy`,
    };
  }
  const leads = [...appLeads, ...resourceLeads];
  const appResource = leads.find((r) => RESOURCE[key(r)] !== undefined);
  // Demand: every lead on the app and its resources is one that traffic explains (the load gate
  // marks them while the request rate is up and users see no harm).
  if (leads.length > 0 && leads.every((r) => r.explainedBy === 'traffic')) {
    const r = appResource ?? leads[0];
    const resource: Resource = RESOURCE[key(r)] ?? 'service';
    const rate = scored.find((x) => x.layer === 'app' && x.metric === 'requestRate' && typeof x.value === 'number' && typeof x.baseline === 'number');
    const traffic = rate ? `request rate ${num(rate.value as number)}/s against ${num(rate.baseline as number)}/s` : 'the request rate is above its baseline';
    return {
      kind: 'load',
      resource,
      traffic,
      harm,
      evidence: leads.map(ev),
      summary: `the app serves more traffic (${traffic}) and uses more ${resource === 'service' ? 'of the host' : resource} with it; health and errors stay normal`,
    };
  }
  if (appResource || appLeads.length > 0) {
    const r = appResource ?? appLeads[0];
    const resource: Resource = RESOURCE[key(r)] ?? (SERVICE_METRICS.has(r.metric) ? 'service' : 'processes');
    const what = resource === 'service' ? `the app deviates below the harm threshold (${key(r)})` : `the app itself uses more ${resource}`;
    return { kind: 'app-resource', resource, harm, evidence: leads.map(ev), summary: `${what}: ${r.detail}` };
  }
  const osDrift = scored.filter((r) => r.source === 'config' && r.layer !== 'app');
  if (osDrift.length > 0) {
    return { kind: 'os-drift', items: osDrift.map((r) => r.metric), harm, evidence: osDrift.map(ev), summary: `OS drift (${osDrift.map((r) => r.metric).slice(0, 3).join(', ')}): reported; not the app's to fix` };
  }
  return { kind: 'unknown', harm, evidence: leading.map(ev), summary: leading.length ? `no known cause for ${leading.map((r) => key(r)).slice(0, 3).join(', ')}` : 'nothing deviates' };
}
