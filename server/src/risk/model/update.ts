import type { RiskModelFile } from './riskModel';
import { boostMore, fitLogistic, type Row } from './train';

/** A person's label for one interval: the model's input then, and what was right. */
export interface FeedbackRow {
  features: number[];
  label: 0 | 1 | 2 | 3;
}

/**
 * The model updated from a person's feedback (call it with the shipped model and every feedback
 * row, so updates do not compound): logistic regression takes more steps from its
 * weights, pulled back towards them (L2 to the prior), on the feedback rows; boosted trees get a
 * few more rounds fitted to the feedback under the model as it is. The training domain widens to
 * cover the feedback. The version goes up by one and says which it came from. A dense network is
 * not updated in place (retrain it with the bench); null then.
 */
export function updateFromFeedback(base: RiskModelFile, feedback: readonly FeedbackRow[]): RiskModelFile | null {
  if (feedback.length === 0) return base;
  const rows: Row[] = feedback.map((f) => ({ x: f.features, y: f.label, w: 1 }));
  let classifier: RiskModelFile['classifier'];
  switch (base.classifier.kind) {
    case 'logistic':
      classifier = fitLogistic(rows, { prior: base.classifier, epochs: 150, l2: 0.05, learningRate: 0.02 });
      break;
    case 'boosted':
      classifier = boostMore(base.classifier, rows, { rounds: 8, learningRate: 0.1, depth: 2 });
      break;
    case 'dense':
      return null;
  }
  const min = base.domain.min.map((m, i) => Math.min(m, ...feedback.map((f) => f.features[i])));
  const max = base.domain.max.map((m, i) => Math.max(m, ...feedback.map((f) => f.features[i])));
  return {
    ...base,
    version: base.version + 1,
    classifier,
    domain: { min, max },
    trainedOn: { ...base.trainedOn, at: new Date().toISOString(), feedback: feedback.length, from: base.trainedOn.from ?? base.version },
  };
}
