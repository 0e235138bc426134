/**
 * The crash suite on real lab hosts: the real CLI is killed with SIGKILL in the middle of capture,
 * snapshot, switch and rollback, at every step boundary the action reports (`act --steps`), and
 * the network of a host is cut in the middle of a switch and a rollback. After each: the host is
 * in a known state (what nginx serves is what the upstream file says, each colour runs the release
 * the link names, or Plumbline names the half-done part and the command that finishes it), the
 * store passes its check, the audit closes the action with an `interrupted` entry, and the next
 * command tells the person what to do. Prints one table row per case.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ActionReport } from '../../server/src/act/types';
import { packageRoot } from '../../server/src/common/paths';
import { renderTable } from '../../server/src/cli/table';
import { runCli } from '../support/cli';
import { labSkipReason, startLab, type LabFixture } from '../support/lab';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from 'vscode-languageserver-protocol/node';

const skip = labSkipReason();

/** SIGKILL to a process this test started; one that already exited is fine. */
function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

interface Killed {
  /** Where it was killed: the step it had just announced, or a time. */
  at: string;
  /** It finished before the kill came. */
  finished: boolean;
  stderr: string;
}

interface Row {
  op: string;
  at: string;
  state: string;
  audit: string;
  told: string;
}

describe('crash suite: kill -9 and network cuts mid-action on real lab hosts', { skip }, () => {
  let lab: LabFixture;
  let work: string;
  let config: string;
  let data: string;
  const rows: Row[] = [];
  const flags = () => ['--config', config, '--data', data];
  const cli = (...args: string[]) => runCli([...args, ...flags()]);

  /** Runs the CLI and kills it with SIGKILL when `when` says so (a stderr line or a time). */
  const killMid = (args: string[], when: { stepIndex: number } | { afterMs: number }): Promise<Killed> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(packageRoot(), 'dist', 'cli.js'), ...args, ...flags()], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      let steps = 0;
      let at = 'never';
      let done = false;
      const kill = (where: string) => {
        if (done) return;
        done = true;
        at = where;
        child.kill('SIGKILL');
      };
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (!('stepIndex' in when)) return;
        for (const line of d.split('\n')) {
          const m = /^plumbline: step \((read|change)\): (.*)$/.exec(line);
          if (m && steps++ === when.stepIndex) kill(`step ${when.stepIndex + 1} (${m[1]}): ${m[2]}`);
        }
      });
      if ('afterMs' in when) setTimeout(() => kill(`${when.afterMs} ms after start`), when.afterMs);
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ at, finished: signal !== 'SIGKILL' && code !== null, stderr }));
    });

  /** What the host does now, read as root inside it (not over SSH): which colour serves, which release each colour runs. */
  const hostNow = async (host: string) => {
    const out = await lab.exec(host, [
      'sh',
      '-c',
      'readlink /srv/app/current; cat /etc/nginx/conf.d/upstream.conf; for i in 1 2 3; do curl -s --max-time 3 http://127.0.0.1/healthz; echo; done; for p in 8081 8082; do curl -s --max-time 3 http://127.0.0.1:$p/healthz; echo; done',
    ]);
    const lines = out.split('\n');
    const link = lines[0].replace(/^releases\//, '');
    const upstream = /server 127\.0\.0\.1:8082;/.test(out) ? 'green' : /server 127\.0\.0\.1:8081;/.test(out) ? 'blue' : '?';
    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { colour: string; release: string; status: string });
    const served = json.slice(0, 3);
    const colours = json.slice(3);
    return { link, upstream, served: [...new Set(served.map((s) => s.colour))], colours: Object.fromEntries(colours.map((c) => [c.colour, c.release])) as Record<string, string>, healthy: colours.length === 2 && colours.every((c) => c.status === 'ok') };
  };

  /** What nginx and the upstream look like, for a failure message. */
  const nginxDiag = (host: string) =>
    lab.exec(host, ['sh', '-c', 'cat /etc/nginx/conf.d/upstream.conf; ls -la /etc/nginx/conf.d; tail -n 20 /var/log/nginx/error.log 2>&1; for d in /proc/[0-9]*; do a=$(tr "\\000" " " <$d/cmdline 2>/dev/null); case $a in *nginx*|*plumbline*) echo "${d#/proc/} $a" | cut -c1-120 ;; esac; done']);
  const sameColour = async (host: string, now: { served: string[]; upstream: string }, what: string) => {
    if (now.served[0] !== now.upstream) assert.fail(`${what}: nginx serves ${now.served.join(',')} but the upstream file says ${now.upstream}\n${await nginxDiag(host)}`);
  };

  /**
   * Waits for the lab's supervisor and nginx to settle after a kill: a restart the kill cut short
   * finishes on the host, and so does a switch's commit (upstream installed, nginx -t, reload), so
   * for a moment the file can name the new colour while nginx still serves the old one. A commit
   * that never finishes stays that way and fails `sameColour` after 10 s.
   */
  const settled = async (host: string) => {
    let now = await hostNow(host);
    for (let i = 0; i < 40 && (!now.healthy || now.served.length !== 1 || now.served[0] !== now.upstream); i++) {
      await new Promise((r) => setTimeout(r, 250));
      now = await hostNow(host);
    }
    return now;
  };

  /** The next command after the kill: it must report and close the interrupted action once. */
  const recover = async (): Promise<{ told: string; audit: string }> => {
    const r = await cli('audit', 'lab', '--json');
    assert.equal(r.code, 0, `audit after the kill: ${r.stderr}`);
    const told = r.stderr.split('\n').filter((l) => l.startsWith('plumbline: INTERRUPTED:')).join('\n');
    const entries = (JSON.parse(r.stdout) as { entries: { id: number; outcome: string; summary: string; details?: { startedId?: number } }[]; chain: { ok: boolean } }).entries;
    assert.ok((JSON.parse(r.stdout) as { chain: { ok: boolean } }).chain.ok, 'the audit chain verifies after the kill');
    const started = entries.filter((e) => e.outcome === 'started');
    for (const s of started) assert.ok(entries.some((e) => e.details?.startedId === s.id), `started entry ${s.id} is closed (finished, failed or interrupted): ${s.summary}`);
    const last = entries[entries.length - 1];
    const again = await cli('audit', 'lab', '--json');
    assert.doesNotMatch(again.stderr, /INTERRUPTED/, 'an interrupted action is reported once');
    return { told, audit: last ? `${last.id} ${last.outcome}` : '-' };
  };

  const storeOk = async () => {
    const r = await cli('store', 'check', '--json');
    assert.equal(r.code, 0, `store check after the kill: ${r.stdout} ${r.stderr}`);
  };

  /** A deployment by someone else: release r1, an edited env file, both colours restarted on it. */
  const deploy = async (host: string) => {
    await lab.exec(host, [
      'sh',
      '-c',
      'cd /srv/app && ln -sfn releases/r1 current.new && mv -T current.new current && echo DEPLOYED=1 >> shared/app.env && for c in blue green; do kill "$(cat /run/plumbline-app-$c.pid)"; done; sleep 1; for i in $(seq 1 75); do curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:8081/healthz && curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:8082/healthz && exit 0; sleep 0.2; done; exit 1',
    ]);
    const now = await hostNow(host);
    assert.equal(now.link, 'r1');
    assert.deepEqual(now.colours, { blue: 'r1', green: 'r1' });
  };

  before(async () => {
    lab = await startLab(2);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-crash-lab-'));
    config = path.join(lab.dir, 'plumbline.yaml');
    data = path.join(work, 'data');
    assert.equal((await cli('baseline', 'lab', '--json')).code, 0);
    assert.equal((await cli('snapshot', 'lab', '--json', '--reason', 'before the deployment')).code, 0);
  });

  after(async () => {
    if (rows.length) process.stdout.write(`\n${renderTable(['OPERATION', 'KILLED AT', 'HOST AFTER', 'AUDIT (LAST)', 'TOLD THE USER'], rows.map((r) => [r.op, r.at, r.state, r.audit, r.told]), 70)}\n`);
    await lab?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('capture and snapshot killed mid-way: nothing changes on the host, the store opens and checks, the next run works', async () => {
    const full = Date.now();
    assert.equal((await cli('baseline', 'lab', '--json')).code, 0);
    const captureMs = Date.now() - full;
    const t = Date.now();
    assert.equal((await cli('snapshot', 'lab', '--json', '--reason', 'calibration')).code, 0);
    const snapshotMs = Date.now() - t;
    const before = { 'web-1': await hostNow('web-1'), 'web-2': await hostNow('web-2') };
    for (const [op, args, ms] of [
      ['capture', ['baseline', 'lab', '--json'], captureMs],
      ['snapshot', ['snapshot', 'lab', '--json', '--reason', 'crash test'], snapshotMs],
    ] as const) {
      for (const f of [0.3, 0.5, 0.7, 0.9]) {
        const k = await killMid([...args], { afterMs: Math.round(ms * f) });
        await storeOk();
        for (const h of ['web-1', 'web-2'] as const) assert.deepEqual(await hostNow(h), before[h], `${op}: ${h} unchanged`);
        rows.push({ op, at: `${k.at}${k.finished ? ' (had finished)' : ''}`, state: 'unchanged (read-only)', audit: '-', told: 'store check ok' });
      }
      const again = await cli(...args);
      assert.equal(again.code, 0, `${op} after the kills: ${again.stderr}`);
    }
    // The newest snapshot is whole: a rollback plan reads it.
    const plan = await cli('act', 'lab', 'web-1', 'rollback', '--dry-run', '--json');
    assert.equal(plan.code, 0, plan.stderr);
  });

  it('switch killed at every step: nginx serves what the upstream file says, both colours healthy; the audit closes it', async (t) => {
    const calib = await cli('act', 'lab', 'web-1', 'switch', '--yes', '--json', '--steps');
    assert.equal(calib.code, 0, calib.stderr);
    const stepCount = calib.stderr.split('\n').filter((l) => l.startsWith('plumbline: step ')).length;
    assert.ok(stepCount >= 6, `the switch announced ${stepCount} steps`);
    for (let i = 0; i < stepCount; i++) {
      const before = await hostNow('web-1');
      const k = await killMid(['act', 'lab', 'web-1', 'switch', '--yes', '--json', '--steps'], { stepIndex: i });
      const now = await settled('web-1');
      assert.equal(now.served.length, 1, `one colour serves: ${JSON.stringify(now)}`);
      await sameColour('web-1', now, k.at);
      assert.ok(now.healthy, `both colours healthy: ${JSON.stringify(now)}`);
      const { told, audit } = await recover();
      if (!k.finished && /change/.test(k.at)) assert.match(told, /switch on web-1 started .* never finished; the host now: release/, k.at);
      await storeOk();
      rows.push({ op: 'switch', at: k.at, state: now.served[0] === before.served[0] ? `before (${now.served[0]} serves)` : `after (${now.served[0]} serves)`, audit, told: told ? 'INTERRUPTED + state + what to do' : '(no action had started)' });
    }
    t.diagnostic(`switch: ${stepCount} kill points`);
  });

  it('rollback killed at every change: release and colours before or after, never half (the host finishes what the client started), and the audit says so', async () => {
    await deploy('web-2');
    const calib = await cli('act', 'lab', 'web-2', 'rollback', '--yes', '--json', '--steps');
    assert.equal(calib.code, 0, calib.stderr);
    const lines = calib.stderr.split('\n').filter((l) => l.startsWith('plumbline: step '));
    // Each change as it is sent, and the step after it (the change done).
    const points = [...new Set(lines.flatMap((l, i) => (l.includes('(change)') ? [i, i + 1] : [])).filter((i) => i < lines.length))];
    assert.ok(points.length >= 6, `rollback kill points: ${points.length}`);
    for (const i of points) {
      await deploy('web-2');
      const k = await killMid(['act', 'lab', 'web-2', 'rollback', '--yes', '--json', '--steps'], { stepIndex: i });
      // The next command waits for the host's finisher (if the kill left it work), then reports.
      const { told, audit } = await recover();
      await storeOk();
      const now = await settled('web-2');
      const consistent = now.colours.blue === now.link && now.colours.green === now.link;
      const state = now.link === 'r1' && consistent ? 'before (r1 everywhere)' : now.link === 'r2' && consistent ? 'after (r2 everywhere)' : `HALF: link ${now.link}, blue ${now.colours.blue}, green ${now.colours.green}`;
      assert.ok(consistent, `${k.at}: ${state}; told: ${told}`);
      assert.equal(now.served.length, 1);
      await sameColour('web-2', now, `${k.at}: ${JSON.stringify(now)}`);
      const byHost = /finished it by itself/.test(told);
      assert.doesNotMatch(told, /HALF-DONE/, told);
      // Finished (by the client or the host), the managed files are the snapshot's too, not only the link and the colours.
      if (told && now.link === 'r2') assert.doesNotMatch(told, /NOT as in snapshot/, `${k.at}: ${told}`);
      rows.push({ op: 'rollback', at: k.at, state: `${state}${byHost ? ', finished by the host' : ''}`, audit, told: told ? (byHost ? 'INTERRUPTED + finished by the host + its steps' : 'INTERRUPTED + state + what to do') : '(no action had started)' });
    }
  });

  it('the language server killed mid-switch and mid-rollback: the host is in a known state, and the next server says what happened', async () => {
    /** The editor's language server over stdio, as VS Code starts it; answers its requests as a client would. */
    const startServer = async (warnings: string[]): Promise<{ rpc: ProtocolConnection; pid: number; exited: Promise<void> }> => {
      const child = spawn(process.execPath, [path.join(packageRoot(), 'dist', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      const rpc = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
      rpc.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({ dataFolder: data })));
      for (const method of ['window/workDoneProgress/create', 'client/registerCapability']) rpc.onRequest(method, () => null);
      // A host key never seen is not trusted here; no passphrase, no approval from this "person".
      rpc.onRequest('plumbline/confirmHostKey', () => ({ trust: false }));
      rpc.onRequest('plumbline/passphrase', () => ({}));
      rpc.onRequest('plumbline/approveDecision', () => ({ approved: false }));
      rpc.onNotification('window/showMessage', (p: { message: string }) => warnings.push(p.message));
      rpc.listen();
      await rpc.sendRequest('initialize', { processId: process.pid, rootUri: null, workspaceFolders: [{ uri: `file://${lab.dir}`, name: 'lab' }], capabilities: { workspace: { configuration: true } }, initializationOptions: { trusted: true } });
      await rpc.sendNotification('initialized', {});
      return { rpc, pid: child.pid!, exited };
    };
    const plan = async (rpc: ProtocolConnection, action: string): Promise<string> => {
      for (let i = 0; i < 100; i++) {
        const view = await rpc.sendRequest<{ environments: unknown[] }>('plumbline/workspaceState', {});
        if (view.environments.length > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const p = await rpc.sendRequest<{ planId?: string; report: { message: string } }>('plumbline/planAction', { env: 'lab', host: 'web-1', action });
      assert.ok(p.planId, `a plan: ${p.report.message}`);
      return p.planId;
    };
    // How long each action takes through the server, so the kills land inside it.
    const timed: Record<string, number> = {};
    for (const action of ['switch', 'rollback']) {
      if (action === 'rollback') await deploy('web-1');
      const warnings: string[] = [];
      const s = await startServer(warnings);
      const id = await plan(s.rpc, action);
      const t = Date.now();
      const r = await s.rpc.sendRequest<{ status: string; message: string }>('plumbline/runAction', { planId: id });
      assert.equal(r.status, 'done', r.message);
      timed[action] = Date.now() - t;
      s.rpc.dispose();
      killPid(s.pid);
      await s.exited;
    }
    for (const action of ['switch', 'rollback']) {
      for (const f of [0.2, 0.5]) {
        if (action === 'rollback') await deploy('web-1');
        const before = await hostNow('web-1');
        const s = await startServer([]);
        const id = await plan(s.rpc, action);
        const t0 = Date.now();
        void s.rpc.sendRequest('plumbline/runAction', { planId: id }).catch(() => undefined);
        // Killed once the action holds the host's lock (its audit entry is written before that), then a share of its run later.
        for (let i = 0; i < 200 && !(await lab.exec('web-1', ['sh', '-c', 'cat /var/lib/plumbline/lock.owner 2>/dev/null || true'])).includes(`"pid":${s.pid}`); i++) await new Promise((r) => setTimeout(r, 25));
        const locked = Date.now() - t0;
        const at = Math.round(timed[action] * f);
        await new Promise((r) => setTimeout(r, Math.max(0, at - locked)));
        killPid(s.pid);
        await s.exited;
        s.rpc.dispose();
        // The next server (the editor opened again) reports it once, with the host's state, after
        // the host's finisher (a rollback cut off after its first change) is done.
        const warnings: string[] = [];
        const next = await startServer(warnings);
        for (let i = 0; i < 600 && warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
        next.rpc.dispose();
        killPid(next.pid);
        await next.exited;
        const told = warnings.find((w) => /interrupted/i.test(w)) ?? '';
        assert.match(told, new RegExp(`${action} on web-1 started .* never finished; the host now: release`), `warnings: ${JSON.stringify(warnings)}`);
        const now = await settled('web-1');
        assert.equal(now.served.length, 1);
        await sameColour('web-1', now, `${action} killed at ${at} ms: ${JSON.stringify(now)}`);
        let state: string;
        if (action === 'switch') state = now.served[0] === before.served[0] ? `before (${now.served[0]} serves)` : `after (${now.served[0]} serves)`;
        else {
          const consistent = now.colours.blue === now.link && now.colours.green === now.link;
          state = consistent ? (now.link === 'r1' ? 'before (r1 everywhere)' : 'after (r2 everywhere)') : `HALF: link ${now.link}, blue ${now.colours.blue}, green ${now.colours.green}`;
          assert.ok(consistent, `${state}; told: ${told}`);
          if (/finished it by itself/.test(told)) state += ', finished by the host';
        }
        await storeOk();
        const { audit } = await recover();
        rows.push({ op: `${action} (language server)`, at: `${Math.max(at, locked)} ms into the run (lock at ${locked} ms)`, state, audit, told: /finished it by itself/.test(told) ? 'editor warning + finished by the host' : 'editor warning + state + what to do' });
      }
    }
  });

  it('the network cut mid-switch and mid-rollback: the action ends with a clear report, the host is in a known state, the audit has it', async () => {
    const index = lab.state.hosts.findIndex((h) => h.name === 'web-2');
    const veth = `${lab.state.bridge}v${index + 1}`;
    const link = (state: 'up' | 'down') => execFileSync('ip', ['link', 'set', 'dev', veth, state]);
    for (const [op, step] of [
      ['switch', /point the upstream at/],
      ['rollback', /point \/srv\/app\/current at/],
    ] as const) {
      if (op === 'rollback') await deploy('web-2');
      const child = spawn(process.execPath, [path.join(packageRoot(), 'dist', 'cli.js'), 'act', 'lab', 'web-2', op, '--yes', '--json', '--steps', ...flags()], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let cut = false;
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (!cut && d.split('\n').some((l) => l.startsWith('plumbline: step ') && step.test(l))) {
          cut = true;
          link('down');
          setTimeout(() => link('up'), 5000);
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.ok(cut, `${op}: the step to cut at was announced`);
      const report = JSON.parse(stdout) as ActionReport;
      assert.ok(['done', 'failed', 'verify-failed'].includes(report.status), `${op}: ${report.status} ${report.message}`);
      if (report.status !== 'done') assert.match(report.message, /\S/, 'a failure says why');
      const now = await settled('web-2');
      await sameColour('web-2', now, `${op}: ${JSON.stringify(now)}`);
      const consistent = now.colours.blue === now.link && now.colours.green === now.link;
      if (op === 'rollback' && !consistent) {
        // The report (not a crash) says what is left: the action is run again.
        const fin = await cli('act', 'lab', 'web-2', 'rollback', '--yes', '--json');
        assert.equal(fin.code, 0, fin.stderr);
      }
      const audit = await cli('audit', 'lab', '--json');
      const entries = (JSON.parse(audit.stdout) as { entries: { id: number; action?: string; outcome: string }[] }).entries;
      const last = entries.filter((e) => e.action === op && e.outcome !== 'started').pop();
      assert.ok(last, `${op}: the audit has its outcome`);
      rows.push({ op: `${op} (network cut 5 s)`, at: `${step.source}`, state: `${report.status} (exit ${code}); ${now.served[0]} serves, link ${now.link}`, audit: `${last.id} ${last.outcome}`, told: report.message.slice(0, 60) });
    }
  });
});
