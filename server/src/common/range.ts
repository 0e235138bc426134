/** A span in a text file. Lines and columns are 0-based (as in LSP); print them 1-based for people. */
export interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export function formatPosition(file: string, range: Range): string {
  return `${file}:${range.start.line + 1}:${range.start.character + 1}`;
}
