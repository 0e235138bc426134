/**
 * The one sanitiser for text that came from hosts (agent output, file content, command output,
 * error text) on its way to a person: terminal, editor or webview. C0 and C1 control characters,
 * DEL and the Unicode bidi controls are written as visible `\u{..}` escapes, so a host cannot
 * move the cursor, set the window title, clear the screen, hide text or reorder what is shown.
 * Used at the edges only: the CLI's writes (server/src/cli/output.ts) and every message the
 * editor receives from the server (client/src/languageClient.ts).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** What JSON.stringify leaves raw that a terminal would act on: DEL, C1 controls, bidi controls. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export interface PrintableOptions {
  /** Control characters to keep as they are, e.g. '\n\t' for multi-line text. */
  keep?: string;
}

export function printable(text: string, opts: PrintableOptions = {}): string {
  const keep = opts.keep ?? '';
  return text.replace(UNSAFE, (c) => (keep.includes(c) ? c : `\\u{${c.charCodeAt(0).toString(16)}}`));
}

/** A JSON-like value with every string (object keys included) made printable; the rest as it was. */
export function printableDeep<T>(value: T, opts: PrintableOptions = {}): T {
  return walk(value, opts, 0) as T;
}

const MAX_DEPTH = 200;

function walk(value: unknown, opts: PrintableOptions, depth: number): unknown {
  if (typeof value === 'string') return printable(value, opts);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => walk(v, opts, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[printable(k, opts)] = walk(v, opts, depth + 1);
  return out;
}

/**
 * JSON for a terminal or a pipe: JSON.stringify escapes C0 controls but writes C1 controls and
 * bidi overrides raw; here they become `\uXXXX`, which any JSON reader turns back into the same
 * value. Machine output stays exact, and stays harmless when it lands on a screen.
 */
export function printableJson(value: unknown, indent?: number): string {
  // JSON.stringify leaves no raw C0 control inside strings; outside them only its own indentation.
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
