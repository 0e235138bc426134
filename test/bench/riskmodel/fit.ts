import * as path from 'node:path';
import type { ClassifierSpec } from '../../../server/src/risk/model/classifiers';
import { FEATURES } from '../../../server/src/risk/model/features';
import { RISK_MODEL_FORMAT, RiskModel, type RiskModelFile } from '../../../server/src/risk/model/riskModel';
import { CLASSES, fitBoosted, fitLogistic } from '../../../server/src/risk/model/train';
import { domainOf, type LabelledRow } from './dataset';
import { fitDense } from './dense';

/** The model file the product ships (imported into the bundle), in the source tree. */
export const SHIPPED_MODEL_FILE = path.resolve(__dirname, '../../../../server/src/risk/model/riskModel.json');

export const KINDS = ['logistic', 'boosted', 'dense'] as const;
export type Kind = (typeof KINDS)[number];

/**
 * The model acts when P(no action) falls below one half: acting and not acting are weighted to
 * equal totals in training, so this is where both are equally likely. Not swept.
 */
export const ACT_AT = 0.5;

export async function fitKind(kind: Kind, rows: readonly LabelledRow[]): Promise<ClassifierSpec> {
  switch (kind) {
    case 'logistic':
      return fitLogistic(rows);
    case 'boosted':
      return fitBoosted(rows);
    case 'dense':
      return fitDense(rows);
  }
}

/** A model file for rows trained into `spec`, checked by the same loader the product uses. */
export function modelFile(spec: ClassifierSpec, rows: readonly LabelledRow[], version: number, notes?: string): { file: RiskModelFile; model: RiskModel } {
  const file: RiskModelFile = {
    format: RISK_MODEL_FORMAT,
    version,
    features: [...FEATURES],
    classes: CLASSES,
    classifier: spec,
    actAt: ACT_AT,
    domain: domainOf(rows),
    trainedOn: {
      at: new Date().toISOString(),
      episodes: new Set(rows.map((r) => r.run)).size,
      rows: rows.length,
      families: [...new Set(rows.map((r) => r.family))].sort(),
    },
    ...(notes ? { notes } : {}),
  };
  const loaded = RiskModel.fromJSON(file);
  if (!loaded.ok) throw new Error(`the trained model does not load: ${loaded.error}`);
  return { file, model: loaded.model };
}
