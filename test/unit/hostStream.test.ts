import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ok } from '../../server/src/common/result';
import { HostStream, type StreamOpener } from '../../server/src/monitor/hostStream';
import type { Sample } from '../../server/src/monitor/sample';
import type { ExecResult } from '../../server/src/ssh/connection';
import { makeSample } from '../support/samples';

/** An in-memory channel: the test pushes agent lines; close() ends it like a dropped channel. */
function fakeOpener(): StreamOpener & { push(line: string): void; opened: number } {
  let emit: ((line: string) => void) | undefined;
  const o = {
    opened: 0,
    push(line: string): void {
      emit?.(line);
    },
    stream(host: string, _argv: string[], onLine: (line: string) => void) {
      o.opened++;
      emit = onLine;
      let end!: (r: ExecResult) => void;
      const done = new Promise<ExecResult>((r) => (end = r));
      return Promise.resolve(ok({ close: () => end({ host, stdout: '', stderr: '', code: 0, durationMs: 0 }), done }));
    },
  };
  return o;
}

const line = (s: Sample): string => JSON.stringify(s);

describe('HostStream sequence numbers', () => {
  test('one sample with seq 2^53 − 1 does not blind the stream: it is refused as implausible and later samples go on', async () => {
    const opener = fakeOpener();
    const got: number[] = [];
    const malformed: string[] = [];
    const s = new HostStream({ host: 'h', opener, argv: () => ['agent'], source: 'stream', intervalMs: 1000 });
    s.on('sample', (x) => got.push(x.seq));
    s.on('malformed', (m) => malformed.push(m.reason));
    s.start();
    while (opener.opened === 0) await new Promise((r) => setImmediate(r));
    opener.push(line(makeSample(1, 1_000)));
    opener.push(line(makeSample(2, 2_000)));
    opener.push(line(makeSample(Number.MAX_SAFE_INTEGER, 3_000)));
    opener.push(line(makeSample(3, 3_000)));
    opener.push(line(makeSample(4, 4_000)));
    opener.push(line(makeSample(900_000, 5_000))); // plausible in size, but not 1 s after seq 4
    opener.push(line(makeSample(5, 5_000)));
    await s.stop();
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
    assert.equal(malformed.length, 2);
    assert.match(malformed[1], /seq 900000 jumps/);
    assert.match(malformed[0], /seq 9007199254740991 (jumps|is beyond)/);
  });

  test('a host whose sequence restarted (agent reinstalled) is followed again after a few newer samples, with a gap event', async () => {
    const opener = fakeOpener();
    const got: number[] = [];
    const gaps: string[] = [];
    const s = new HostStream({ host: 'h', opener, argv: () => ['agent'], source: 'stream', intervalMs: 1000, fromSeq: 5000 });
    s.on('sample', (x) => got.push(x.seq));
    s.on('gap', (g) => gaps.push(g.reason));
    s.start();
    while (opener.opened === 0) await new Promise((r) => setImmediate(r));
    opener.push(line(makeSample(5001, 10_000)));
    for (let i = 1; i <= 5; i++) opener.push(line(makeSample(i, 10_000 + i * 1000)));
    opener.push(line(makeSample(3, 20_000))); // a replay of an old one stays a duplicate
    await s.stop();
    assert.equal(got[0], 5001);
    assert.ok(got.includes(5), `the restarted sequence is followed: ${got.join(',')}`);
    assert.ok(gaps.includes('reset'), gaps.join(','));
    assert.equal(s.lastSeq, 5);
  });
});
