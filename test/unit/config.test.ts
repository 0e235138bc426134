import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { formatConfigError } from '../../server/src/config/format';
import { loadConfig, parseConfig, resolveLocal } from '../../server/src/config/load';
import type { ConfigError } from '../../server/src/config/types';

const FILE = path.resolve('/ws/plumbline.yaml');
const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

/** The DESIGN.md sketch, verbatim. */
const SKETCH = yaml(
  'environments:',
  '  staging:',
  '    hosts: [web-1, web-2]            # ~/.ssh/config aliases, or user@host:port',
  '    interval: 5s',
  '    layers:',
  '      os:   { packages: true, sysctl: [vm.swappiness], services: [nginx] }',
  '      app:',
  '        release: /srv/app/current    # symlink to the active release',
  '        health:  http://127.0.0.1:8080/healthz',
  '        process: app',
  '        files:',
  '          - { local: deploy/nginx/app.conf, remote: /etc/nginx/conf.d/app.conf }',
  '          - { local: deploy/app.env, remote: /srv/app/shared/app.env, secret: true }',
  '    risk:    { minor: 0.3, moderate: 0.6, severe: 0.85 }',
  '    actions:',
  '      mode: confirm                  # off | suggest | confirm | auto',
  '      remediate: { restart: [app] }',
  '      switch:    { strategy: nginx-upstream, upstream: /etc/nginx/conf.d/upstream.conf,',
  '                   blue: 127.0.0.1:8081, green: 127.0.0.1:8082 }',
  '      rollback:  { strategy: release-symlink, restoreFiles: true }',
);

const span = (line: number, character: number, endLine: number, endCharacter: number) => ({
  start: { line, character },
  end: { line: endLine, character: endCharacter },
});

/** The only error, or a failure listing what was found. */
function onlyError(text: string): ConfigError {
  const r = parseConfig(text, FILE);
  assert.equal(r.config, undefined);
  assert.equal(r.errors.length, 1, r.errors.map((e) => formatConfigError(e)).join('\n'));
  return r.errors[0];
}

/** 1-based "line:column" as an editor shows it, for readable assertions. */
const where = (e: ConfigError): string => `${e.range.start.line + 1}:${e.range.start.character + 1}`;

describe('parseConfig: a valid file', () => {
  it('turns the DESIGN.md sketch into a WorkspaceConfig with ranges', () => {
    const r = parseConfig(SKETCH, FILE);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.config, {
      file: FILE,
      ssh: {},
      environments: [
        {
          name: 'staging',
          range: span(1, 2, 1, 9),
          hosts: [
            { spec: 'web-1', range: span(2, 12, 2, 17) },
            { spec: 'web-2', range: span(2, 19, 2, 24) },
          ],
          intervalMs: 5000,
          layers: {
            hardware: { perf: true, mounts: [], limits: {} },
            os: { packages: true, sysctl: ['vm.swappiness'], services: ['nginx'] },
            app: {
              release: '/srv/app/current',
              health: 'http://127.0.0.1:8080/healthz',
              process: 'app',
              limits: {},
              files: [
                { local: 'deploy/nginx/app.conf', remote: '/etc/nginx/conf.d/app.conf', secret: false, range: span(11, 12, 11, 80) },
                { local: 'deploy/app.env', remote: '/srv/app/shared/app.env', secret: true, range: span(12, 12, 12, 84) },
              ],
            },
          },
          risk: { minor: 0.3, moderate: 0.6, severe: 0.85 },
          actions: {
            mode: 'confirm',
            remediate: { restart: ['app'] },
            switch: {
              strategy: 'nginx-upstream',
              upstream: '/etc/nginx/conf.d/upstream.conf',
              blue: '127.0.0.1:8081',
              green: '127.0.0.1:8082',
            },
            rollback: { strategy: 'release-symlink', restoreFiles: true },
          },
        },
      ],
    });
  });

  it('fills in defaults for everything optional', () => {
    const r = parseConfig(yaml('environments:', '  dev:', '    hosts: [deploy@10.0.0.5:2222]'), FILE);
    assert.deepEqual(r.errors, []);
    const env = r.config!.environments[0];
    assert.equal(env.intervalMs, 5000);
    assert.deepEqual(env.risk, { minor: 0.3, moderate: 0.6, severe: 0.85 });
    assert.deepEqual(env.actions, { mode: 'suggest' });
    assert.deepEqual(env.layers, {
      hardware: { perf: true, mounts: [], limits: {} },
      os: { packages: true, sysctl: [], services: [] },
      app: { files: [], limits: {} },
    });
  });

  it('keeps environments in file order', () => {
    const r = parseConfig(yaml('environments:', '  staging: { hosts: [a] }', '  prod: { hosts: [b, c] }'), FILE);
    assert.deepEqual(
      r.config!.environments.map((e) => [e.name, e.range.start.line, e.hosts.map((h) => h.spec)]),
      [
        ['staging', 1, ['a']],
        ['prod', 2, ['b', 'c']],
      ],
    );
  });

  it('resolves ssh paths against the yaml folder and ~ against home; files[].local stays as written', () => {
    const r = parseConfig(
      yaml(
        'ssh: { config: ssh/config, knownHosts: ~/.ssh/plumbline_known_hosts }',
        'environments:',
        '  dev:',
        '    hosts: [a]',
        '    layers: { app: { files: [{ local: deploy/app.env, remote: /srv/app.env }] } }',
      ),
      FILE,
    );
    assert.deepEqual(r.errors, []);
    const config = r.config!;
    assert.equal(config.ssh.config, path.join(path.dirname(FILE), 'ssh', 'config'));
    assert.equal(config.ssh.knownHosts, path.join(os.homedir(), '.ssh', 'plumbline_known_hosts'));
    assert.equal(config.environments[0].layers.app.files[0].local, 'deploy/app.env');
    assert.equal(resolveLocal(config, 'deploy/app.env'), path.join(path.dirname(FILE), 'deploy', 'app.env'));
  });

  it('accepts host specs in every documented shape', () => {
    const hosts = ['web-1', 'web-1.example.com', 'deploy@web-1', 'web-1:2222', 'deploy@10.0.0.5:22', 'root@[::1]:2222'];
    const r = parseConfig(yaml('environments:', '  dev:', `    hosts: [${hosts.map((h) => JSON.stringify(h)).join(', ')}]`), FILE);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.config!.environments[0].hosts.map((h) => h.spec), hosts);
  });
});

describe('parseConfig: errors point at the place to fix', () => {
  it('reports a tab used as indentation where the yaml library finds it', () => {
    const e = onlyError(yaml('environments:', '  staging:', '\thosts: [a]'));
    assert.equal(where(e), '3:1');
    assert.match(e.message, /^invalid YAML: .*tab/i);
  });

  it('reports an unclosed bracket', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [web-1, web-2', '    interval: 5s'));
    assert.equal(where(e), '4:5');
    assert.match(e.message, /^invalid YAML: .*\]/);
  });

  it('reports an alias to a missing anchor at the alias', () => {
    const e = onlyError(yaml('environments:', '  staging: { hosts: *web }'));
    assert.equal(where(e), '2:21');
    assert.match(e.message, /\*web/);
  });

  it('points at an unknown key and suggests the closest allowed one', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hots: [web-1]'));
    assert.deepEqual(e.range, span(2, 4, 2, 8));
    assert.equal(e.message, 'unknown key "hots" in environment "staging"; did you mean "hosts"?');
  });

  it('suggests by prefix and lists the allowed keys when nothing is close', () => {
    const prefix = onlyError(yaml('env:', '  staging: { hosts: [a] }'));
    assert.equal(where(prefix), '1:1');
    assert.equal(prefix.message, 'unknown key "env" at the top level; did you mean "environments"?');

    const far = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    layers: { os: { kernel: true } }'));
    assert.equal(where(far), '4:21');
    assert.equal(far.message, 'unknown key "kernel" in "layers.os" of environment "staging"; expected one of "packages", "sysctl", "services"');
  });

  it('points at the value for a wrong type', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    layers: { os: { packages: "yes" } }'));
    assert.deepEqual(e.range, span(3, 30, 3, 35));
    assert.equal(e.message, 'environments.staging.layers.os.packages: expected true or false, got "yes"');
  });

  it('points at the map that lacks hosts', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    interval: 5s', '    risk: { minor: 0.1 }'));
    assert.equal(where(e), '3:5');
    assert.equal(e.message, 'environments.staging: missing required key "hosts"');
  });

  it('explains a bad duration', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    interval: fast'));
    assert.deepEqual(e.range, span(3, 14, 3, 18));
    assert.equal(e.message, 'environments.staging.interval: expected a duration like "5s" or "500ms", got "fast"');
  });

  it('rejects an interval under one second', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    interval: 500ms'));
    assert.equal(where(e), '4:15');
    assert.match(e.message, /^environments\.staging\.interval: expected at least "1s", got "500ms"/);
  });

  it('points at the offending risk key when thresholds are out of order', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    risk: { minor: 0.7, moderate: 0.6, severe: 0.85 }'));
    assert.deepEqual(e.range, span(3, 24, 3, 32));
    assert.match(e.message, /^environments\.staging\.risk\.moderate: moderate \(0\.6\) must be greater than minor \(0\.7\)/);
  });

  it('compares a written threshold with the defaults', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    risk: { severe: 0.5 }'));
    assert.equal(where(e), '4:13');
    assert.match(e.message, /severe \(0\.5\) must be greater than moderate \(0\.6, the default\)/);
  });

  it('rejects a risk threshold outside 0..1', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    risk: { severe: 1.5 }'));
    assert.equal(where(e), '4:21');
    assert.equal(e.message, 'environments.staging.risk.severe: expected a number from 0 to 1, got 1.5');
  });

  it('rejects host specs that are not an alias or user@host:port', () => {
    const cases: [string, string][] = [
      ['"-oProxyCommand=touch /tmp/x"', '-oProxyCommand=touch /tmp/x'],
      ['"web 1"', 'web 1'],
      ['"web-1:99999"', 'web-1:99999'],
      ['"a@b@c"', 'a@b@c'],
    ];
    for (const [written, value] of cases) {
      const e = onlyError(yaml('environments:', '  staging:', `    hosts: [ok, ${written}]`));
      assert.equal(where(e), '3:17', written);
      assert.equal(e.message, `environments.staging.hosts[1]: expected an ssh alias or user@host:port (no spaces, not starting with "-"), got ${JSON.stringify(value)}`);
    }
  });

  it('points at the second copy of a duplicate host', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts:', '      - web-1', '      - web-2', '      - web-1'));
    assert.deepEqual(e.range, span(5, 8, 5, 13));
    assert.match(e.message, /^environments\.staging\.hosts\[2\]: host "web-1" is listed twice/);
  });

  it('points at the second copy of a duplicate key and names the first line', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    interval: 5s', '    interval: 10s'));
    assert.deepEqual(e.range, span(4, 4, 4, 12));
    assert.equal(e.message, 'duplicate key "interval" in environment "staging"; it is first written on line 4');
  });

  it('rejects a relative remote path and an absolute or escaping local one', () => {
    const r = parseConfig(
      yaml(
        'environments:',
        '  staging:',
        '    hosts: [a]',
        '    layers:',
        '      app:',
        '        files:',
        '          - { local: deploy/app.env, remote: srv/app.env }',
        '          - { local: /etc/passwd, remote: /etc/passwd }',
        '          - { local: ../outside, remote: /etc/x }',
      ),
      FILE,
    );
    assert.deepEqual(
      r.errors.map((e) => [where(e), e.message]),
      [
        ['7:46', 'environments.staging.layers.app.files[0].remote: expected an absolute path on the host, like "/etc/app/app.env", got "srv/app.env"'],
        ['8:22', 'environments.staging.layers.app.files[1].local: expected a path relative to the workspace, like "deploy/app.env", got "/etc/passwd"'],
        ['9:22', 'environments.staging.layers.app.files[2].local: expected a path inside the workspace, got "../outside"'],
      ],
    );
  });

  it('lists the allowed values for a bad mode', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    actions: { mode: yolo }'));
    assert.deepEqual(e.range, span(3, 21, 3, 25));
    assert.equal(e.message, 'environments.staging.actions.mode: expected one of "off", "suggest", "confirm", "auto", got "yolo"');
  });

  it('says which switch keys a strategy needs, at the switch map', () => {
    const r = parseConfig(yaml('environments:', '  staging:', '    hosts: [a]', '    actions:', '      switch: { strategy: nginx-upstream, blue: "127.0.0.1:8081" }'), FILE);
    assert.deepEqual(
      r.errors.map((e) => [where(e), e.message]),
      [
        ['5:15', 'environments.staging.actions.switch: missing required key "upstream" (needed for strategy "nginx-upstream")'],
        ['5:15', 'environments.staging.actions.switch: missing required key "green" (needed for strategy "nginx-upstream")'],
      ],
    );
  });

  it('asks for layers.app.release when rollback uses the release symlink', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    actions: { rollback: { strategy: release-symlink } }'));
    assert.equal(where(e), '4:38');
    assert.match(e.message, /^environments\.staging\.actions\.rollback\.strategy: .*layers\.app\.release/);
  });

  it('counts positions the same with CRLF line endings', () => {
    const e = onlyError(yaml('environments:', '  staging:', '    hosts: [a]', '    interval: fast').replace(/\n/g, '\r\n'));
    assert.deepEqual(e.range, span(3, 14, 3, 18));
  });

  it('points at a key written with no value', () => {
    const e = onlyError(yaml('environments:', '  staging:'));
    assert.deepEqual(e.range, span(1, 2, 1, 9));
    assert.equal(e.message, 'environments.staging: expected a map with "hosts", got nothing');
  });

  it('reports an empty file at 0:0', () => {
    const e = onlyError('');
    assert.deepEqual(e.range, span(0, 0, 0, 0));
    assert.match(e.message, /expected a map with "environments", got nothing/);
  });
});

describe('parseConfig: many mistakes at once', () => {
  it('reports every error in file order, without cascades', () => {
    const r = parseConfig(
      yaml(
        'environments:',
        '  staging:',
        '    hots: [web-1]',
        '    interval: fast',
        '    risk: { minor: 0.9, moderate: 0.5, severe: 0.95 }',
        '    actions: { mode: always }',
        '  prod:',
        '    hosts: [web-1, web-1]',
        '  "bad name": { hosts: [x] }',
      ),
      FILE,
    );
    assert.equal(r.config, undefined);
    assert.deepEqual(
      r.errors.map((e) => where(e)),
      ['3:5', '4:15', '5:25', '6:22', '8:20', '9:3'],
      r.errors.map((e) => formatConfigError(e)).join('\n'),
    );
    assert.match(r.errors[0].message, /did you mean "hosts"/);
    assert.ok(!r.errors.some((e) => /missing required key "hosts"/.test(e.message)), 'a misspelt key is not also reported missing');
    assert.match(r.errors[5].message, /environment name "bad name"/);
  });
});

describe('loadConfig', () => {
  it('reports a missing file as one error at 0:0', async () => {
    const missing = path.join(os.tmpdir(), `plumbline-missing-${process.pid}`, 'plumbline.yaml');
    const r = await loadConfig(missing);
    assert.equal(r.config, undefined);
    assert.equal(r.errors.length, 1);
    assert.deepEqual(r.errors[0].range, span(0, 0, 0, 0));
    assert.equal(r.errors[0].file, missing);
    assert.match(r.errors[0].message, /cannot read .*no such file/);
  });
});

describe('formatConfigError', () => {
  it('prints 1-based positions, relative to a folder when given', () => {
    const e: ConfigError = { file: FILE, range: span(11, 6, 11, 9), message: 'something is wrong' };
    assert.equal(formatConfigError(e, path.dirname(FILE)), 'plumbline.yaml:12:7: error: something is wrong');
    assert.equal(formatConfigError(e), `${FILE}:12:7: error: something is wrong`);
  });
});
