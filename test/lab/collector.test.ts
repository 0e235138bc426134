import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../server/src/config/load';
import { packageRoot } from '../../server/src/common/paths';
import { streamArgv } from '../../server/src/fingerprint/agent';
import { streamOptions } from '../../server/src/monitor/agentOptions';
import { HostStream } from '../../server/src/monitor/hostStream';
import { makeProbe } from '../../server/src/monitor/probe';
import type { Sample } from '../../server/src/monitor/sample';
import { SshPool } from '../../server/src/ssh/pool';
import { labSkipReason, startLab, type LabFixture } from '../support/lab';

/**
 * The fork-free stream (paced by the server, health and metrics read through the SSH connection)
 * against the agent as it was before (test/support/agent-forking.sh: its own sleep, cat, date, df,
 * grep, tr and curl), both streaming from the same lab host at the same time, with the same options.
 */

const skip = labSkipReason();

describe('collector: the fork-free stream gives the samples the forking agent gave', { skip }, () => {
  let lab: LabFixture;
  let pool: SshPool;

  before(async () => {
    lab = await startLab(1);
    pool = new SshPool({ sshConfigFile: path.join(lab.dir, 'ssh_config'), knownHostsFile: path.join(lab.dir, 'known_hosts'), agentSocket: '' });
  });

  after(async () => {
    await pool?.close();
    await lab?.close();
  });

  it('same host, same moments: the same process, health, metrics, files, release and host facts', async () => {
    const config = await loadConfig(path.join(lab.dir, 'plumbline.yaml'));
    assert.ok(config.config, JSON.stringify(config.errors));
    const env = config.config.environments.find((e) => e.name === 'lab')!;
    const opts = { ...streamOptions(env), intervalMs: 1000 };
    const host = lab.state.hosts[0].name;
    const oldScript = fs.readFileSync(path.join(packageRoot(), 'test', 'support', 'agent-forking.sh'), 'utf8');
    const paced = new HostStream({
      host,
      opener: pool,
      source: 'stream',
      intervalMs: 1000,
      argv: (_s, fromSeq, isPaced) => streamArgv(isPaced ? { ...opts, fromSeq, ticks: 'stdin', health: undefined, metrics: undefined } : { ...opts, fromSeq }),
      pace: {
        probe: makeProbe(
          async (h, p) => {
            const r = await pool.forward(host, h, p);
            return r.ok ? r : { ok: false as const, refused: r.error.kind === 'ForwardFailed' && r.error.refused, message: r.error.kind };
          },
          { health: opts.health, metrics: opts.metrics, intervalMs: 1000 },
        ),
      },
    });
    const forking = new HostStream({
      host,
      opener: pool,
      source: 'stream',
      intervalMs: 1000,
      argv: (_s, fromSeq) => {
        const argv = streamArgv({ ...opts, fromSeq });
        argv[2] = oldScript;
        return argv;
      },
    });
    const got = { paced: [] as Sample[], forking: [] as Sample[] };
    paced.on('sample', (s) => got.paced.push(s));
    forking.on('sample', (s) => got.forking.push(s));
    paced.start();
    forking.start();
    try {
      const t0 = Date.now();
      while ((got.paced.length < 8 || got.forking.length < 8) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 200));
    } finally {
      await Promise.all([paced.stop(), forking.stop()]);
    }
    assert.ok(got.paced.length >= 8 && got.forking.length >= 8, `samples: ${got.paced.length} paced, ${got.forking.length} forking`);
    for (const list of [got.paced, got.forking]) {
      assert.deepEqual(
        list.map((s) => s.seq),
        list.map((_s, i) => i + 1),
        'seq 1, 2, 3… without a gap',
      );
    }
    // Compare the forking agent's last sample with the paced sample nearest to it in time.
    const b = got.forking[got.forking.length - 1];
    const a = got.paced.reduce((best, s) => (Math.abs(s.ts - b.ts) < Math.abs(best.ts - b.ts) ? s : best));
    assert.ok(Math.abs(a.ts - b.ts) < 1500, `ts ${a.ts} vs ${b.ts}`);
    assert.equal(a.intervalMs, b.intervalMs);
    assert.ok(a.windowMs >= 500 && a.windowMs <= 3000, `windowMs ${a.windowMs}`);
    // The app: the same pids, threads; fds and RSS of the same processes.
    assert.ok(a.app.process && b.app.process);
    assert.deepEqual([...a.app.process.pids].sort(), [...b.app.process.pids].sort());
    assert.ok(a.app.process.pids.length > 0);
    assert.equal(a.app.process.threads, b.app.process.threads);
    assert.equal(a.app.process.fds, b.app.process.fds);
    assert.equal(a.app.process.restarts, b.app.process.restarts);
    assert.ok(Math.abs(a.app.process.rssKiB - b.app.process.rssKiB) <= 0.05 * b.app.process.rssKiB, `app rss ${a.app.process.rssKiB} vs ${b.app.process.rssKiB}`);
    // Health and metrics: read by the server through SSH vs by curl on the host.
    assert.equal(a.app.health?.status, 200);
    assert.equal(a.app.health?.status, b.app.health?.status);
    assert.ok(a.app.health?.latencyMs !== null && a.app.health?.latencyMs !== undefined && a.app.health.latencyMs >= 0);
    assert.ok(a.app.metrics && b.app.metrics);
    assert.deepEqual(Object.keys(a.app.metrics).sort(), Object.keys(b.app.metrics).sort());
    // Both readers hit the app every second, so counters move; gauges of the same process agree.
    for (const k of Object.keys(b.app.metrics)) assert.ok(Number.isFinite(a.app.metrics[k]), k);
    // Managed files and the release target: identical.
    assert.deepEqual(a.config, b.config);
    assert.ok(Object.keys(a.config.files).length > 0);
    // Host facts: the same machine-wide values; the process count differs only by the other
    // agent's short-lived children.
    assert.equal(a.host.memTotalKiB, b.host.memTotalKiB);
    assert.deepEqual(
      a.host.disks.map((d) => d.mount),
      b.host.disks.map((d) => d.mount),
    );
    for (let i = 0; i < a.host.disks.length; i++) assert.ok(Math.abs(a.host.disks[i].usedPct - b.host.disks[i].usedPct) < 1);
    assert.ok(Math.abs(a.host.processes - b.host.processes) <= 6, `processes ${a.host.processes} vs ${b.host.processes}`);
    assert.ok(a.host.fds > 0 && Math.abs(a.host.fds - b.host.fds) <= 0.25 * b.host.fds, `fds ${a.host.fds} vs ${b.host.fds}`);
    assert.ok(a.host.cpuPct >= 0 && b.host.cpuPct >= 0);
    assert.equal(a.notes, undefined, JSON.stringify(a.notes));
  });
});
