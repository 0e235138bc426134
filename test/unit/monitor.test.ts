import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff, backoffCeiling } from '../../server/src/monitor/backoff';
import { BatchWriter } from '../../server/src/monitor/batchWriter';
import { rollUp } from '../../server/src/monitor/rollup';
import { Ring } from '../../server/src/monitor/ring';
import { parseSample } from '../../server/src/monitor/sample';
import { Store } from '../../server/src/store/store';
import { makeSample } from '../support/samples';

describe('parseSample', () => {
  test('accepts an agent line and keeps every field', () => {
    const s = makeSample(3, 1_700_000_000_000);
    const r = parseSample(JSON.stringify({ ...s, future: 'ignored' }));
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.value, s);
  });

  test('malformed lines are values with a reason, never exceptions', () => {
    const good = makeSample(1, 1000);
    const cases: Array<[string, RegExp]> = [
      ['not json', /not JSON/],
      ['[]', /not an object/],
      [JSON.stringify({ ...good, type: 'fingerprint' }), /not "sample"/],
      [JSON.stringify({ ...good, schema: 2 }), /schema 2 is not supported/],
      [JSON.stringify({ ...good, seq: 0 }), /seq is not a whole number >= 1/],
      [JSON.stringify({ ...good, seq: 1.5 }), /seq/],
      [JSON.stringify({ ...good, host: { ...good.host, cpuPct: 'x' } }), /host.cpuPct is not a number/],
      [JSON.stringify({ ...good, app: { ...good.app, metrics: { a: 'NaN' } } }), /app.metrics/],
      [JSON.stringify({ ...good, config: { files: { '/x': 'nothex' }, release: null } }), /sha256/],
      ['x'.repeat(2 << 20), /too long/],
    ];
    for (const [line, reason] of cases) {
      const r = parseSample(line);
      assert.equal(r.ok, false, line.slice(0, 80));
      if (!r.ok) {
        assert.match(r.error.reason, reason);
        assert.ok(r.error.excerpt.length <= 121);
      }
    }
  });
});

describe('Backoff', () => {
  test('full jitter under an exponential ceiling, capped, reset after a success', () => {
    const seen: number[] = [];
    const b = new Backoff({ baseMs: 100, capMs: 5000, random: () => 0.999999 });
    for (let i = 0; i < 12; i++) seen.push(b.next());
    assert.deepEqual(seen.slice(0, 7), [99, 199, 399, 799, 1599, 3199, 4999]);
    assert.ok(seen.every((d) => d < 5000));
    assert.equal(b.attempt, 12);
    b.reset();
    assert.equal(b.attempt, 0);
    assert.equal(b.next(), 99);
    assert.equal(backoffCeiling(5000, 100, 30_000), 30_000); // no overflow to Infinity/NaN
  });

  test('delays are spread over [0, ceiling)', () => {
    const b = new Backoff({ baseMs: 1000, capMs: 1000 });
    const d = Array.from({ length: 2000 }, () => b.next());
    assert.ok(d.every((x) => x >= 0 && x < 1000));
    assert.ok(Math.min(...d) < 100 && Math.max(...d) > 900, 'jitter covers the range');
  });
});

describe('Ring', () => {
  test('keeps only the newest capacity items, oldest first', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 10; i++) r.push(i);
    assert.equal(r.size, 3);
    assert.deepEqual(r.toArray(), [8, 9, 10]);
    assert.equal(r.last(), 10);
    assert.throws(() => new Ring(0), RangeError);
  });
});

describe('BatchWriter', () => {
  test('batches by size and time', async () => {
    const batches: number[][] = [];
    const w = new BatchWriter<number>((b) => void batches.push(b), { maxBatch: 4, flushMs: 20 });
    for (let i = 0; i < 9; i++) w.push(i);
    // Two full batches, then the ninth row on the timer (however late a busy machine runs it).
    const deadline = Date.now() + 5000;
    while (batches.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(batches, [[0, 1, 2, 3], [4, 5, 6, 7], [8]]);
    await w.close();
  });

  test('a slow store pauses the producer; the queue stays bounded and nothing is lost', async () => {
    const written: number[] = [];
    const w = new BatchWriter<number>(
      async (b) => {
        await new Promise((r) => setTimeout(r, 15)); // a slow disk
        written.push(...b);
      },
      { maxBatch: 50, flushMs: 5, highWater: 200 },
    );
    let paused = false;
    let pauses = 0;
    w.onDrain(() => {
      paused = false;
    });
    let next = 0;
    const total = 3000;
    // A producer as fast as the event loop allows, which honours push() === false.
    while (next < total) {
      if (paused) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      if (!w.push(next++)) {
        paused = true;
        pauses++;
      }
      if (next % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await w.close();
    const st = w.stats();
    assert.ok(pauses > 0, 'the producer was asked to pause');
    assert.ok(st.peakQueued <= 200, `queue peaked at ${st.peakQueued}`);
    assert.deepEqual(written, Array.from({ length: total }, (_, i) => i));
  });

  test('a failing store keeps the batch and retries', async () => {
    let fail = 2;
    const written: number[] = [];
    const errors: unknown[] = [];
    const w = new BatchWriter<number>(
      (b) => {
        if (fail-- > 0) throw new Error('disk full');
        written.push(...b);
      },
      { maxBatch: 10, flushMs: 5, onError: (e) => errors.push(e) },
    );
    for (let i = 0; i < 5; i++) w.push(i);
    await new Promise((r) => setTimeout(r, 60));
    await w.close();
    assert.equal(errors.length, 2);
    assert.deepEqual(written, [0, 1, 2, 3, 4]);
  });
});

describe('Store samples', () => {
  test('saveSamples, lastSeq, samples by time, replays skipped', () => {
    const store = Store.open(':memory:');
    try {
      assert.equal(store.lastSeq('lab', 'web-1'), 0);
      const t0 = 1_700_000_000_000;
      const batch = Array.from({ length: 10 }, (_, i) => makeSample(i + 1, t0 + i * 1000));
      assert.equal(store.saveSamples('lab', 'web-1', batch), 10);
      assert.equal(store.saveSamples('lab', 'web-1', batch.slice(5)), 0, 'a replay adds nothing');
      assert.equal(store.lastSeq('lab', 'web-1'), 10);
      assert.equal(store.lastSeq('lab', 'web-2'), 0);
      const mid = store.samples('lab', 'web-1', { fromTs: t0 + 2000, toTs: t0 + 5000 });
      assert.deepEqual(mid.map((s) => s.seq), [3, 4, 5]);
      assert.deepEqual(mid[0], batch[2]);
      assert.deepEqual(store.samples('lab', 'web-1', { limit: 2 }).map((s) => s.seq), [1, 2]);
      assert.deepEqual(store.sampleSeqs('lab', 'web-1'), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      store.close();
    }
  });

  test('compact rolls old samples into 1-minute min/mean/max rows and keeps recent ones raw', () => {
    const store = Store.open(':memory:');
    try {
      const minute = 60_000;
      const t0 = 1_700_000_040_000 - (1_700_000_040_000 % minute); // a minute boundary
      // 3 minutes of samples every 10 s, cpu 0..17
      const all = Array.from({ length: 18 }, (_, i) => makeSample(i + 1, t0 + i * 10_000, { cpuPct: i }));
      store.saveSamples('lab', 'web-1', all);
      const now = t0 + 2 * minute + 24 * 3600_000 + 30_000; // cutoff = t0 + 2 min
      const r = store.compact(now);
      assert.deepEqual(r, { rawDeleted: 12, rollupRows: 2 });
      assert.deepEqual(store.samples('lab', 'web-1').map((s) => s.seq), [13, 14, 15, 16, 17, 18]);
      const rolled = store.rollups('lab', 'web-1');
      assert.equal(rolled.length, 2);
      assert.deepEqual([rolled[0].minute, rolled[0].n, rolled[0].firstSeq, rolled[0].lastSeq], [t0, 6, 1, 6]);
      assert.deepEqual(rolled[0].fields['host.cpuPct'], { n: 6, min: 0, mean: 2.5, max: 5 });
      assert.deepEqual(rolled[1].fields['host.cpuPct'], { n: 6, min: 6, mean: 8.5, max: 11 });
      assert.equal(rolled[0].fields['app.metrics.requests_total'].max, 60);
      assert.equal(rolled[0].fields['host.disks[/].usedPct'].mean, 40);
      assert.equal(store.lastSeq('lab', 'web-1'), 18);
      // A late sample for a minute already rolled up is merged into it.
      store.saveSamples('lab', 'web-1', [makeSample(100, t0 + 5_000, { cpuPct: 100 })]);
      store.compact(now);
      const merged = store.rollups('lab', 'web-1')[0];
      assert.equal(merged.n, 7);
      assert.deepEqual(merged.fields['host.cpuPct'], { n: 7, min: 0, mean: (15 + 100) / 7, max: 100 });
      assert.equal(store.lastSeq('lab', 'web-1'), 100, 'lastSeq remembers rolled-up seqs');
      assert.deepEqual(store.compact(now), { rawDeleted: 0, rollupRows: 0 });
    } finally {
      store.close();
    }
  });

  test('rollUp summarises any order of samples by minute', () => {
    const r = rollUp([makeSample(2, 61_000, { cpuPct: 4 }), makeSample(1, 60_500, { cpuPct: 2 }), makeSample(3, 5_000)]);
    assert.deepEqual(
      r.map((x) => [x.minute, x.n, x.firstSeq, x.lastSeq]),
      [
        [0, 1, 3, 3],
        [60_000, 2, 1, 2],
      ],
    );
    assert.equal(r[1].fields['host.cpuPct'].mean, 3);
    assert.equal(r[1].fields['host.ioLatencyMs'], undefined, 'nulls are left out');
  });
});
