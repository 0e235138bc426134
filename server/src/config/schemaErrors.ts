import type { ErrorObject } from 'ajv';
import type { Range } from '../common/range';
import type { DataPath, SourceMap } from './positions';
import { suggestKey } from './suggest';
import { pathText, placeText, quoteList, typeText, valueText } from './words';

/** A schema or semantic problem before it is tied to a file. */
export interface Problem {
  range: Range;
  message: string;
}

/**
 * Turns ajv's errors into one plain-words problem per real mistake, each at the node a person
 * would fix: the value for a wrong value, the key for an unknown key, the map for a missing key.
 */
export function schemaProblems(errors: readonly ErrorObject[], data: unknown, src: SourceMap): Problem[] {
  const out: Problem[] = [];
  for (const e of prune(errors)) {
    const path = toDataPath(e.instancePath, data);
    const problem = describe(e, path, src);
    if (problem) out.push(problem);
  }
  return out;
}

/** Drops errors that only echo another: `if` wrappers, propertyNames internals, anything under a wrong type, and combinators with a more specific error inside. */
function prune(errors: readonly ErrorObject[]): ErrorObject[] {
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  // A misspelt key ("hots") also makes the real one ("hosts") missing; the "did you mean" says both.
  const misspelt = new Set(
    errors
      .filter((e) => e.keyword === 'additionalProperties')
      .map((e) => {
        const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        return `${e.instancePath}/${suggestKey(String(e.params.additionalProperty), allowed) ?? ''}`;
      }),
  );
  return errors.filter((e) => {
    if (e.keyword === 'if' || e.schemaPath.includes('/propertyNames/')) return false;
    if (e.keyword !== 'type' && wrongType.has(e.instancePath)) return false;
    if (e.keyword === 'required' && misspelt.has(`${e.instancePath}/${String(e.params.missingProperty)}`)) return false;
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      return !errors.some((o) => o !== e && o.keyword !== 'if' && (o.instancePath + '/').startsWith(e.instancePath + '/') && o.schemaPath.startsWith(e.schemaPath + '/'));
    }
    return true;
  });
}

function describe(e: ErrorObject, path: DataPath, src: SourceMap): Problem | undefined {
  const schema = (e.parentSchema ?? {}) as { expected?: string; because?: string; properties?: Record<string, unknown> };
  const at = (message: string): string => (path.length > 0 ? `${pathText(path)}: ${message}` : message);
  const got = `got ${valueText(e.data)}`;
  const params = e.params as Record<string, unknown>;

  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(schema.properties ?? {});
      const hint = suggestKey(key, allowed);
      const tail = hint ? `did you mean "${hint}"?` : `expected one of ${quoteList(allowed)}`;
      return { range: src.keyRange([...path, key]), message: `unknown key "${key}" ${placeText(path)}; ${tail}` };
    }
    case 'required': {
      const because = schema.because ? ` (needed for ${schema.because})` : '';
      return { range: src.valueRange(path), message: at(`missing required key "${String(params.missingProperty)}"${because}`) };
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      return {
        range: src.keyRange([...path, name]),
        message: `environment name ${JSON.stringify(name)} may only contain letters, digits, "_", "." and "-"`,
      };
    }
    case 'enum':
      return { range: src.valueRange(path), message: at(`expected one of ${quoteList(params.allowedValues as unknown[])}, ${got}`) };
    case 'minItems':
    case 'minProperties':
      return { range: src.valueRange(path), message: at(`expected ${schema.expected ?? 'an entry'} with at least one entry, ${got}`) };
    case 'type':
      return { range: src.valueRange(path), message: at(`expected ${schema.expected ?? typeText(params.type)}, ${got}`) };
    case 'pattern':
    case 'minLength':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'const':
      return { range: src.valueRange(path), message: at(`expected ${schema.expected ?? e.message ?? 'something else'}, ${got}`) };
    default:
      return { range: src.valueRange(path), message: at(e.message ?? `failed ${e.keyword}`) };
  }
}

/** `/environments/staging/hosts/1` → ['environments', 'staging', 'hosts', 1], with indexes only where the data is a list. */
function toDataPath(pointer: string, data: unknown): DataPath {
  if (pointer === '') return [];
  const out: DataPath = [];
  let here: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const step = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(here)) {
      out.push(Number(step));
      here = here[Number(step)];
    } else {
      out.push(step);
      here = here !== null && typeof here === 'object' ? (here as Record<string, unknown>)[step] : undefined;
    }
  }
  return out;
}
