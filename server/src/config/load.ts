import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { LineCounter, parseDocument, visit, type YAMLError } from 'yaml';
import type { Range } from '../common/range';
import { buildConfig } from './build';
import { duplicateKeyProblems, semanticProblems } from './checks';
import { SourceMap } from './positions';
import { configValidator } from './schema';
import { schemaProblems, type Problem } from './schemaErrors';
import type { ConfigError, WorkspaceConfig } from './types';

export interface ConfigResult {
  /** Present only when there are no errors. */
  config?: WorkspaceConfig;
  /** Every problem found, in file order. */
  errors: ConfigError[];
}

/**
 * Parses and validates plumbline.yaml text. `file` is where it came from; relative paths inside
 * resolve from its folder. Syntax errors stop there (the data behind them is unreliable); otherwise
 * schema and semantic problems are all reported together.
 */
export function parseConfig(text: string, file: string): ConfigResult {
  const abs = path.resolve(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const src = new SourceMap(doc, lines);
  const toErrors = (problems: Problem[]): ConfigError[] => capped(sortUnique(problems)).map((p) => ({ file: abs, ...p }));

  const syntax: Problem[] = doc.errors.map((e) => ({ range: src.offsetRange(e.pos[0], e.pos[1]), message: syntaxMessage(e) }));
  // The parser accepts aliases to anchors that do not exist; converting would then throw without a position.
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined && node.range) {
        syntax.push({ range: src.offsetRange(node.range[0], node.range[1]), message: `invalid YAML: alias "*${node.source}" has no anchor "&${node.source}" before it` });
      }
    },
  });
  if (syntax.length > 0) return { errors: toErrors(syntax) };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Excessive alias expansion ("billion laughs") throws here rather than reporting.
    return { errors: toErrors([{ range: src.documentStart(), message: `invalid YAML: ${(e as Error).message}` }]) };
  }

  const validate = configValidator();
  const problems = [
    ...duplicateKeyProblems(doc, src),
    ...(validate(data) ? [] : schemaProblems(validate.errors ?? [], data, src)),
    ...semanticProblems(data, src),
  ];
  if (problems.length > 0) return { errors: toErrors(problems) };
  return { config: buildConfig(data, abs, src), errors: [] };
}

/** Reads and parses plumbline.yaml; a file that cannot be read is one error at 0:0. */
export async function loadConfig(file: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a folder' : err.message;
    const start = { line: 0, character: 0 };
    return { errors: [{ file: path.resolve(file), range: { start, end: start }, message: `cannot read ${file}: ${reason}` }] };
  }
  return parseConfig(text, file);
}

/** Absolute path of a workspace file named in `files[].local`. */
export function resolveLocal(config: WorkspaceConfig, local: string): string {
  return path.resolve(path.dirname(config.file), local);
}

function syntaxMessage(e: YAMLError): string {
  if (e.code === 'MULTIPLE_DOCS') return 'invalid YAML: plumbline.yaml must hold a single document; remove the "---" separator';
  return `invalid YAML: ${e.message}`;
}

/** Errors reported at most: a hostile or mangled file must not flood the editor (the rest are counted). */
export const MAX_CONFIG_ERRORS = 100;

function capped(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_CONFIG_ERRORS) return problems;
  const shown = problems.slice(0, MAX_CONFIG_ERRORS);
  return [...shown, { range: shown[shown.length - 1].range, message: `… and ${problems.length - MAX_CONFIG_ERRORS} more errors after this one (fix these first)` }];
}

function sortUnique(problems: Problem[]): Problem[] {
  const key = (r: Range): string => `${r.start.line}:${r.start.character}`;
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const k = `${key(p.range)} ${p.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}
