import * as fs from 'node:fs';
import * as path from 'node:path';
import { UPDATED_MODEL_NAME, shippedRiskModel } from '../risk/model/load';
import { RiskModel } from '../risk/model/riskModel';
import { updateFromFeedback } from '../risk/model/update';
import type { RiskFeedback, Store } from '../store/store';

/**
 * The risk model learns from the people who use it: "mark expected" labels what the model saw in
 * the marked window as no action; an approved action labels its interval with its tier, a refused
 * one with no action. Labels go into the store; the shipped model is then updated from all of them
 * and written to the data folder (loaded at start from then on).
 */
export class RiskFeedbackLoop {
  constructor(
    private readonly store: Pick<Store, 'saveRiskFeedback' | 'riskFeedback'>,
    private readonly dataDir: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Stores the labels and returns the updated model, or null when there is nothing to update. */
  record(entries: readonly RiskFeedback[]): RiskModel | null {
    if (entries.length === 0) return null;
    this.store.saveRiskFeedback(entries);
    const shipped = shippedRiskModel();
    if (!shipped.model) return null;
    const all = this.store.riskFeedback();
    const file = updateFromFeedback(shipped.model.file, all.map((f) => ({ features: f.features, label: f.label })));
    if (!file) {
      this.log(`risk model: ${entries.length} feedback label(s) stored; a ${shipped.model.file.classifier.kind} model is retrained with the bench, not updated in place`);
      return null;
    }
    const loaded = RiskModel.fromJSON(file);
    if (!loaded.ok) {
      this.log(`risk model: the update from feedback does not load (${loaded.error}); keeping the current one`);
      return null;
    }
    const target = path.join(this.dataDir, UPDATED_MODEL_NAME);
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${target}.tmp`, `${JSON.stringify(file)}\n`);
    fs.renameSync(`${target}.tmp`, target);
    this.log(`risk model: v${file.version} updated from ${all.length} feedback label(s) (${entries.length} new: ${entries[0].source}); written to ${target}`);
    return loaded.model;
  }
}
