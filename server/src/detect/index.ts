export { createDetector } from './detector';
export { DEFAULT_CONFIG, type DetectorConfig } from './config';
export type { Detector, DetectorOutput, Reason, SubDetector } from './types';
