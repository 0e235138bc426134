import type { SchemaObject, ValidateFunction } from 'ajv';
import { schemaValidator, type SchemaSpec } from '../common/schemaValidator';
import { DURATION_PATTERN } from './duration';

/**
 * JSON Schema (draft-07) for plumbline.yaml. Two annotation keywords carry the words people see:
 * `expected` says what a value should look like ("a duration like ..."), `because` says why a
 * conditional key is required. Checks that span several keys (risk order, minimum interval,
 * duplicate hosts) live in checks.ts.
 */

/** No control characters anywhere in a string that may reach a remote command. */
const PRINTABLE = '[^\\u0000-\\u001f\\u007f]';
const NAME = '[A-Za-z0-9_][A-Za-z0-9_.-]*';
const IPV6 = '\\[[0-9A-Fa-f:.]+\\]';
const PORT = '(?:6553[0-5]|655[0-2]\\d|65[0-4]\\d{2}|6[0-4]\\d{3}|[1-5]\\d{4}|[1-9]\\d{0,3})';

export const ENV_NAME_PATTERN = '^[A-Za-z0-9_.-]+$';
/** An ssh_config alias or `[user@]host[:port]`; never starting with "-" so it cannot pose as an ssh option. */
export const HOST_PATTERN = `^(?:${NAME}@)?(?:${NAME}|${IPV6})(?::${PORT})?$`;
export const ADDRESS_PATTERN = `^(?:${NAME}|${IPV6}):${PORT}$`;
export const SYSCTL_PATTERN = '^(?!-)[A-Za-z0-9_.-]+$';
export const UNIT_PATTERN = '^(?!-)[A-Za-z0-9@_.:-]+$';
export const REMOTE_PATH_PATTERN = `^/${PRINTABLE}*$`;
/** Relative: not "/…", "~…", "\\…" nor a Windows drive. Escaping the workspace is checked in checks.ts. */
export const LOCAL_PATH_PATTERN = `^(?![/~\\\\])(?![A-Za-z]:)${PRINTABLE}+$`;
export const SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*(B|KiB|MiB|GiB|TiB|kB|KB|MB|GB|TB)$';
export const HTTP_URL_PATTERN = '^https?://[^\\s/?#]+[^\\s]*$';
/** PromQL label matchers, like `job="node", env=~"prod|staging"`: pasted into queries, so nothing else. */
const MATCHER = '[A-Za-z_][A-Za-z0-9_]*\\s*(?:=~|!~|!=|=)\\s*"(?:[^"\\\\\\u0000-\\u001f]|\\\\.)*"';
export const MATCHERS_PATTERN = `^\\s*${MATCHER}(?:\\s*,\\s*${MATCHER})*\\s*$`;
export const LABEL_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

const str = (expected: string, pattern?: string): SchemaObject =>
  pattern === undefined ? { type: 'string', minLength: 1, expected } : { type: 'string', pattern, expected };

const list = (items: SchemaObject, expected: string, minItems = 0): SchemaObject =>
  ({ type: 'array', items, expected, ...(minItems > 0 ? { minItems } : {}) });

const map = (properties: Record<string, SchemaObject>, expected: string, extra: SchemaObject = {}): SchemaObject =>
  ({ type: 'object', additionalProperties: false, properties, expected, ...extra });

const argv = list(str('an argument as text', `^${PRINTABLE}*$`), 'a command as a list of arguments, like [systemctl, reload, nginx]', 1);
const unit = str('a systemd unit name like "nginx" or "app@1.service"', UNIT_PATTERN);
const perTier = (value: SchemaObject): Record<string, SchemaObject> => ({ remediate: value, switch: value, rollback: value });
const percent: SchemaObject = { type: 'number', exclusiveMinimum: 0, maximum: 100, expected: 'a percentage from 0 to 100' };
const riskLevel: SchemaObject = { type: 'number', minimum: 0, maximum: 1, expected: 'a number from 0 to 1' };

const environment = map(
  {
    hosts: list(str('an ssh alias or user@host:port (no spaces, not starting with "-")', HOST_PATTERN), 'a list of hosts', 1),
    interval: { ...str('a duration like "5s" or "500ms"', DURATION_PATTERN), default: '5s' },
    layers: map(
      {
        hardware: map(
          {
            perf: { type: 'boolean', expected: 'true or false', default: true },
            mounts: list(str('an absolute path on the host, like "/srv/data"', REMOTE_PATH_PATTERN), 'a list of mount points whose usage is sampled'),
            limits: map({ disk: percent, memory: percent }, 'a map with "disk" or "memory" (percent used)'),
          },
          'a map',
        ),
        os: map(
          {
            packages: { type: 'boolean', expected: 'true or false', default: true },
            sysctl: list(str('a sysctl name like "vm.swappiness"', SYSCTL_PATTERN), 'a list of sysctl names'),
            services: list(unit, 'a list of systemd unit names'),
          },
          'a map',
        ),
        app: map(
          {
            release: str('an absolute path on the host, like "/srv/app/current"', REMOTE_PATH_PATTERN),
            health: str('an http(s) URL like "http://127.0.0.1:8080/healthz"', HTTP_URL_PATTERN),
            process: str('a process name', `^${PRINTABLE}+$`),
            metrics: str('an http(s) URL like "http://127.0.0.1:9100/metrics"', HTTP_URL_PATTERN),
            limits: map(
              {
                memory: str('a size like "512MiB" or "2GiB"', SIZE_PATTERN),
                latency: str('a duration like "500ms"', DURATION_PATTERN),
                fds: { type: 'integer', minimum: 1, expected: 'a whole number of file descriptors' },
              },
              'a map with "memory", "latency" or "fds"',
            ),
            files: {
              ...list(
                map(
                  {
                    local: str('a path relative to the workspace, like "deploy/app.env"', LOCAL_PATH_PATTERN),
                    remote: str('an absolute path on the host, like "/etc/app/app.env"', REMOTE_PATH_PATTERN),
                    secret: { type: 'boolean', expected: 'true or false', default: false },
                  },
                  'a map with "local" and "remote"',
                  { required: ['local', 'remote'] },
                ),
                'a list of files',
              ),
              default: [],
            },
          },
          'a map',
        ),
      },
      'a map with "hardware", "os" or "app"',
    ),
    metrics: map(
      {
        source: { enum: ['agent', 'prometheus'], default: 'agent' },
        prometheus: map(
          {
            url: str('an http(s) URL like "http://127.0.0.1:9090"', HTTP_URL_PATTERN),
            label: str('a Prometheus label name like "instance"', LABEL_NAME_PATTERN),
            match: str('label matchers like \'job="node"\'', MATCHERS_PATTERN),
            app: str('label matchers like \'job="app"\' for the app\'s own series', MATCHERS_PATTERN),
            hosts: {
              type: 'object',
              expected: 'a map from each host to its value of the label, like { web-1: "10.0.0.11" }',
              additionalProperties: str('a label value', `^${PRINTABLE}+$`),
            },
            window: str('a duration like "1m" (the rate window; at least two scrapes)', DURATION_PATTERN),
            history: str('a duration like "1h" (how far back to warm up from)', DURATION_PATTERN),
          },
          'a map with "url"',
          { required: ['url'] },
        ),
      },
      'a map with "source"',
      {
        if: { properties: { source: { const: 'prometheus' } }, required: ['source'] },
        then: { required: ['prometheus'], because: 'source "prometheus"' },
      },
    ),
    risk: map({ minor: riskLevel, moderate: riskLevel, severe: riskLevel }, 'a map with "minor", "moderate" and "severe"'),
    actions: map(
      {
        mode: { enum: ['off', 'suggest', 'confirm', 'auto'], default: 'suggest' },
        shadow: { type: 'boolean', expected: 'true or false' },
        maxConcurrent: { type: 'integer', minimum: 1, expected: 'a whole number of hosts, at least 1' },
        escalateAfter: str('a duration like "2m"', DURATION_PATTERN),
        noData: { enum: ['ignore', 'alert', 'treat-as-severe'] },
        persistence: map(perTier({ type: 'integer', minimum: 1, expected: 'a whole number of intervals, at least 1' }), 'a map with "remediate", "switch" or "rollback"'),
        cooldown: map(perTier(str('a duration like "10m"', DURATION_PATTERN)), 'a map with "remediate", "switch" or "rollback"'),
        remediate: map(
          {
            restart: list(unit, 'a list of systemd unit names'),
            commands: list(argv, 'a list of commands, each a list of arguments'),
          },
          'a map',
        ),
        switch: map(
          {
            strategy: { enum: ['nginx-upstream', 'command'] },
            upstream: str('an absolute path on the host, like "/etc/nginx/conf.d/upstream.conf"', REMOTE_PATH_PATTERN),
            blue: str('an address like "127.0.0.1:8081"', ADDRESS_PATTERN),
            green: str('an address like "127.0.0.1:8082"', ADDRESS_PATTERN),
            services: map({ blue: unit, green: unit }, 'a map with "blue" and "green": the service running each colour', { required: ['blue', 'green'] }),
            command: argv,
          },
          'a map with "strategy"',
          {
            required: ['strategy'],
            allOf: [
              {
                if: { properties: { strategy: { const: 'nginx-upstream' } } },
                then: { required: ['upstream', 'blue', 'green'], because: 'strategy "nginx-upstream"' },
              },
              {
                if: { properties: { strategy: { const: 'command' } } },
                then: { required: ['command'], because: 'strategy "command"' },
              },
            ],
          },
        ),
        rollback: map(
          {
            strategy: { enum: ['release-symlink', 'command'] },
            restoreFiles: { type: 'boolean', expected: 'true or false' },
            command: argv,
          },
          'a map with "strategy"',
          {
            required: ['strategy'],
            allOf: [
              {
                if: { properties: { strategy: { const: 'command' } } },
                then: { required: ['command'], because: 'strategy "command"' },
              },
            ],
          },
        ),
      },
      'a map',
    ),
  },
  'a map with "hosts"',
  { required: ['hosts'] },
);

export const configSchema: SchemaObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'plumbline.yaml',
  ...map(
    {
      ssh: map(
        {
          config: str('a path to an ssh_config file'),
          knownHosts: str('a path to a known_hosts file'),
        },
        'a map with "config" or "knownHosts"',
      ),
      environments: {
        type: 'object',
        expected: 'a map from environment names to environments',
        minProperties: 1,
        propertyNames: { pattern: ENV_NAME_PATTERN },
        additionalProperties: environment,
      },
    },
    'a map with "environments"',
    { required: ['environments'] },
  ),
};

/** How the config schema is compiled: every error in one pass, each carrying its schema node and data. */
export const configSchemaSpec: SchemaSpec = {
  name: 'config',
  schema: configSchema,
  options: { allErrors: true, verbose: true },
  keywords: ['expected', 'because'],
};

let compiled: ValidateFunction | undefined;

/** The compiled validator: every error in one pass, each carrying its schema node and data. */
export function configValidator(): ValidateFunction {
  return (compiled ??= schemaValidator(configSchemaSpec));
}
