import * as fs from 'node:fs';
import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { createDetector, type MetricDetector, type MetricDetectorOptions } from '../detect';
import { detectorOptionsFor, isKnownMetric } from '../detect/layer/metricProfile';
import { EXIT_ERROR, EXIT_OK } from './exitCodes';

export interface ScoreStreamOptions {
  /** Value column; default: the first column, other than the timestamp, whose first row is numeric. */
  column?: string;
  /** Timestamp column; default: `timestamp` if present, else the first column. */
  timestampColumn?: string;
  /** Fail on the first bad row instead of skipping it with a warning. */
  strict?: boolean;
  detector?: MetricDetectorOptions;
  /** Where warnings about skipped rows go (stderr in the CLI). */
  warn?: (message: string) => void;
}

export interface ScoreStreamSummary {
  readonly rows: number;
  readonly skipped: number;
  readonly column: string;
}

/** A CSV problem tied to a line of the input (1-based, the header is line 1). */
export class CsvLineError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * Timestamps as epoch milliseconds: ISO dates (a date without a zone is read as UTC, as NAB's are)
 * or epoch seconds/milliseconds.
 */
export function parseTimestamp(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const x = Number(t);
    return x < 1e11 ? x * 1000 : x;
  }
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t) ? `${t.replace(' ', 'T')}Z` : t;
  return Date.parse(iso);
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function splitCsv(line: string): string[] {
  // Plain CSV as metrics exporters write it; quoted cells are unquoted, embedded newlines unsupported.
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  cells.push(cur);
  return cells.map((x) => x.trim());
}

/**
 * Scores a CSV stream row by row: each row is scored before the next one is read, so the output
 * for a row never depends on later rows. Writes `timestamp,value,score,severity,state,reason`.
 * Bad rows (wrong number of cells, unreadable timestamp or value) are skipped with a warning
 * naming the line, or fail with a CsvLineError when `strict`; they never reach the detector.
 * The detector is the one `watch` runs per metric (detect/metric/metricDetector.ts); `state` is
 * learning, normal or anomalous, `severity` how far the row is from normal (it stays up while a
 * flagged state lasts), `score` the news (it rises when a flagged state begins or worsens).
 */
export async function scoreCsvStream(input: Readable, output: Writable, opts: ScoreStreamOptions = {}): Promise<ScoreStreamSummary> {
  // A column named like a metric watch knows (cpuPct, rssKiB, healthLatencyMs...) is judged as watch
  // judges it: its bad direction and floors; anything else by the data alone, counters included.
  let detector: MetricDetector | undefined;
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  const warn = opts.warn ?? (() => undefined);
  let header: string[] | undefined;
  let ti = -1;
  let vi = -1;
  let lineNo = 0;
  let rows = 0;
  let skipped = 0;
  const write = async (s: string): Promise<void> => {
    if (!output.write(s)) await new Promise<void>((resolve) => output.once('drain', resolve));
  };
  const bad = (message: string): void => {
    if (opts.strict) throw new CsvLineError(lineNo, message);
    skipped++;
    warn(`line ${lineNo}: ${message}; row skipped`);
  };

  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    const cells = splitCsv(line);
    if (!header) {
      header = cells;
      ti = opts.timestampColumn ? header.indexOf(opts.timestampColumn) : Math.max(0, header.indexOf('timestamp'));
      if (ti < 0) throw new CsvLineError(lineNo, `no timestamp column "${opts.timestampColumn}" in header ${line}`);
      if (opts.column) {
        vi = header.indexOf(opts.column);
        if (vi < 0) throw new CsvLineError(lineNo, `no column "${opts.column}" in header ${line}`);
      }
      await write('timestamp,value,score,severity,state,reason\n');
      continue;
    }
    if (vi < 0) {
      vi = cells.findIndex((c, i) => i !== ti && c !== '' && Number.isFinite(Number(c)));
      if (vi < 0) throw new CsvLineError(lineNo, 'no numeric column besides the timestamp; name one with --column');
    }
    if (cells.length !== header.length) {
      bad(`expected ${header.length} cells, found ${cells.length}`);
      continue;
    }
    const ts = parseTimestamp(cells[ti]);
    if (!Number.isFinite(ts)) {
      bad(`unreadable timestamp "${cells[ti]}"`);
      continue;
    }
    const value = cells[vi] === '' ? NaN : Number(cells[vi]);
    if (!Number.isFinite(value)) {
      bad(`value "${cells[vi]}" in column ${header[vi]} is not a number`);
      continue;
    }
    detector ??= createDetector(opts.detector ?? (isKnownMetric(header[vi]) ? detectorOptionsFor(header[vi]) : { metric: header[vi] }));
    const out = detector.update(ts, value);
    rows++;
    await write(`${csvCell(cells[ti])},${cells[vi]},${out.score},${out.severity},${out.state},${csvCell(out.detail)}\n`);
  }
  if (!header) throw new CsvLineError(1, 'empty input: expected a header line');
  return { rows, skipped, column: vi >= 0 ? header[vi] : (opts.column ?? '') };
}

/** `score`: anomaly scores for one metric stream from a CSV file, row by row. */
export function registerScoreCommand(program: Command): void {
  program
    .command('score')
    .description('score a metric stream (CSV) for anomalies, row by row, and write timestamp,value,score,severity,state,reason')
    .requiredOption('--input <file>', 'CSV file with a header row ("-" for stdin)')
    .option('--column <name>', 'value column (default: the first numeric column that is not the timestamp)')
    .option('--timestamp-column <name>', 'timestamp column (default: "timestamp", else the first column)')
    .option('--out <file>', 'write the scores here instead of stdout')
    .option('--strict', 'fail on the first bad row instead of skipping it with a warning')
    .action(async (flags: { input: string; column?: string; timestampColumn?: string; out?: string; strict?: boolean }) => {
      const input = flags.input === '-' ? process.stdin : fs.createReadStream(flags.input);
      const output = flags.out ? fs.createWriteStream(flags.out) : process.stdout;
      try {
        const summary = await scoreCsvStream(input, output, {
          column: flags.column,
          timestampColumn: flags.timestampColumn,
          strict: flags.strict,
          warn: (m) => process.stderr.write(`warning: ${m}\n`),
        });
        if (summary.skipped > 0) process.stderr.write(`warning: ${summary.skipped} bad row(s) skipped, ${summary.rows} scored\n`);
        process.exitCode = EXIT_OK;
      } catch (e) {
        process.stderr.write(`plumbline score: ${flags.input}: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = EXIT_ERROR;
      } finally {
        if (output !== process.stdout) await new Promise<void>((resolve) => output.end(resolve));
      }
    });
}
