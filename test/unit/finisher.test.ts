/**
 * The rollback's host-side finisher: its program is valid POSIX sh under dash, bash and busybox
 * whatever the config holds (values arrive quoted), and the state the next Plumbline reads back
 * (waiting, running, finished, stood down) is parsed and told as the host wrote it. The finisher
 * finishing a rollback for real is the crash suite's (test/lab/crash.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { ARM_SCRIPT, FINISHERS_SCRIPT, describeFinishers, finisherId, finisherProgram, finisherStartedAt, parseFinishers, type FinisherPlan } from '../../server/src/act/finisher';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-finisher-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const shells = [['dash'], ['bash', '--posix'], ['busybox', 'sh']].filter((s) => spawnSync(s[0], [...s.slice(1), '-c', 'true']).status === 0);
if (process.env.CI) assert.equal(shells.length, 3, 'dash, bash and busybox must all be installed in CI');

const hostile = `x'; touch ${dir}/pwned; echo '$(touch ${dir}/pwned2)\`touch ${dir}/pwned3\``;
const plan: FinisherPlan = {
  id: finisherId('rollback', 1_700_000_000_000),
  owner: JSON.stringify({ by: hostile, pid: 1 }),
  release: { path: '/srv/app/current', target: `releases/${hostile}` },
  files: [
    { path: `/srv/app/shared/${hostile}.env`, mode: '600', owner: 'app:app', content: `SECRET=${hostile}\n` },
    { path: '/etc/nginx/conf.d/extra.conf', mode: '', owner: '' },
  ],
  reloadNginx: true,
  systemd: false,
  restarts: [
    {
      kind: 'rolling',
      upstream: '/etc/nginx/conf.d/upstream.conf',
      mode: '644',
      owner: 'root:root',
      colours: {
        blue: { service: 'app-blue', url: 'http://127.0.0.1:8081/healthz', text: `upstream app {\n    server 127.0.0.1:8081; # ${hostile}\n}\n` },
        green: { service: 'app-green', url: 'http://127.0.0.1:8082/healthz', text: 'upstream app {\n    server 127.0.0.1:8082;\n}\n' },
      },
    },
    { kind: 'service', name: hostile },
  ],
  command: ['/usr/local/bin/after-rollback', hostile],
};

describe('the rollback finisher', () => {
  test('its id carries when the action started, so the next Plumbline finds the finisher of the action it closes', () => {
    assert.equal(finisherStartedAt(plan.id), 1_700_000_000_000);
    assert.ok(Number.isNaN(finisherStartedAt('garbage')));
  });

  for (const sh of shells) {
    test(`program and arm script are valid sh under ${sh.join(' ')}, with hostile config values quoted`, () => {
      for (const [name, text] of [['program', finisherProgram(plan)], ['arm', ARM_SCRIPT], ['status', FINISHERS_SCRIPT]] as const) {
        const r = spawnSync(sh[0], [...sh.slice(1), '-n'], { input: text, encoding: 'utf8' });
        assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      }
      assert.ok(!fs.existsSync(path.join(dir, 'pwned')) && !fs.existsSync(path.join(dir, 'pwned2')) && !fs.existsSync(path.join(dir, 'pwned3')));
    });

    test(`the state read back under ${sh.join(' ')}: waiting, running, finished, stood down, each with its own steps`, () => {
      const d = fs.mkdtempSync(path.join(dir, 'state-'));
      const j = (id: string, lines: string[]): void => fs.writeFileSync(path.join(d, `${id}.journal`), `${lines.join('\n')}\n`);
      j('rollback-1000-1', [':: 2026-12-06T01:00:00Z armed; waiting for the client to let go of the host lock']);
      fs.writeFileSync(path.join(d, 'rollback-1000-1.sh'), '');
      j('rollback-2000-1', [':: 2026-12-06T01:00:00Z armed', ':: 2026-12-06T01:00:01Z the client is gone and the rollback is unfinished: finishing it on the host', ':: 2026-12-06T01:00:01Z restart app-green', 'OLD 10', 'NEW 11']);
      j('rollback-3000-1', [':: 2026-12-06T01:00:01Z the client is gone and the rollback is unfinished: finishing it on the host', ':: 2026-12-06T01:00:01Z restart app-green', 'OLD 10', 'NEW 11', ':: 2026-12-06T01:00:03Z point the upstream at green', ':: 2026-12-06T01:00:04Z FINISHED the rollback, finished on the host']);
      fs.writeFileSync(path.join(d, 'rollback-3000-1.result'), 'FINISHED 2026-12-06T01:00:04Z the rollback, finished on the host\n');
      j('rollback-4000-1', [':: 2026-12-06T01:00:00Z ABANDONED another actor took the host lock first']);
      fs.writeFileSync(path.join(d, 'rollback-4000-1.result'), 'ABANDONED 2026-12-06T01:00:00Z another actor took the host lock first ({"by":"ci"}); nothing done here\n');
      const r = spawnSync(sh[0], [...sh.slice(1), '-c', FINISHERS_SCRIPT, 'plumbline-finishers', d], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const list = parseFinishers(r.stdout).sort((a, b) => a.id.localeCompare(b.id));
      assert.deepEqual(
        list.map((f) => [f.id, f.state]),
        [
          ['rollback-1000-1', 'WAITING'],
          ['rollback-2000-1', 'RUNNING'],
          ['rollback-3000-1', 'FINISHED'],
          ['rollback-4000-1', 'ABANDONED'],
        ],
      );
      assert.ok(list[2].journal.every((l) => l.startsWith(':: ')), `only the finisher's own lines: ${list[2].journal.join(' / ')}`);
      assert.match(describeFinishers([list[2]]), /^the host finished it by itself \(2026-12-06T01:00:04Z: restart app-green; point the upstream at green\)$/);
      assert.match(describeFinishers([list[1]]), /still finishing it \(last step: restart app-green\)/);
      assert.match(describeFinishers([list[0]]), /once the lock of the client that started it lapses/);
      assert.match(describeFinishers([list[3]]), /stood down: another actor took the host lock first/);
    });
  }

  test('a missing folder is no finisher, and host text that is not its own format is ignored', () => {
    const r = spawnSync('sh', ['-c', FINISHERS_SCRIPT, 'x', path.join(dir, 'nowhere')], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.deepEqual(parseFinishers(r.stdout), []);
    assert.deepEqual(parseFinishers('| orphan line\n@ id BOGUS\n@ rollback-1-2 FINISHED \x1b[31m when'), [{ id: 'rollback-1-2', state: 'FINISHED', detail: '\x1b[31m when', journal: [] }]);
  });
});
