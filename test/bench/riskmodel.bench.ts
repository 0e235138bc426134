/**
 * The risk model on episode families held out of training, side by side with the hand-set
 * thresholds, in one run. Leave-one-family-out: for every family, each model kind is trained on
 * all the other families (recorded episodes and their seeded variants) and plays the policy over
 * the held-out family's episodes in shadow; the thresholds play the same episodes. Per tier:
 * precision and recall of the first action; the benign false-action rate; actions before the
 * event; lead time before the failure.
 *
 *   npm run bench:riskmodel -- [--episodes DIR] [--variants 2] [--seed 1] [--kinds logistic,boosted,dense] [--thin 2] [--ship]
 *
 * `--ship` then trains the chosen kind on every family and writes the product's model file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderTable } from '../../server/src/cli/table';
import type { RiskModel } from '../../server/src/risk/model/riskModel';
import { flag, writeResults } from './benchUtil';
import type { Episode } from './episodes/episode';
import { episodeDirs, episodeRuns, rows as rowsOf, type LabelledRow } from './riskmodel/dataset';
import { episodeEnv, simulate, type EpisodeRun, type Outcome } from './riskmodel/episodeRun';
import { KINDS, SHIPPED_MODEL_FILE, fitKind, modelFile, type Kind } from './riskmodel/fit';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const UPDATABLE: readonly Kind[] = ['logistic', 'boosted'];

interface Played {
  run: string;
  recorded: boolean;
  family: string;
  kind: 'harmful' | 'benign';
  label: number;
  outcome: Outcome;
  leadMs: number | null;
}

interface Summary {
  policy: string;
  episodes: number;
  perTier: Record<1 | 2 | 3, { precision: number | null; recall: number | null; acted: number; labelled: number; right: number }>;
  benignFalseActionRate: number;
  benignActed: number;
  benign: number;
  harmfulRight: number;
  harmful: number;
  earlyActions: number;
  rightOutcomes: number;
  medianLeadMs: number | null;
  byModel: number;
  byThresholds: number;
  families: Record<string, { episodes: number; right: number; acted: number }>;
}

function play(run: EpisodeRun, e: Episode, model: RiskModel | null): Played {
  const outcome = simulate(run, episodeEnv(e), model);
  const tier = outcome.early ? -1 : outcome.tier;
  return {
    run: run.id,
    recorded: !run.id.includes('~'),
    family: run.family,
    kind: run.kind,
    label: run.tier,
    outcome: { ...outcome, tier: outcome.tier },
    leadMs: tier === run.tier && tier > 0 && run.failureTs !== null && outcome.ts !== null ? run.failureTs - outcome.ts : null,
  };
}

/** An action before the event is wrong whatever its tier. */
const acted = (p: Played): number => (p.outcome.early ? -1 : p.outcome.tier);

function summarise(policy: string, played: readonly Played[]): Summary {
  const perTier = {} as Summary['perTier'];
  for (const t of [1, 2, 3] as const) {
    const did = played.filter((p) => p.outcome.tier === t);
    const want = played.filter((p) => p.label === t);
    const right = played.filter((p) => p.label === t && acted(p) === t).length;
    perTier[t] = { precision: did.length ? right / did.length : null, recall: want.length ? right / want.length : null, acted: did.length, labelled: want.length, right };
  }
  const benign = played.filter((p) => p.kind === 'benign');
  const harmful = played.filter((p) => p.kind === 'harmful');
  const leads = played.flatMap((p) => (p.leadMs === null ? [] : [p.leadMs])).sort((a, b) => a - b);
  const families: Summary['families'] = {};
  for (const p of played) {
    const f = (families[p.family] ??= { episodes: 0, right: 0, acted: 0 });
    f.episodes++;
    if (acted(p) === p.label) f.right++;
    if (p.outcome.tier > 0) f.acted++;
  }
  return {
    policy,
    episodes: played.length,
    perTier,
    benignActed: benign.filter((p) => p.outcome.tier > 0).length,
    benign: benign.length,
    benignFalseActionRate: benign.length ? benign.filter((p) => p.outcome.tier > 0).length / benign.length : 0,
    harmfulRight: harmful.filter((p) => acted(p) === p.label).length,
    harmful: harmful.length,
    earlyActions: played.filter((p) => p.outcome.early).length,
    rightOutcomes: played.filter((p) => acted(p) === p.label).length,
    medianLeadMs: leads.length ? leads[Math.floor(leads.length / 2)] : null,
    byModel: played.filter((p) => p.outcome.decidedBy === 'model').length,
    byThresholds: played.filter((p) => p.outcome.decidedBy === 'thresholds').length,
    families,
  };
}

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(0)}%`);

function summaryRow(s: Summary): string[] {
  const t = (k: 1 | 2 | 3): string => `${pct(s.perTier[k].precision)} / ${pct(s.perTier[k].recall)}`;
  return [
    s.policy,
    String(s.episodes),
    `${s.rightOutcomes} (${pct(s.rightOutcomes / s.episodes)})`,
    t(1),
    t(2),
    t(3),
    `${s.benignActed}/${s.benign} (${pct(s.benignFalseActionRate)})`,
    `${s.harmfulRight}/${s.harmful}`,
    String(s.earlyActions),
    s.medianLeadMs === null ? '-' : `${(s.medianLeadMs / 1000).toFixed(0)} s`,
    s.byModel + s.byThresholds === 0 ? '-' : `${s.byModel}/${s.byThresholds}`,
  ];
}

async function main(): Promise<void> {
  const started = Date.now();
  const perEpisode = flag('variants', 2);
  const seed = flag('seed', 1);
  const kindsAt = process.argv.indexOf('--kinds');
  const kinds = (kindsAt > 0 ? process.argv[kindsAt + 1].split(',') : [...KINDS]) as Kind[];
  for (const k of kinds) if (!KINDS.includes(k)) throw new Error(`unknown model kind ${k} (${KINDS.join(', ')})`);
  const { runs, episodes, dir } = await episodeRuns(episodeDirs(process.argv), perEpisode, seed, out);
  const byId = new Map(episodes.map((e) => [e.id, e]));
  // Neighbouring intervals are nearly the same row: training takes every `thin`-th (all rows are played).
  const thin = flag('thin', 2);
  const allRows = rowsOf(runs, byId).filter((_, i) => i % thin === 0);
  const families = [...new Set(runs.map((r) => r.family))].sort();
  out(`${runs.length} episodes (${episodes.filter((e) => !e.id.includes('~')).length} recorded in ${dir}, ${perEpisode} variants each), ${families.length} families, ${allRows.length} interval rows`);

  const played: Record<string, Played[]> = { thresholds: [] };
  for (const k of kinds) played[k] = [];
  const fitMs: Record<string, number> = {};
  for (const fam of families) {
    const train = allRows.filter((r) => r.family !== fam);
    const test = runs.filter((r) => r.family === fam);
    for (const run of test) played.thresholds.push(play(run, byId.get(run.id)!, null));
    for (const k of kinds) {
      const t = Date.now();
      const { model } = modelFile(await fitKind(k, train), train, 1);
      fitMs[k] = (fitMs[k] ?? 0) + Date.now() - t;
      for (const run of test) played[k].push(play(run, byId.get(run.id)!, model));
    }
    out(`  held out ${fam}: ${test.length} episodes; right: ${['thresholds', ...kinds].map((p) => `${p} ${played[p].filter((x) => x.family === fam && acted(x) === x.label).length}`).join(', ')}`);
  }

  const summaries = Object.entries(played).map(([p, xs]) => summarise(p, xs));
  const recordedOnly = Object.entries(played).map(([p, xs]) => summarise(p, xs.filter((x) => x.recorded)));
  const header = ['POLICY', 'EPISODES', 'RIGHT', 'TIER 1 P/R', 'TIER 2 P/R', 'TIER 3 P/R', 'BENIGN ACTED', 'HARMFUL RIGHT', 'EARLY', 'MEDIAN LEAD', 'MODEL/THRESH'];
  out('\nevery family held out of training in turn (recorded episodes and variants):');
  out(renderTable(header, summaries.map(summaryRow), 120));
  out('\nthe recorded episodes only:');
  out(renderTable(header, recordedOnly.map(summaryRow), 120));
  out('\nright outcomes per held-out family:');
  out(
    renderTable(
      ['FAMILY', 'WANT', ...Object.keys(played)],
      families.map((f) => {
        const want = runs.find((r) => r.family === f)!.tier;
        return [f, want === 0 ? 'none' : `tier ${want}`, ...summaries.map((s) => `${s.families[f].right}/${s.families[f].episodes}`)];
      }),
      120,
    ),
  );

  // The choice, among the kinds the product can update from feedback in place (a dense network is
  // retrained here, not in the product): fewest benign actions first (the target is none), then
  // most right outcomes.
  const models = summaries.filter((s) => UPDATABLE.includes(s.policy as Kind));
  const chosen = models.sort((a, b) => a.benignActed - b.benignActed || b.rightOutcomes - a.rightOutcomes)[0];
  out(`\nchosen: ${chosen?.policy ?? 'none'}; fits took ${Object.entries(fitMs).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join(', ')} over ${families.length} folds; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);

  let shipped: string | null = null;
  if (process.argv.includes('--ship') && chosen) {
    const kind = chosen.policy as Kind;
    const previous = fs.existsSync(SHIPPED_MODEL_FILE) ? (JSON.parse(fs.readFileSync(SHIPPED_MODEL_FILE, 'utf8')) as { version?: number }).version ?? 0 : 0;
    const notes =
      `${kind} chosen by leave-one-family-out over ${families.length} families (${runs.length} episodes): ` +
      `${chosen.rightOutcomes}/${chosen.episodes} right, benign acted ${chosen.benignActed}/${chosen.benign}; thresholds ${summaries[0].rightOutcomes}/${summaries[0].episodes}, benign acted ${summaries[0].benignActed}/${summaries[0].benign}.`;
    const { file } = modelFile(await fitKind(kind, allRows), allRows, previous + 1, notes);
    fs.writeFileSync(SHIPPED_MODEL_FILE, `${JSON.stringify(file)}\n`);
    shipped = path.relative(process.cwd(), SHIPPED_MODEL_FILE);
    out(`shipped ${kind} v${file.version} to ${shipped} (${(fs.statSync(SHIPPED_MODEL_FILE).size / 1024).toFixed(0)} KiB)`);
  }

  const file = writeResults('riskmodel', {
    machine: 'shared (2 cores, several agents building and testing at once)',
    episodesDir: dir,
    variantsPerEpisode: perEpisode,
    seed,
    families,
    rows: allRows.length,
    kinds,
    chosen: chosen?.policy ?? null,
    shipped,
    summaries,
    recordedOnly,
    played: Object.fromEntries(Object.entries(played).map(([k, xs]) => [k, xs.map((x) => ({ ...x, outcome: { ...x.outcome, why: x.outcome.why.slice(0, 300) } }))])),
    durationMs: Date.now() - started,
  });
  out(`results: ${file}`);
}

export type { LabelledRow };

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
