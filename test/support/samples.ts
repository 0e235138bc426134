import type { Sample } from '../../server/src/monitor/sample';

/** A well-formed agent sample with every field, for tests of what consumes samples. */
export function makeSample(seq: number, ts: number, over: Partial<Sample['host']> = {}): Sample {
  return {
    type: 'sample',
    schema: 1,
    seq,
    ts,
    intervalMs: 1000,
    windowMs: 1000,
    host: {
      cpuPct: 10,
      rssKiB: 1000,
      memAvailableKiB: 500,
      memTotalKiB: 2000,
      load1: 0.5,
      processes: 12,
      fds: 40,
      diskReadBps: 0,
      diskWriteBps: 10,
      ioLatencyMs: null,
      netRxBps: 5,
      netTxBps: 6,
      disks: [{ mount: '/', usedPct: 40, availKiB: 1000 }],
      ...over,
    },
    app: {
      process: { pids: [42], rssKiB: 300, cpuPct: 1, threads: 7, fds: 20, restarts: 0 },
      health: { status: 200, latencyMs: 3.5 },
      metrics: { requests_total: seq * 10 },
    },
    config: { files: { '/etc/app.conf': 'a'.repeat(64), '/etc/gone': null }, release: '/srv/app/releases/1' },
  };
}
