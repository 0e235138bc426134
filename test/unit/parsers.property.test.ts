/**
 * Property-based tests (fast-check) for every parser of untrusted input: the agent's stream and
 * capture output, ssh_config, known_hosts, plumbline.yaml and the store's rows. Whatever the
 * input (random bytes, mutations of valid input, huge or deeply nested text), each parser returns
 * a value or a clear error: it never throws anything else, never hangs, and what it returns stays
 * bounded by what it was given. Prints a table of inputs tried per parser.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { parseConfig } from '../../server/src/config/load';
import { parseCapture } from '../../server/src/fingerprint/parse';
import { parseSample } from '../../server/src/monitor/sample';
import { parseKnownHosts } from '../../server/src/ssh/knownHosts';
import { resolveHost } from '../../server/src/ssh/sshConfig';
import { sqliteModule } from '../../server/src/store/sqlite';
import { Store, StoreCorrupt } from '../../server/src/store/store';
import { makeSample } from '../support/samples';

const SEED = Number(process.env.PLUMBLINE_PROPERTY_SEED ?? 4242);
/** One call slower than this is a hang, whatever the machine's load (inputs are at most ~1 MB). */
const HANG_MS = 20_000;

interface Tally {
  parser: string;
  inputs: number;
  values: number;
  clearErrors: number;
  crashes: number;
  maxMs: number;
  maxInputChars: number;
}
const tallies: Tally[] = [];

after(() => {
  console.log(`\nparsers of untrusted input, fast-check seed ${SEED}`);
  console.table(tallies.map((t) => ({ ...t, maxMs: Math.round(t.maxMs) })));
});

/**
 * Runs `parse` on every input fast-check draws: a returned value or a clear error (non-empty
 * message) is fine; any exception that is not `clear` is a crash. Output size is bounded.
 */
function property(name: string, arb: fc.Arbitrary<string>, runs: number, parse: (input: string) => { ok: boolean; message?: string; value?: unknown }, clear: (e: unknown) => boolean = () => false): void {
  const t: Tally = { parser: name, inputs: 0, values: 0, clearErrors: 0, crashes: 0, maxMs: 0, maxInputChars: 0 };
  tallies.push(t);
  fc.assert(
    fc.property(arb, (input) => {
      t.inputs++;
      t.maxInputChars = Math.max(t.maxInputChars, input.length);
      const started = performance.now();
      let r: ReturnType<typeof parse>;
      try {
        r = parse(input);
      } catch (e) {
        if (!clear(e)) {
          t.crashes++;
          throw e;
        }
        r = { ok: false, message: (e as Error).message };
      }
      const ms = performance.now() - started;
      t.maxMs = Math.max(t.maxMs, ms);
      if (ms > HANG_MS) throw new Error(`${name}: one input took ${Math.round(ms)} ms`);
      if (r.ok) t.values++;
      else {
        t.clearErrors++;
        if (!r.message || r.message.trim() === '') throw new Error(`${name}: an error without a message`);
      }
      const size = JSON.stringify(r.value ?? r.message ?? '').length;
      if (size > 4 * input.length + 65_536) throw new Error(`${name}: ${input.length} characters in, ${size} out`);
    }),
    { seed: SEED, numRuns: runs },
  );
}

/** Valid text, then cut, spliced with junk, or with one character changed. */
function mutated(valid: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...valid),
    fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([v, n]) => v.slice(0, n % (v.length + 1))),
    fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.string({ unit: 'binary', maxLength: 40 })).map(([v, n, junk]) => {
      const at = n % (v.length + 1);
      return v.slice(0, at) + junk + v.slice(at);
    }),
    fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })).map(([v, n, c]) => {
      const at = n % Math.max(1, v.length);
      return v.slice(0, at) + c + v.slice(at + 1);
    }),
  );
}

/** Random text of every kind, huge repetitions and deep nesting. */
function hostile(valid: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: mutated(valid) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 400 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('[', '{"a":', '- ', '  ', 'Host *\n', '"'), fc.integer({ min: 1_000, max: 100_000 })).map(([s, n]) => s.repeat(n)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...valid), fc.integer({ min: 2, max: 200 })).map(([v, n]) => v.repeat(n)) },
  );
}

describe('parsers of untrusted input never crash, hang or grow without bound', () => {
  test('agent stream lines (parseSample)', () => {
    const valid = [JSON.stringify(makeSample(1, 1000)), JSON.stringify({ ...makeSample(2, 2000), notes: ['x'] })];
    property('agent stream line', hostile(valid), 600, (line) => {
      const r = parseSample(line);
      return r.ok ? { ok: true, value: r.value } : { ok: false, message: r.error.reason };
    });
  });

  test('capture output (parseCapture)', () => {
    const fp = '{"type":"fingerprint","schema":1}';
    const valid = [`motd line\n${fp}\nbye`, fp, `${fp}\n${fp}`];
    property('capture output', hostile(valid), 600, (out) => {
      const r = parseCapture(out, 'h');
      return r.ok ? { ok: true, value: r.value } : { ok: false, message: r.error.message };
    });
  });

  test('known_hosts (parseKnownHosts)', () => {
    const key = 'AAAAC3NzaC1lZDI1NTE5AAAAIHd4c3F1b3ZlcnNpZGVsaW5lMTIzNDU2Nzg5MGFi';
    const valid = [`web-1,10.0.0.1 ssh-ed25519 ${key}\n`, `@revoked * ssh-ed25519 ${key}\n|1|c2FsdA==|aGFzaA== ssh-ed25519 ${key}\n`, `[h]:2222 ssh-ed25519 ${key} comment\n# c\n`];
    property('known_hosts', hostile(valid), 600, (text) => {
      const r = parseKnownHosts(text, 'known_hosts');
      return { ok: true, value: { entries: r.entries.length, notes: r.notes.length } };
    });
  });

  test('plumbline.yaml (parseConfig), YAML alias bombs included', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`), 'environments: *i'].join('\n');
    const valid = ['environments:\n  e:\n    hosts: [web-1, deploy@10.0.0.2:2222]\n    interval: 5s\n', 'environments:\n  e:\n    hosts: [a]\n    actions: { mode: confirm, remediate: { restart: [app] } }\n', bomb];
    property('plumbline.yaml', hostile(valid), 150, (text) => {
      const r = parseConfig(text, '/w/plumbline.yaml');
      if (r.config && r.errors.length === 0) return { ok: true, value: r.config.environments.length };
      if (r.errors.some((e) => !e.message)) return { ok: false, message: '' };
      return { ok: false, message: r.errors.map((e) => e.message).join('; ') };
    });
  });

  test('ssh_config (resolveHost)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-prop-ssh-'));
    const file = path.join(dir, 'config');
    const valid = ['Host web-*\n  User deploy\n  Port 2222\n', 'Host b\n  HostName %h.x\n  ProxyJump j\nMatch host *.x user d*\n  IdentityFile ~/.ssh/%r\n', 'Host=a\n\tProxyJump=a,b\nInclude nothing_*\n'];
    try {
      property('ssh_config', hostile(valid), 300, (text) => {
        fs.writeFileSync(file, text);
        const r = resolveHost('web-1', { configFile: file, homeDir: dir, localUser: 'me' });
        return r.ok ? { ok: true, value: { h: r.value.hostname, p: r.value.port } } : { ok: false, message: r.error.kind === 'ConfigError' ? r.error.message : r.error.kind };
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('store rows (samples, fingerprints, snapshots read back)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-prop-store-'));
    const file = path.join(dir, 'plumbline.db');
    const store = Store.open(file);
    store.saveSamples('e', 'h', [makeSample(1, 1000)]);
    store.saveSnapshot('e', 'h', { takenBy: 't', reason: 'r', release: null, files: [] });
    const { DatabaseSync } = sqliteModule();
    const db = new DatabaseSync(file);
    try {
      property(
        'store rows',
        hostile([JSON.stringify(makeSample(1, 1000)), '[]']),
        300,
        (json) => {
          db.prepare('UPDATE samples SET json = ?').run(json);
          db.prepare('UPDATE snapshots SET json = ?').run(json);
          const samples = store.samples('e', 'h');
          store.latestSnapshot('e', 'h');
          return { ok: true, value: samples.length };
        },
        (e) => e instanceof StoreCorrupt && e.message.includes(file),
      );
    } finally {
      db.close();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the crash counter works: a parser that throws on some inputs is caught', () => {
    assert.throws(() =>
      property('self-check (throws on "{")', fc.constantFrom('a', '{'), 20, (s) => {
        if (s === '{') throw new SyntaxError('boom');
        return { ok: true };
      }),
    );
    assert.ok(tallies.find((t) => t.parser.startsWith('self-check'))!.crashes > 0);
  });
});
