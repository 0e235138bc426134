import { printable, printableJson } from '../common/printable';

/**
 * Everything the CLI shows goes out through here, so host text (agent output, error messages,
 * step output, reasons) can never drive the terminal: controls are escaped visibly, newlines
 * and tabs kept. JSON stays exact JSON (C1 and bidi controls as \u escapes).
 */
function line(text: string): string {
  const t = printable(text, { keep: '\n\t' });
  return t.endsWith('\n') ? t : `${t}\n`;
}

/** A line (or lines) on stdout. */
export function print(text: string): void {
  process.stdout.write(line(text));
}

/** A line (or lines) on stderr: progress, notes, errors. */
export function printErr(text: string): void {
  process.stderr.write(line(text));
}

/** One JSON document or JSON line on stdout. */
export function printJson(value: unknown, indent?: number): void {
  process.stdout.write(`${printableJson(value, indent)}\n`);
}

/** The CLI's own terminal control (the live table's clear-screen); never host text. */
export function control(sequence: string): void {
  process.stdout.write(sequence);
}
