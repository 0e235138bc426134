import { MetricDetector, type MetricDetectorOptions } from './metric/metricDetector';

export { MetricDetector, METRIC_CONSTANTS } from './metric/metricDetector';
export type { Direction, MetricDetectorOptions, MetricDetectorState, MetricOutput, MetricState } from './metric/metricDetector';

/** The detector of one metric stream: the same one `watch` runs per metric, `score` and the benchmarks run per file. */
export function createDetector(options: MetricDetectorOptions = {}): MetricDetector {
  return new MetricDetector(options);
}
