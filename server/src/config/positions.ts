import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { Range } from '../common/range';

/** A path into the parsed data: map keys and list indexes, as in `environments.staging.hosts[1]`. */
export type DataPath = (string | number)[];

/** The YAML nodes behind one place in the data. */
export interface Located {
  /** The value node; undefined for a key written with no value, or a path that is not there. */
  value?: Node;
  /** The key node when the last step of the path is a map key. */
  key?: Node;
}

/** Turns yaml offsets into LSP ranges and finds the node behind a data path. */
export class SourceMap {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** 0-based position of a character offset (yaml's LineCounter is 1-based). */
  position(offset: number): Range['start'] {
    const p = this.lines.linePos(offset);
    return { line: p.line - 1, character: p.col - 1 };
  }

  offsetRange(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }

  nodeRange(node: Node | undefined): Range | undefined {
    const r = node?.range;
    return r ? this.offsetRange(r[0], r[1]) : undefined;
  }

  /** Follows `path` from the document root, through aliases. Duplicate keys resolve to the last, as the data does. */
  locate(path: DataPath): Located {
    let value: Node | undefined = this.deref(this.doc.contents ?? undefined);
    let key: Node | undefined;
    for (const step of path) {
      key = undefined;
      if (isMap(value)) {
        const pair = value.items.findLast((p) => keyText(p.key) === String(step));
        key = (pair?.key as Node | undefined) ?? undefined;
        value = this.deref((pair?.value as Node | null | undefined) ?? undefined);
      } else if (isSeq(value) && typeof step === 'number') {
        value = this.deref((value.items[step] as Node | null | undefined) ?? undefined);
      } else {
        return {};
      }
    }
    return { value, key };
  }

  /**
   * Where to point for the value at `path`: the value itself, or its key when the value is
   * missing or written as nothing (`interval:`), falling back to the nearest enclosing node.
   */
  valueRange(path: DataPath): Range {
    const { value, key } = this.locate(path);
    if (value && !isEmptyScalar(value)) return this.nodeRange(value)!;
    if (key) return this.nodeRange(key)!;
    if (value) return this.nodeRange(value)!;
    return path.length > 0 ? this.valueRange(path.slice(0, -1)) : this.documentStart();
  }

  /** Where to point for the key at `path` (map keys), else the value. */
  keyRange(path: DataPath): Range {
    const { key } = this.locate(path);
    return key ? this.nodeRange(key)! : this.valueRange(path);
  }

  /** The start of the document's content, or 0:0 for an empty file. */
  documentStart(): Range {
    const r = this.doc.contents?.range;
    return r ? this.offsetRange(r[0], r[0]) : this.offsetRange(0, 0);
  }

  private deref(node: Node | undefined): Node | undefined {
    if (!isAlias(node)) return node;
    // A broken alias (unknown anchor) was already reported by the parser.
    return (node.resolve(this.doc) as Node | undefined) ?? node;
  }
}

/** The text of a scalar map key, or undefined for complex keys (`? [a, b]`). */
export function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  return undefined;
}

function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && (!node.range || node.range[0] === node.range[1]);
}
