import type { ErrorObject, ValidateFunction } from 'ajv';
import { schemaValidator } from '../common/schemaValidator';
import { err, ok, type Result } from '../common/result';
import { agentRecordSpec } from './agentSchema';
import { FINGERPRINT_SCHEMA, type Fingerprint } from './types';

/** The agent ran but what it printed is not a fingerprint this server understands. */
export interface AgentOutputError {
  kind: 'MalformedAgentOutput';
  host: string;
  message: string;
  /** The first 200 characters of the offending output (secret files never reach the output). */
  excerpt: string;
}

/** What the agent prints: the fingerprint minus the host alias, tagged with its record type. */
type AgentRecord = Omit<Fingerprint, 'host'> & { type: 'fingerprint' };

const RECORD_PREFIX = '{"type":"fingerprint"';
const EXCERPT_CHARS = 200;

let validator: ValidateFunction<AgentRecord> | undefined;
function validate(): ValidateFunction<AgentRecord> {
  validator ??= schemaValidator<AgentRecord>(agentRecordSpec);
  return validator;
}

/**
 * Finds the fingerprint record in an agent's stdout and checks it against the contract. Lines a
 * login shell may print first (a motd, a banner) are ignored; a record that is cut short, from
 * another schema version or of the wrong shape is an error naming what is wrong.
 */
export function parseCapture(stdout: string, host: string): Result<Fingerprint, AgentOutputError> {
  const fail = (message: string, excerptOf: string) =>
    err<AgentOutputError>({ kind: 'MalformedAgentOutput', host, message, excerpt: excerptOf.slice(0, EXCERPT_CHARS) });

  if (stdout.trim() === '') return fail('the agent printed nothing', stdout);
  const lines = stdout.split('\n').map((l) => l.replace(/\r$/, ''));
  // The last record wins: anything after it (a logout message) is as ignorable as a motd before it.
  let line = findLast(lines, (l) => l.startsWith(RECORD_PREFIX));
  if (line === undefined) {
    line = findLast(lines, (l) => l.trimStart().startsWith('{'));
    if (line === undefined) return fail('no fingerprint record in the agent output', stdout.trim());
  }

  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (e) {
    const truncated = !line.trimEnd().endsWith('}');
    const why = truncated ? 'the fingerprint record is truncated' : 'the fingerprint record is not valid JSON';
    return fail(`${why} (${line.length} characters; ${(e as Error).message})`, line);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return fail('the fingerprint record is not a JSON object', line);
  }
  const r = record as Record<string, unknown>;
  if (r.type !== 'fingerprint') return fail(`expected a record of type "fingerprint", got ${JSON.stringify(r.type)}`, line);
  if (r.schema !== FINGERPRINT_SCHEMA) {
    return fail(
      `the agent speaks fingerprint schema ${JSON.stringify(r.schema)} but this Plumbline reads schema ${FINGERPRINT_SCHEMA}; ` +
        'update the agent and the server together',
      line,
    );
  }
  const check = validate();
  if (!check(record)) return fail(`the fingerprint does not match schema ${FINGERPRINT_SCHEMA}: ${describe(check.errors)}`, line);

  const { schema, capturedAt, agentVersion, hardware, os, app } = record;
  return ok({ schema, host, capturedAt, agentVersion, hardware, os, app });
}

function describe(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'unknown validation error';
  const where = e.instancePath === '' ? 'the record' : e.instancePath;
  const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
}

function findLast<T>(items: readonly T[], pred: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i])) return items[i];
  return undefined;
}
