import * as fs from 'node:fs';
import * as path from 'node:path';
import shipped from './riskModel.json';
import { RiskModel } from './riskModel';

/** The model file an update from feedback writes, in the data folder; it wins over the shipped one while it is newer. */
export const UPDATED_MODEL_NAME = 'risk-model.json';

export interface LoadedRiskModel {
  model: RiskModel | null;
  /** Where it came from: `shipped v3`, a file path, or why there is none. */
  source: string;
  /** Why a model that should have loaded did not (the thresholds decide meanwhile). */
  error?: string;
}

/** The model shipped with this Plumbline (trained on the lab episode library). */
export function shippedRiskModel(): LoadedRiskModel {
  const r = RiskModel.fromJSON(shipped);
  return r.ok ? { model: r.model, source: `shipped v${r.model.version}` } : { model: null, source: 'none', error: `the shipped risk model does not load: ${r.error}` };
}

function fromFile(file: string): LoadedRiskModel {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return { model: null, source: file, error: `${file}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const r = RiskModel.fromJSON(parsed);
  return r.ok ? { model: r.model, source: `${file} v${r.model.version}` } : { model: null, source: file, error: `${file}: ${r.error}` };
}

/**
 * The risk model to decide with: `file` when given (a model to try, e.g. in replay); else the one
 * updated from feedback in `dataDir` when it derives from the shipped version or a later one; else
 * the shipped one. A file that does not load is reported and the thresholds decide (never a crash).
 */
export function loadRiskModel(opts: { file?: string; dataDir?: string } = {}): LoadedRiskModel {
  if (opts.file) return fromFile(path.resolve(opts.file));
  const base = shippedRiskModel();
  if (opts.dataDir) {
    const file = path.join(opts.dataDir, UPDATED_MODEL_NAME);
    if (fs.existsSync(file)) {
      const updated = fromFile(file);
      const from = updated.model?.file.trainedOn.from ?? 0;
      if (updated.model && base.model && from >= base.model.version) return updated;
      if (!updated.model) return { ...base, error: updated.error };
    }
  }
  return base;
}
