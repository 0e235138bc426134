import type { DataPath } from './positions';

/** `environments.staging.hosts[1]`; keys that are not plain identifiers are bracketed and quoted. */
export function pathText(path: DataPath): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(step)) out += out === '' ? step : `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out;
}

/** Where a key sits, in words: `at the top level`, `in environment "staging"`, `in "layers.os" of environment "staging"`. */
export function placeText(mapPath: DataPath): string {
  if (mapPath.length === 0) return 'at the top level';
  if (mapPath[0] === 'environments' && mapPath.length >= 2) {
    const env = `environment ${JSON.stringify(String(mapPath[1]))}`;
    return mapPath.length === 2 ? `in ${env}` : `in "${pathText(mapPath.slice(2))}" of ${env}`;
  }
  return `in "${pathText(mapPath)}"`;
}

/** A value as people would recognise it in a message: `"fast"`, `5`, `nothing`, `a list`, `a map`. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty map' : 'a map';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** Plain words for JSON Schema types, when a schema node carries no `expected` text. */
export function typeText(type: unknown): string {
  const words: Record<string, string> = {
    string: 'text',
    number: 'a number',
    integer: 'a whole number',
    boolean: 'true or false',
    array: 'a list',
    object: 'a map',
    null: 'nothing',
  };
  return (Array.isArray(type) ? type : [type]).map((t) => words[String(t)] ?? String(t)).join(' or ');
}

export function quoteList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}
