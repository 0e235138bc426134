/**
 * Monitoring on real lab hosts (real sshd, real agent, real network): samples stream from two
 * hosts, a killed agent is reconnected, and the installed agent loses nothing across a 30 s
 * network cut while the other host keeps streaming. Uninstall leaves no trace.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../server/src/engine/engine';
import type { HostStreamState } from '../../server/src/monitor/hostStream';
import type { Monitor } from '../../server/src/monitor/monitor';
import type { Sample } from '../../server/src/monitor/sample';
import { labSkipReason, startLab, type LabFixture } from '../support/lab';

const skip = labSkipReason();

/** Resolves when `pred` holds after one of the monitor's events; rejects after `ms`. */
function until(monitor: Monitor, what: string, ms: number, pred: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pred()) return resolve();
    const check = (): void => {
      if (!pred()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const cleanup = (): void => {
      clearTimeout(timer);
      monitor.off('sample', check);
      monitor.off('state', check);
      monitor.off('stored', check);
    };
    monitor.on('sample', check);
    monitor.on('state', check);
    monitor.on('stored', check);
  });
}

function contiguous(seqs: number[]): boolean {
  return seqs.every((s, i) => i === 0 || s === seqs[i - 1] + 1);
}

describe('monitoring lab hosts', { skip }, () => {
  let lab: LabFixture;
  let engine: Engine;
  let data: string;

  before(async () => {
    lab = await startLab(2);
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-monitor-'));
    const opened = await Engine.open({ configFile: path.join(lab.dir, 'plumbline.yaml'), dataDir: data });
    assert.ok(opened.ok, JSON.stringify(!opened.ok && opened.error));
    engine = opened.value;
  });

  after(async () => {
    await engine?.agentUninstall('lab').catch(() => undefined);
    await engine?.close();
    await lab?.close();
    if (data) fs.rmSync(data, { recursive: true, force: true });
  });

  it('streams samples from both hosts at the interval, and reconnects after the agent is killed', async () => {
    const monitor = engine.monitor('lab', { source: 'stream', intervalMs: 1000, backoff: { baseMs: 200, capMs: 2000 } });
    const got = new Map<string, Sample[]>([
      ['web-1', []],
      ['web-2', []],
    ]);
    const states: Array<[string, HostStreamState['kind']]> = [];
    monitor.on('sample', (h, s) => got.get(h)!.push(s));
    monitor.on('state', (h, s) => states.push([h, s.kind]));
    monitor.start();
    try {
      await until(monitor, '4 samples from each host', 30_000, () => [...got.values()].every((l) => l.length >= 4));
      for (const [host, list] of got) {
        assert.ok(contiguous(list.map((s) => s.seq)), `${host}: ${list.map((s) => s.seq).join(',')}`);
        const steps = list.slice(1).map((s, i) => s.ts - list[i].ts);
        assert.ok(steps.every((d) => d >= 500 && d <= 2600), `${host}: steps ${steps.join(',')}`);
        const last = list[list.length - 1];
        assert.ok(last.app.process && last.app.process.pids.length > 0, `${host}: the app process is found`);
        assert.equal(last.app.health?.status, 200);
        assert.ok(last.app.metrics && 'requests_total' in last.app.metrics, `${host}: metrics ${JSON.stringify(last.app.metrics)}`);
      }

      // Kill the agent on web-1 (every process of it): the channel ends, the stream comes back.
      const before1 = got.get('web-1')!.length;
      const lastSeq = got.get('web-1')![before1 - 1].seq;
      states.length = 0;
      await lab.exec('web-1', ['pkill', '-KILL', '-f', 'plumbline-agent']);
      await until(monitor, 'web-1 to reconnect and stream again', 30_000, () => got.get('web-1')!.length >= before1 + 2 && states.some(([h, k]) => h === 'web-1' && k === 'streaming'));
      const kinds = states.filter(([h]) => h === 'web-1').map(([, k]) => k);
      assert.ok(kinds.includes('backoff') && kinds.includes('connecting'), `web-1 states: ${kinds.join(' → ')}`);
      const after1 = got.get('web-1')!.slice(before1);
      assert.ok(after1[0].seq > lastSeq, 'the sequence goes on after a reconnect');
      assert.ok(contiguous(got.get('web-1')!.map((s) => s.seq)));
    } finally {
      await monitor.stop();
    }
    const stored = engine.store.sampleSeqs('lab', 'web-2');
    assert.ok(stored.length >= 4 && contiguous(stored), `stored web-2 seqs ${stored.join(',')}`);
  });

  it('installed mode: a 30 s network cut loses no sample, the other host keeps streaming, uninstall leaves nothing', async () => {
    const st0 = await engine.agentStatus('lab');
    assert.ok(st0.every((o) => o.ok && !o.value.installed), JSON.stringify(st0));
    const inst = await engine.agentInstall('lab');
    assert.ok(inst.every((o) => o.ok && o.value.service === 'supervisor'), JSON.stringify(inst));
    const st1 = await engine.agentStatus('lab');
    assert.ok(st1.every((o) => o.ok && o.value.installed && o.value.running), JSON.stringify(st1));

    const monitor = engine.monitor('lab', { source: 'follow', stallMs: 8000, backoff: { baseMs: 500, capMs: 4000 }, batch: { flushMs: 200 } });
    const got = new Map<string, Sample[]>([
      ['web-1', []],
      ['web-2', []],
    ]);
    monitor.on('sample', (h, s) => got.get(h)!.push(s));
    const web1States: string[] = [];
    monitor.on('state', (h, s) => h === 'web-1' && web1States.push(s.kind === 'backoff' ? `backoff(${s.error})` : s.kind));
    monitor.start();
    try {
      await until(monitor, '2 samples from each host', 30_000, () => [...got.values()].every((l) => l.length >= 2));

      const index = lab.state.hosts.findIndex((h) => h.name === 'web-1');
      const veth = `${lab.state.bridge}v${index + 1}`;
      const web2Before = got.get('web-2')!.length;
      execFileSync('ip', ['link', 'set', veth, 'down']);
      const cutAt = Date.now();
      try {
        await new Promise((r) => setTimeout(r, 30_000));
      } finally {
        execFileSync('ip', ['link', 'set', veth, 'up']);
      }
      const web2During = got.get('web-2')!.length - web2Before;
      assert.ok(web2During >= 10, `web-2 delivered ${web2During} samples during the 30 s cut (interval 2 s)`);

      // Everything the agent wrote on web-1 reaches the store after the cut.
      const onHost = await engine.agentStatus('lab');
      const hostSeq = onHost.find((o) => o.host === 'web-1');
      assert.ok(hostSeq?.ok && hostSeq.value.lastSeq !== null);
      const target = hostSeq.value.lastSeq;
      await until(monitor, `web-1 stored up to seq ${target}`, 90_000, () => engine.store.lastSeq('lab', 'web-1') >= target);
      await monitor.flush();
      const seqs = engine.store.sampleSeqs('lab', 'web-1');
      assert.ok(contiguous(seqs), `stored web-1 seqs have a gap: ${seqs.join(',')}`);
      const cutSamples = engine.store.samples('lab', 'web-1').filter((s) => s.ts >= cutAt && s.ts <= cutAt + 30_000);
      assert.ok(cutSamples.length >= 10, `only ${cutSamples.length} samples from inside the cut were stored (states: ${web1States.join(' → ')})`);
    } finally {
      await monitor.stop();
    }

    const un = await engine.agentUninstall('lab');
    assert.ok(un.every((o) => o.ok && o.value.wasInstalled), JSON.stringify(un));
    for (const h of ['web-1', 'web-2']) {
      const left = await lab.exec(h, ['sh', '-c', 'for p in /var/lib/plumbline /etc/systemd/system/plumbline-agent.service; do test -e $p && ls -laR $p; done; true']);
      assert.equal(left, '', `${h}: uninstall left this behind`);
      // The bracket keeps grep from finding itself; a killed process may take a moment to go.
      let procs = '';
      for (let i = 0; i < 30; i++) {
        procs = await lab.exec(h, ['sh', '-c', 'for f in $(grep -l "plumbline-agen[t]" /proc/[0-9]*/cmdline 2>/dev/null); do tr "\\000" " " <$f | cut -c1-40; echo " ($f)"; done']);
        if (procs.trim() === '') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(procs.trim(), '', `${h}: agent processes left: ${procs}`);
    }
  });
});
