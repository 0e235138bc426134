import * as path from 'node:path';
import { formatPosition } from '../common/range';
import type { ConfigError } from './types';

/**
 * `plumbline.yaml:12:7: error: …` with 1-based line and column, as compilers print them.
 * With `relativeTo`, files inside that folder are shown relative to it.
 */
export function formatConfigError(e: ConfigError, relativeTo?: string): string {
  let file = e.file;
  if (relativeTo !== undefined) {
    const rel = path.relative(relativeTo, e.file);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) file = rel;
  }
  return `${formatPosition(file, e.range)}: error: ${e.message}`;
}
