import { scoreAcross } from '../model/batch';
import { LayerDetector, type LayerDetectorOptions } from './layerDetector';
import { RISK_LAYERS } from '../../risk/types';
import type { Finding, Layer, LayerObservation } from './types';

export type HostDetectors = Record<Layer, LayerDetector>;

/** The three layer detectors of a host; `perLayer` options go over the common ones. */
export function hostDetectors(
  host: string,
  common: Omit<LayerDetectorOptions, 'host' | 'layer'> = {},
  perLayer: Partial<Record<Layer, Omit<LayerDetectorOptions, 'host' | 'layer'>>> = {},
): HostDetectors {
  const entries = RISK_LAYERS.map((layer) => [layer, new LayerDetector({ ...common, ...perLayer[layer], host, layer })] as const);
  return Object.fromEntries(entries) as HostDetectors;
}

/**
 * One interval for many detectors at once (every host's layers): statistics and forecasts per
 * detector, the autoencoders in one batched pass across all of them. Same findings as calling
 * `observe` on each, in the order given.
 */
export function observeMany(items: ReadonlyArray<{ detector: LayerDetector; obs: LayerObservation }>): Finding[][] {
  const out = items.map(({ detector, obs }) => detector.observeStats(obs));
  const withModel = items.map((it, i) => ({ ...it, i, model: it.detector.autoencoder })).filter((it) => it.model !== null);
  const scores = scoreAcross(withModel.map((it) => ({ model: it.model!, metrics: it.obs.metrics })));
  withModel.forEach((it, k) => out[it.i].push(...it.detector.modelFindings(it.obs, scores[k])));
  return out;
}
