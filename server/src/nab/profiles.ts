/** One NAB cost profile (config/profiles.json, `CostMatrix`). `tnWeight` is never used by the scorer. */
export interface Profile {
  readonly name: ProfileName;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
}

export const PROFILE_NAMES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Parses the text of config/profiles.json into the three profiles, in NAB's column order. */
export function parseProfiles(json: string): Profile[] {
  const raw = JSON.parse(json) as Record<string, { CostMatrix?: Record<string, number> }>;
  return PROFILE_NAMES.map((name) => {
    const m = raw[name]?.CostMatrix;
    if (!m || typeof m.tpWeight !== 'number' || typeof m.fpWeight !== 'number' || typeof m.fnWeight !== 'number') {
      throw new Error(`profiles.json: profile ${name} lacks a CostMatrix with tpWeight, fpWeight and fnWeight`);
    }
    return { name, tp: m.tpWeight, fp: m.fpWeight, fn: m.fnWeight };
  });
}
