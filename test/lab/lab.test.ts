/**
 * The lab itself: hosts come up as real, isolated Linux hosts that OpenSSH reaches with the
 * generated files, each with its own /etc and network stack, nginx in front of the app, working
 * fault switches, a firewall that keeps hosts from reaching the machine, and nothing left behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../server/src/config/load';
import { labDown, labExec, labStatus, labUp, type LabState } from '../../server/src/lab/lab';
import { labSkipReason } from '../support/lab';

const skip = labSkipReason();

function sh(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function get(url: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

/** Polls `probe` until it returns true; fails with `what` after `ms`. */
async function eventually(what: string, probe: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exec(dir: string, host: string, argv: string[], input?: string): Promise<string> {
  const r = await labExec(dir, host, argv, { input });
  assert.equal(r.code, 0, `${host}: ${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('the lab', { skip }, () => {
  let work: string;
  let dir: string;
  let lab: LabState;
  let upMs = 0;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-labtest-'));
    dir = path.join(work, 'lab');
    const t = Date.now();
    lab = await labUp({ dir, hosts: 3 });
    upMs = Date.now() - t;
  });

  after(async () => {
    // The last test takes the lab down; this only matters when an earlier one failed.
    if (fs.existsSync(path.join(dir, 'lab.json'))) await labDown({ dir });
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('brings three hosts up with every service listening', async (t) => {
    t.diagnostic(`3 hosts up in ${upMs} ms`);
    assert.deepEqual(
      lab.hosts.map((h) => h.name),
      ['web-1', 'web-2', 'web-3'],
    );
    assert.equal(new Set(lab.hosts.map((h) => h.address)).size, 3);
    const status = await labStatus(dir);
    for (const s of status) {
      assert.deepEqual([s.alive, s.sshd, s.nginx, s.app.blue, s.app.green], [true, true, true, true, true], s.host.name);
    }
    for (const f of ['id_ed25519', 'id_ed25519.pub', 'known_hosts', 'ssh_config', 'plumbline.yaml', 'lab.json']) {
      assert.ok(fs.existsSync(path.join(dir, f)), f);
    }
    assert.equal(fs.statSync(path.join(dir, 'id_ed25519')).mode & 0o777, 0o600);
  });

  it('answers OpenSSH with the generated ssh_config, user key and known_hosts', async () => {
    const results = await Promise.all(
      lab.hosts.map((h) => sh('ssh', ['-F', path.join(dir, 'ssh_config'), '-o', 'BatchMode=yes', h.name, 'hostname; id -un; sudo -n id -u'])),
    );
    results.forEach((r, i) => {
      assert.equal(r.code, 0, `ssh ${lab.hosts[i].name}: ${r.stderr}`);
      assert.deepEqual(r.stdout.trim().split('\n'), [lab.hosts[i].name, 'deploy', '0']);
    });
  });

  it('gives each host its own hostname, /etc and network stack', async () => {
    const names = await Promise.all(lab.hosts.map((h) => exec(dir, h.name, ['hostname'])));
    assert.deepEqual(
      names.map((n) => n.trim()),
      ['web-1', 'web-2', 'web-3'],
    );
    const probe = `/etc/plumbline-lab-probe-${process.pid}`;
    await exec(dir, 'web-1', ['sh', '-c', `echo only-web-1 > ${probe}`]);
    assert.equal((await exec(dir, 'web-1', ['cat', probe])).trim(), 'only-web-1');
    const other = await labExec(dir, 'web-2', ['test', '-e', probe]);
    assert.equal(other.code, 1, 'web-2 sees a file written on web-1');
    assert.equal(fs.existsSync(probe), false, 'the machine sees a file written on web-1');

    const before = (await exec(dir, 'web-2', ['cat', '/proc/sys/net/core/somaxconn'])).trim();
    await exec(dir, 'web-1', ['sysctl', '-q', '-w', `net.core.somaxconn=${Number(before) + 7}`]);
    assert.equal((await exec(dir, 'web-1', ['cat', '/proc/sys/net/core/somaxconn'])).trim(), String(Number(before) + 7));
    assert.equal((await exec(dir, 'web-2', ['cat', '/proc/sys/net/core/somaxconn'])).trim(), before);
  });

  it('deploys exactly the files the workspace holds, and a workspace Plumbline accepts', async () => {
    const pairs: Array<[string, string]> = [
      ['deploy/nginx/app.conf', '/etc/nginx/conf.d/app.conf'],
      ['deploy/nginx/upstream.conf', '/etc/nginx/conf.d/upstream.conf'],
      ['deploy/app.env', '/srv/app/shared/app.env'],
    ];
    for (const h of lab.hosts) {
      for (const [local, remote] of pairs) {
        assert.equal(await exec(dir, h.name, ['cat', remote]), fs.readFileSync(path.join(dir, local), 'utf8'), `${h.name}:${remote}`);
      }
      assert.equal((await exec(dir, h.name, ['readlink', '/srv/app/current'])).trim(), 'releases/r2');
    }
    const file = path.join(dir, 'plumbline.yaml');
    const parsed = parseConfig(fs.readFileSync(file, 'utf8'), file);
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(
      parsed.config?.environments[0].hosts.map((h) => h.spec),
      ['web-1', 'web-2', 'web-3'],
    );
  });

  it('serves /healthz through nginx from the blue app; green answers on its own port', async () => {
    for (const h of lab.hosts) {
      const r = await get(`http://${h.address}/healthz`);
      assert.equal(r.status, 200, `${h.name}: ${r.body}`);
      assert.equal(JSON.parse(r.body).colour, 'blue');
      assert.equal(JSON.parse(r.body).release, 'r2');
    }
    const green = await exec(dir, 'web-1', [process.execPath, '-e', "fetch('http://127.0.0.1:8082/healthz').then(r => r.text()).then(t => process.stdout.write(t))"]);
    assert.equal(JSON.parse(green).colour, 'green');
    const metrics = await get(`http://${lab.hosts[0].address}/metrics`);
    assert.match(metrics.body, /^requests_total\{route="\/healthz",code="200"\} \d+$/m);
  });

  it('switches faults on one host through faults.json', async () => {
    const [h1, h2] = lab.hosts;
    await exec(dir, h1.name, ['sh', '-c', 'cat > /srv/app/shared/faults.json'], '{ "errorRate": 1 }\n');
    await eventually('web-1 /healthz to fail', async () => (await get(`http://${h1.address}/healthz`)).status >= 500);
    assert.equal((await get(`http://${h1.address}/`)).status, 500);
    assert.equal((await get(`http://${h2.address}/healthz`)).status, 200, 'a fault on web-1 reached web-2');
    await exec(dir, h1.name, ['sh', '-c', 'cat > /srv/app/shared/faults.json'], '{}\n');
    await eventually('web-1 /healthz to recover', async () => (await get(`http://${h1.address}/healthz`)).status === 200);
  });

  it('restarts a crashed app and counts the restart', async () => {
    const h = lab.hosts[2];
    await exec(dir, h.name, ['sh', '-c', 'cat > /srv/app/shared/faults.json'], '{ "blue": { "crash": true } }\n');
    await eventually('the blue app to restart', async () => (await exec(dir, h.name, ['cat', '/srv/app/shared/restarts-blue'])).trim() === '1');
    await eventually('the blue app to serve again', async () => (await get(`http://${h.address}/healthz`).catch(() => ({ status: 0 }))).status === 200);
    assert.equal((await exec(dir, h.name, ['cat', '/srv/app/shared/restarts-green'])).trim(), '0');
  });

  it('blocks connections from a host into the machine, but not the machine into hosts', async () => {
    const gateway = lab.subnet.replace(/\.0\/24$/, '.1');
    let accepted = 0;
    const server = net.createServer((s) => {
      accepted++;
      s.end('hello\n');
    });
    await new Promise<void>((r) => server.listen(0, gateway, r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      // The listener works: the machine itself reaches it.
      const local = await new Promise<string>((resolve, reject) => {
        const c = net.connect(port, gateway);
        let got = '';
        c.on('data', (b) => (got += b.toString()));
        c.on('end', () => resolve(got));
        c.on('error', reject);
      });
      assert.equal(local, 'hello\n');
      const seen = accepted;
      const probe = `const s = require('net').connect({ host: ${JSON.stringify(gateway)}, port: ${port}, timeout: 1500 });
        s.on('connect', () => { console.log('connected'); process.exit(0); });
        s.on('timeout', () => { console.log('timeout'); process.exit(3); });
        s.on('error', (e) => { console.log(e.code); process.exit(4); });`;
      const r = await labExec(dir, 'web-1', [process.execPath, '-e', probe]);
      assert.equal(r.stdout.trim(), 'timeout', `web-1 reached the machine: ${r.stdout} ${r.stderr}`);
      assert.equal(accepted, seen);
      // Hosts still reach each other inside the lab.
      const peer = await exec(dir, 'web-1', [process.execPath, '-e', `fetch('http://${lab.hosts[1].address}/healthz').then(r => console.log(r.status))`]);
      assert.equal(peer.trim(), '200');
    } finally {
      server.close();
    }
  });

  it('goes down leaving nothing behind, and down is idempotent', async (t) => {
    const pids = lab.hosts.flatMap((h) => [h.initPid, h.launcherPid ?? 0]).filter(Boolean);
    const t0 = Date.now();
    await labDown({ dir });
    t.diagnostic(`down in ${Date.now() - t0} ms`);
    await assertNothingLeft(lab, pids);
    await labDown({ dir });
  });

  it('cleans up after an up that fails midway', async () => {
    const failing = path.join(work, 'failing');
    fs.mkdirSync(failing);
    // A file where the host dirs go: up fails after it has made the bridge and the state file.
    fs.writeFileSync(path.join(failing, 'hosts'), 'in the way\n');
    let made: LabState | undefined;
    await assert.rejects(labUp({ dir: failing, hosts: 2, log: () => undefined }).then((s) => (made = s)));
    assert.equal(made, undefined);
    assert.equal(fs.existsSync(path.join(failing, 'lab.json')), false);
    // It took the first free slot, which the main lab freed: the same bridge must be gone again.
    await assertNothingLeft(lab, []);
  });
});

async function assertNothingLeft(lab: LabState, pids: number[]): Promise<void> {
  const netns = await sh('ip', ['netns', 'list']);
  const ours = netns.stdout.split('\n').filter((l) => l.startsWith(`${lab.bridge}-`));
  assert.deepEqual(ours, [], 'network namespaces left');
  const bridge = await sh('ip', ['link', 'show', lab.bridge]);
  assert.notEqual(bridge.code, 0, `bridge ${lab.bridge} left`);
  const veths = await sh('ip', ['-o', 'link', 'show']);
  assert.doesNotMatch(veths.stdout, new RegExp(`\\b${lab.bridge}v\\d+`), 'veths left');
  const table = await sh('nft', ['list', 'table', 'inet', lab.nftTable ?? 'plumbline_lab0']);
  assert.notEqual(table.code, 0, `nft table ${lab.nftTable} left`);
  for (const pid of pids) {
    const cmd = fs.existsSync(`/proc/${pid}/cmdline`) ? fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
    assert.ok(!cmd.includes(lab.dir), `process ${pid} still runs: ${cmd}`);
  }
  assert.ok(!fs.readFileSync('/proc/mounts', 'utf8').includes(lab.dir), 'a mount references the lab dir');
  assert.equal(fs.existsSync(path.join(lab.dir, 'lab.json')), false, 'lab.json left');
  assert.equal(fs.existsSync(path.join(lab.dir, 'hosts')), false, 'host dirs left');
}

describe('the lab from a checkout anywhere', { skip }, () => {
  // Lab hosts mount their own /tmp and /run, which hides those folders of the machine: a clone
  // (and the Node it brings) under /tmp used to be refused. The app must run there too.
  it('runs the lab app with a Node binary kept under /tmp', async () => {
    const work = fs.mkdtempSync(path.join('/tmp', 'plumbline-anywhere-'));
    const dir = path.join(work, 'lab');
    const node = path.join(work, 'bin', 'node');
    fs.mkdirSync(path.dirname(node));
    try {
      fs.linkSync(process.execPath, node);
    } catch {
      fs.copyFileSync(process.execPath, node);
    }
    fs.chmodSync(node, 0o755);
    const cli = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');
    try {
      const up = await sh(node, [cli, 'lab', 'up', '--hosts', '1', '--dir', dir]);
      assert.equal(up.code, 0, `lab up with ${node}: ${up.stderr}`);
      type Status = { alive: boolean; app: { blue: boolean; green: boolean } };
      await eventually('both colours answer', async () => {
        const s = JSON.parse((await sh(node, [cli, 'lab', 'status', '--dir', dir, '--json'])).stdout) as Status[];
        return s[0].alive && s[0].app.blue && s[0].app.green;
      }, 15_000);
      const supervisor = await exec(dir, 'web-1', ['cat', '/etc/plumbline-lab/supervise-app.sh']);
      assert.doesNotMatch(supervisor, /\/tmp\//, 'the app is started from a path the host cannot see');
    } finally {
      if (fs.existsSync(path.join(dir, 'lab.json'))) await sh(node, [cli, 'lab', 'down', '--dir', dir]);
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
