import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { packageRoot } from '../../common/paths';

/**
 * The tfjs backend, chosen once per process: WASM (SIMD, single thread — DESIGN.md, measured
 * faster than tfjs-node for models this size), the cpu backend when WASM cannot start. Every model
 * call awaits `ensureBackend()` first; the choice and why are kept for reports.
 */
export interface BackendInfo {
  name: 'wasm' | 'cpu';
  simd: boolean;
  /** Why the fallback was taken, when it was. */
  note?: string;
}

let pending: Promise<BackendInfo> | null = null;
let chosen: BackendInfo | null = null;

/**
 * The folder holding the .wasm binaries: `PLUMBLINE_TFJS_WASM_DIR`, else `dist/wasm` (the build
 * copies them there, so bundles shipped without node_modules find them), else the package's own.
 */
export function wasmDir(): string {
  const shipped = path.join(packageRoot(), 'dist', 'wasm');
  const dir =
    process.env.PLUMBLINE_TFJS_WASM_DIR ??
    (fs.existsSync(path.join(shipped, 'tfjs-backend-wasm-simd.wasm'))
      ? shipped
      : path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')));
  return dir.endsWith(path.sep) ? dir : dir + path.sep;
}

export function ensureBackend(log: (message: string) => void = (m) => console.warn(m)): Promise<BackendInfo> {
  pending ??= init(log);
  return pending;
}

/** The backend once `ensureBackend()` has resolved; null before. */
export function backendInfo(): BackendInfo | null {
  return chosen;
}

async function init(log: (message: string) => void): Promise<BackendInfo> {
  try {
    setWasmPaths(wasmDir());
    // Single thread: the server shares its cores with SSH and the store; threads buy nothing at this model size.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
    await tf.ready();
    chosen = { name: 'wasm', simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) };
  } catch (err) {
    const note = `tfjs WASM backend unavailable (${err instanceof Error ? err.message : String(err)}); using the cpu backend`;
    log(`plumbline: ${note}`);
    // The cpu backend's console hint about tfjs-node does not apply (DESIGN.md: not installable here).
    tf.env().set('IS_TEST', true);
    await tf.setBackend('cpu');
    await tf.ready();
    chosen = { name: 'cpu', simd: false, note };
  }
  return chosen;
}
