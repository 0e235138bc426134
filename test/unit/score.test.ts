import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { CsvLineError, parseTimestamp, scoreCsvStream, type ScoreStreamOptions } from '../../server/src/cli/score';
import { LayerDetector } from '../../server/src/detect/layer/layerDetector';
import type { LayerObservation } from '../../server/src/detect/layer/types';
import { defaultNabDir, nabDirExists } from '../../server/src/nab/corpus';
import { rng } from '../../server/src/nab/synthetic';

async function score(csv: string, opts: ScoreStreamOptions = {}): Promise<{ lines: string[]; warnings: string[]; rows: number; column: string }> {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  const warnings: string[] = [];
  const summary = await scoreCsvStream(Readable.from([csv]), out, { warn: (m) => warnings.push(m), ...opts });
  out.end();
  return { lines: chunks.join('').trimEnd().split('\n'), warnings, rows: summary.rows, column: summary.column };
}

function series(n: number): string {
  const rows = ['timestamp,host,value'];
  for (let i = 0; i < n; i++) rows.push(`2024-01-01 ${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00,web1,${i === 250 ? 500 : 10 + (i % 7)}`);
  return `${rows.join('\n')}\n`;
}

describe('plumbline score', () => {
  it('writes timestamp,value,score,severity,state,reason, picking the first numeric column', async () => {
    const r = await score(series(300));
    assert.equal(r.lines[0], 'timestamp,value,score,severity,state,reason');
    assert.equal(r.lines.length, 301);
    assert.equal(r.column, 'value');
    const spike = r.lines[251].split(',');
    assert.equal(spike[1], '500');
    assert.ok(Number(spike[2]) > 0.5, r.lines[251]);
    assert.equal(spike[4], 'anomalous');
    assert.match(r.lines[251], /500 is [\d.]+ robust σ above the expected/);
    assert.equal(r.lines[1].split(',')[4], 'learning');
  });

  it('judges a series as watch does: the rows it flags are the rows the live path reports, with the same reason', async () => {
    const r = rng(5);
    const t0 = Date.UTC(2024, 0, 1);
    // cpuPct at 1 s: noise, a one-minute hog at 600, a spike at 900.
    const values = Array.from({ length: 1200 }, (_, i) => 20 + 4 * r() + (i >= 600 && i < 660 ? 70 : 0) + (i === 900 ? 40 : 0));
    const csv = `timestamp,cpuPct\n${values.map((v, i) => `${(t0 + i * 1000) / 1000},${v}`).join('\n')}\n`;
    const rows = (await score(csv)).lines.slice(1).map((l) => l.split(','));

    const live = new LayerDetector({ host: 'web-1', layer: 'hardware', autoencoder: false });
    const obs = values.map((v, i): LayerObservation => ({ ts: t0 + i * 1000, layer: 'hardware', metrics: { cpuPct: v } }));
    await live.train(obs.slice(0, 30));
    const findings = obs.slice(30).map((o) => live.observe(o).find((f) => f.source === 'stats' && f.metric === 'cpuPct'));

    const flaggedByScore = rows.slice(30).map((c) => c[4] === 'anomalous');
    assert.deepEqual(findings.map((f) => f !== undefined), flaggedByScore);
    assert.ok(flaggedByScore.slice(570, 630).every(Boolean), 'the hog is flagged on every row by both');
    findings.forEach((f, i) => {
      if (f) assert.ok(f.detail.startsWith(rows[30 + i].slice(5).join(',').replace(/^"|"$/g, '')), `${f.detail} vs ${rows[30 + i][5]}`);
    });
  });

  it('skips bad rows with a warning naming the line, or fails on them with --strict', async () => {
    const csv = 'timestamp,value\n2024-01-01 00:00:00,1\nnot-a-date,2\n2024-01-01 00:02:00,abc\n2024-01-01 00:03:00,4\n';
    const r = await score(csv);
    assert.equal(r.rows, 2);
    assert.deepEqual(r.warnings, ['line 3: unreadable timestamp "not-a-date"; row skipped', 'line 4: value "abc" in column value is not a number; row skipped']);
    await assert.rejects(score(csv, { strict: true }), (e: unknown) => e instanceof CsvLineError && e.line === 3);
    await assert.rejects(score(csv, { column: 'nope' }), /no column "nope"/);
  });

  it('reads zone-less timestamps as UTC and accepts epoch seconds', () => {
    assert.equal(parseTimestamp('2014-07-01 00:00:00'), Date.UTC(2014, 6, 1));
    assert.equal(parseTimestamp('1404172800'), Date.UTC(2014, 6, 1));
  });

  const dir = defaultNabDir();
  const file = path.join(dir, 'data', 'realKnownCause', 'nyc_taxi.csv');
  const missing = !nabDirExists(dir);
  it(
    'has no look-ahead on a real NAB file: the first k scores are the same when the file is cut after row k',
    { skip: missing && !process.env.CI ? `NAB dataset not found at ${dir} (set NAB_DIR)` : false },
    async () => {
      assert.ok(fs.existsSync(file), `NAB dataset not found at ${dir}`);
      const text = fs.readFileSync(file, 'utf8');
      const full = (await score(text)).lines;
      for (const k of [1000, 5839]) {
        const cut = `${text.split('\n').slice(0, k + 1).join('\n')}\n`;
        assert.deepEqual((await score(cut)).lines, full.slice(0, k + 1), `cut after row ${k}`);
      }
    },
  );
});
