/**
 * `plumbline guard` around a deployment on real lab hosts, through the real CLI, in auto mode:
 * a canary release that leaks memory is caught by the forecast and acted on before its limit,
 * the action verifies, the other hosts are left alone, and the exit code says Plumbline acted.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageRoot } from '../../server/src/common/paths';
import { faultyReleaseScript } from '../../server/src/lab/faultyRelease';
import { labSkipReason, startLab, type LabFixture } from '../support/lab';
import { runCli } from '../support/cli';

const skip = labSkipReason();

const DEPLOY_LEAKY_RELEASE = faultyReleaseScript({ leakMBPerSec: 1 });

interface GuardJson {
  actions: Array<{ host: string; action: string; status: string; verification?: { ok: boolean } }>;
  decisions: Array<{ host: string; tier: number | null; blockedBy?: string; cause: { kind: string } | null; reasons: Array<{ source: string; forecast?: { timeToBreachMs: number | null } }> }>;
  final: Array<{ host: string; state: string }>;
}

describe('guard: a deployment watched and acted on', { skip }, () => {
  let lab: LabFixture;
  let config: string;

  before(async () => {
    lab = await startLab(2);
    config = path.join(lab.dir, 'plumbline.yaml');
    const yaml = fs.readFileSync(config, 'utf8').replace('interval: 2s', 'interval: 1s').replace('mode: confirm', 'mode: auto\n      escalateAfter: 30s');
    fs.writeFileSync(config, yaml);
  });

  after(async () => {
    await lab?.close();
  });

  it('exits 2 and promotes nothing when the deploy command fails', async () => {
    const r = await runCli(['guard', 'lab', '--config', config, '--settle', '0s', '--window', '1s', '-q', '--', 'false']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /deploy command exited 1; nothing was promoted/);
    const hosts = await runCli(['hosts', 'lab', '--config', config, '--json']);
    for (const h of (JSON.parse(hosts.stdout) as { hosts: Array<{ baseline?: unknown }> }).hosts) assert.equal(h.baseline, undefined);
  });

  it('catches a leaking canary release before its limit, rolls it back verified, leaves the other host alone (exit 6)', async () => {
    const deploy = [process.execPath, path.join(packageRoot(), 'dist', 'cli.js'), 'lab', 'exec', '--dir', lab.dir, 'web-1', '--', 'sh', '-c', DEPLOY_LEAKY_RELEASE];
    const r = await runCli(['guard', 'lab', '--config', config, '--settle', '2s', '--window', '100s', '--warmup', '30', '--json', '--', ...deploy]);
    assert.equal(r.code, 6, `guard must say it acted: ${r.stderr.slice(-3000)}`);
    const out = JSON.parse(r.stdout) as GuardJson;
    const acted = out.actions.filter((a) => a.host === 'web-1' && a.status === 'done');
    assert.ok(acted.length >= 1, JSON.stringify(out.actions));
    assert.ok(acted.every((a) => a.verification?.ok), 'every action verified');
    assert.deepEqual(out.actions.filter((a) => a.host !== 'web-1'), [], 'no action on the healthy host');
    // Decisions without a tier explain why nothing is done yet; the first one that acts is what counts.
    const first = out.decisions.find((d) => d.host === 'web-1' && d.tier !== null && !d.blockedBy);
    assert.ok(first && first.tier! >= 2, `a leak is not a tier-1 matter: ${JSON.stringify(first)}`);
    assert.equal(first!.cause?.kind, 'release-regression', `the leak came with the canary release: ${JSON.stringify(first).slice(0, 1500)}`);
    const forecast = first!.reasons.find((x) => x.source === 'forecast');
    assert.ok(forecast?.forecast?.timeToBreachMs != null && forecast.forecast.timeToBreachMs > 0, 'decided on a forecast, before the breach');
    const audit = await runCli(['audit', 'lab', '--config', config, '--json']);
    assert.equal(audit.code, 0, 'the audit chain verifies');
  });
});
