/**
 * The foundation end to end on real lab hosts (real sshd, real files, real processes) through
 * the real CLI: baseline, no drift, three kinds of drift on three hosts, a changed host key,
 * an unreachable host, and a malformed plumbline.yaml.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HOST_KEY_PATH, labDown, labExec, labUnavailableReason, labUp, type LabState } from '../../server/src/lab/lab';
import { runCli } from '../support/cli';
import { useLabSsh } from '../support/lab';

const unavailable = labUnavailableReason();
if (unavailable && process.env.CI) throw new Error(`lab tests must run in CI, but ${unavailable}`);

interface DiffJson {
  drift: boolean;
  errors: number;
  hosts: Array<{ host: string; status: string; drift?: boolean; items?: Array<Record<string, unknown> & { file?: { ranges: Array<{ start: number; end: number }> } }>; error?: { kind: string; message: string } }>;
}

async function exec(dir: string, host: string, argv: string[], input?: string): Promise<string> {
  const r = await labExec(dir, host, argv, { input });
  assert.equal(r.code, 0, `${host}: ${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A real Debian package whose files live under /opt (overlaid per host), so installing it touches one host only. */
function buildProbeDeb(dir: string): string {
  const root = path.join(dir, 'probe-deb');
  fs.mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
  fs.mkdirSync(path.join(root, 'opt', 'plumbline-probe'), { recursive: true });
  fs.writeFileSync(path.join(root, 'opt', 'plumbline-probe', 'README'), 'installed by the fleet test\n');
  fs.writeFileSync(
    path.join(root, 'DEBIAN', 'control'),
    'Package: plumbline-probe\nVersion: 1.2.3\nArchitecture: all\nMaintainer: Plumbline <dev@plumbline.invalid>\nDescription: drift probe\n',
  );
  const deb = path.join(dir, 'plumbline-probe.deb');
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { stdio: 'ignore' });
  return deb;
}

describe('baseline and diff on real lab hosts', { skip: unavailable }, () => {
  let work: string;
  let lab: LabState;
  let config: string;
  let data: string;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-fleet-'));
    lab = await labUp({ dir: path.join(work, 'lab'), hosts: 3 });
    useLabSsh(lab.dir);
    config = path.join(lab.dir, 'plumbline.yaml');
    data = path.join(work, 'data');
  });

  after(async () => {
    if (lab) await labDown({ dir: lab.dir });
    fs.rmSync(work, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli([...args, '--config', config, '--data', data]);

  it('baselines every host, then finds no drift', async () => {
    const b = await cli('baseline', 'lab', '--json', '--reason', 'fleet test');
    assert.equal(b.code, 0, b.stderr);
    const baseline = JSON.parse(b.stdout) as { hosts: Array<{ host: string; status: string; version: number }> };
    assert.deepEqual(
      baseline.hosts.map((h) => [h.host, h.status, h.version]),
      [['web-1', 'ok', 1], ['web-2', 'ok', 1], ['web-3', 'ok', 1]],
    );
    const d = await cli('diff', 'lab', '--json');
    assert.equal(d.code, 0, `expected no drift: ${d.stdout} ${d.stderr}`);
    const diff = JSON.parse(d.stdout) as DiffJson;
    assert.equal(diff.drift, false);
    for (const h of diff.hosts) assert.deepEqual(h.items, [], `${h.host} drifted right after its baseline`);
  });

  it('reports each host as reachable with the SHA256 key from known_hosts', async () => {
    const r = await cli('hosts', 'lab', '--json');
    assert.equal(r.code, 0, r.stderr);
    const hosts = (JSON.parse(r.stdout) as { hosts: Array<{ host: string; reachable: boolean; keyFingerprint: string; baseline?: { version: number } }> }).hosts;
    const known = execFileSync('ssh-keygen', ['-l', '-f', path.join(lab.dir, 'known_hosts')], { encoding: 'utf8' });
    for (const h of hosts) {
      assert.equal(h.reachable, true, h.host);
      assert.match(h.keyFingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
      assert.ok(known.includes(h.keyFingerprint), `${h.host}: ${h.keyFingerprint} not in known_hosts`);
      assert.equal(h.baseline?.version, 1);
    }
  });

  it('reports exactly the drifted items on exactly the drifted hosts, with line ranges in the workspace file', async () => {
    const appConf = fs.readFileSync(path.join(lab.dir, 'deploy', 'nginx', 'app.conf'), 'utf8').split('\n');
    const line = appConf.findIndex((l) => l.includes('proxy_read_timeout')) + 1;
    assert.ok(line > 0);
    await exec(lab.dir, 'web-1', ['sed', '-i', 's/proxy_read_timeout 15s;/proxy_read_timeout 5s;/', '/etc/nginx/conf.d/app.conf']);
    const before2 = (await exec(lab.dir, 'web-2', ['cat', '/proc/sys/net/core/somaxconn'])).trim();
    const next = before2 === '1234' ? '1235' : '1234';
    await exec(lab.dir, 'web-2', ['sysctl', '-q', '-w', `net.core.somaxconn=${next}`]);
    const deb = fs.readFileSync(buildProbeDeb(work)).toString('base64');
    await exec(lab.dir, 'web-3', ['sh', '-c', 'base64 -d > /opt/probe.deb && dpkg -i /opt/probe.deb >/dev/null && rm /opt/probe.deb'], deb);

    const d = await cli('diff', 'lab', '--json');
    assert.equal(d.code, 1, `drift must exit 1: ${d.stderr}`);
    const diff = JSON.parse(d.stdout) as DiffJson;
    const byHost = new Map(diff.hosts.map((h) => [h.host, h]));
    const pick = (host: string) => (byHost.get(host)?.items ?? []).map((i) => ({ kind: i.kind, change: i.change, path: i.path, old: i.old, new: i.new }));

    const web1 = byHost.get('web-1')?.items ?? [];
    assert.equal(web1.length, 1, JSON.stringify(web1));
    assert.equal(web1[0].kind, 'file');
    assert.equal(web1[0].path, 'app.files./etc/nginx/conf.d/app.conf');
    assert.deepEqual(web1[0].file?.ranges, [{ start: line, end: line }]);
    assert.equal((web1[0].file as { local?: string }).local, 'deploy/nginx/app.conf');

    assert.deepEqual(pick('web-2'), [{ kind: 'sysctl', change: 'changed', path: 'os.sysctl.net.core.somaxconn', old: before2, new: next }]);
    assert.deepEqual(pick('web-3'), [{ kind: 'package', change: 'added', path: 'os.packages.plumbline-probe', old: undefined, new: '1.2.3' }]);
  });

  it('refuses a host whose key changed, naming both fingerprints, while the others complete', async () => {
    const oldFp = execFileSync('ssh-keygen', ['-l', '-f', path.join(lab.dir, 'known_hosts')], { encoding: 'utf8' })
      .split('\n')
      .find((l) => l.includes(lab.hosts[1].address))
      ?.split(' ')[1];
    assert.ok(oldFp, 'web-2 is in known_hosts');
    await exec(lab.dir, 'web-2', ['sh', '-c', `rm -f ${HOST_KEY_PATH} ${HOST_KEY_PATH}.pub && ssh-keygen -q -t ed25519 -N '' -f ${HOST_KEY_PATH} && kill -HUP "$(cat /run/sshd.pid)"`]);
    const newFp = (await exec(lab.dir, 'web-2', ['ssh-keygen', '-l', '-f', `${HOST_KEY_PATH}.pub`])).split(' ')[1];
    assert.notEqual(newFp, oldFp);

    const d = await cli('diff', 'lab', '--json');
    assert.equal(d.code, 2, 'a refused host makes the answer incomplete');
    const diff = JSON.parse(d.stdout) as DiffJson;
    const web2 = diff.hosts.find((h) => h.host === 'web-2');
    assert.equal(web2?.status, 'error');
    assert.equal(web2?.error?.kind, 'HostKeyMismatch');
    assert.ok(web2?.error?.message.includes(oldFp), `message names the known key: ${web2?.error?.message}`);
    assert.ok(web2?.error?.message.includes(newFp), `message names the offered key: ${web2?.error?.message}`);
    assert.deepEqual(
      diff.hosts.filter((h) => h.host !== 'web-2').map((h) => [h.host, h.status]),
      [['web-1', 'ok'], ['web-3', 'ok']],
    );
  });

  it('reports an unreachable host while the others complete', async () => {
    const yaml = fs.readFileSync(config, 'utf8').replace(/hosts:\s*\[[^\]]*\]/, 'hosts: [web-1, deploy@127.0.0.1:1, web-3]');
    assert.ok(yaml.includes('deploy@127.0.0.1:1'), 'the lab yaml lists its hosts inline');
    const other = path.join(lab.dir, 'unreachable.yaml');
    fs.writeFileSync(other, yaml.replace('config: ./ssh_config', `config: ${path.join(lab.dir, 'ssh_config')}`));
    const r = await runCli(['diff', 'lab', '--json', '--config', other, '--data', data]);
    assert.equal(r.code, 2);
    const diff = JSON.parse(r.stdout) as DiffJson;
    assert.deepEqual(
      diff.hosts.map((h) => [h.host, h.status, h.error?.kind]),
      [['web-1', 'ok', undefined], ['deploy@127.0.0.1:1', 'error', 'Unreachable'], ['web-3', 'ok', undefined]],
    );
  });

  it('rejects a malformed plumbline.yaml with file, line and column', async () => {
    const bad = path.join(work, 'plumbline.yaml');
    fs.writeFileSync(bad, 'environments:\n  lab:\n    hots: [web-1]\n    interval: fast\n');
    const r = await runCli(['diff', 'lab', '--config', bad, '--data', data]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /plumbline\.yaml:3:5: error: .*"hots".*did you mean "hosts"/);
    assert.match(r.stderr, /plumbline\.yaml:4:15: error: .*duration/);
  });
});
