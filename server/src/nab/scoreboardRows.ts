import type { Scoreboard } from './corpus';
import type { ProfileName } from './profiles';

export interface BoardRow {
  readonly detector: string;
  readonly scores: Record<ProfileName, number>;
  readonly source: string;
}

/**
 * Every published detector with its normalised scores from the per-detector scores CSVs, except
 * `random`, whose CSV is stale: its row comes from final_results.json (SCOREBOARD.md D1).
 */
export function publishedRows(board: Scoreboard, finals: Record<string, Record<string, number>>): BoardRow[] {
  const rows: BoardRow[] = [];
  for (const [detector, byProfile] of Object.entries(board.from_scores_csv)) {
    const pick = (p: ProfileName): number =>
      detector === 'random' ? finals.random?.[p] ?? NaN : byProfile[p]?.normalised_from_scores_csv ?? NaN;
    rows.push({
      detector,
      scores: { standard: pick('standard'), reward_low_FP_rate: pick('reward_low_FP_rate'), reward_low_FN_rate: pick('reward_low_FN_rate') },
      source: detector === 'random' ? 'final_results.json' : 'scores CSV',
    });
  }
  return rows;
}
