import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabState } from './state';
import { APP_BLUE, APP_CONF, APP_GREEN, LAB_CACHE_DIR, LAB_DATA_MOUNT, upstreamConf } from './templates';

/** Files of the lab's workspace, relative to the lab dir. */
export const WORKSPACE_FILES = {
  userKey: 'id_ed25519',
  knownHosts: 'known_hosts',
  sshConfig: 'ssh_config',
  workspace: 'plumbline.yaml',
  appConf: 'deploy/nginx/app.conf',
  upstreamConf: 'deploy/nginx/upstream.conf',
  appEnv: 'deploy/app.env',
  /** `lab up --postgres`: the lab cluster's URL (with its password; 0600). */
  storeUrl: 'store-url',
} as const;

/** The lab's Prometheus as the metric source: hosts by address (node_exporter on :9100, the app behind nginx on :80). */
function metricsYaml(state: LabState): string {
  if (!state.prometheus) return '';
  const hosts = state.hosts.map((h) => `${h.name}: ${JSON.stringify(h.address)}`).join(', ');
  const window = `${Math.max(4, 4 * Math.round(state.prometheus.scrapeIntervalMs / 1000))}s`;
  return `    metrics:
      source: prometheus
      prometheus:
        url: ${state.prometheus.url}
        label: instance
        match: 'job="node"'
        app: 'job="app"'
        hosts: { ${hosts} }
        window: ${window}
`;
}

export function knownHostsText(state: LabState, hostKeys: Map<string, string>): string {
  return state.hosts.map((h) => `${h.name},${h.address} ${hostKeys.get(h.name)?.split(' ').slice(0, 2).join(' ')}\n`).join('');
}

/**
 * The lab's SSH settings, for the engine's caller to pass (plumbline.yaml cannot choose them):
 * `--ssh-config DIR/ssh_config` on the command line, or PLUMBLINE_SSH_CONFIG.
 */
export function labSshSettings(dir: string): { config: string } {
  return { config: path.join(dir, WORKSPACE_FILES.sshConfig) };
}

export function sshConfigText(state: LabState): string {
  const key = path.join(state.dir, WORKSPACE_FILES.userKey);
  const known = path.join(state.dir, WORKSPACE_FILES.knownHosts);
  const blocks = state.hosts.map(
    (h) => `Host ${h.name}
  HostName ${h.address}
  Port 22
  User deploy
  IdentityFile ${key}
  IdentitiesOnly yes
  UserKnownHostsFile ${known}
  StrictHostKeyChecking yes
  LogLevel ERROR
`,
  );
  return `# Plumbline lab (${state.bridge}, ${state.subnet}): written by "plumbline lab up".\n\n${blocks.join('\n')}`;
}

export function workspaceYaml(state: LabState): string {
  return `# Plumbline lab workspace: written by "plumbline lab up" for the hosts in ${state.subnet}.
environments:
  lab:
    hosts: [${state.hosts.map((h) => h.name).join(', ')}]
    interval: 2s
    layers:
      hardware:
        mounts: [${LAB_DATA_MOUNT}]
        limits: { disk: 90 }
      os:
        packages: true
        sysctl: [net.core.somaxconn, net.ipv4.tcp_fin_timeout, vm.swappiness]
        services: [nginx, ssh]
      app:
        release: /srv/app/current
        health: http://127.0.0.1/healthz
        limits: { memory: 512MiB, latency: 500ms }
        process: plumbline-app
        metrics: http://127.0.0.1/metrics
        files:
          - { local: ${WORKSPACE_FILES.appConf}, remote: /etc/nginx/conf.d/app.conf }
          - { local: ${WORKSPACE_FILES.upstreamConf}, remote: /etc/nginx/conf.d/upstream.conf }
          - { local: ${WORKSPACE_FILES.appEnv}, remote: /srv/app/shared/app.env, secret: true }
${metricsYaml(state)}    risk: { minor: 0.3, moderate: 0.6, severe: 0.85 }
    actions:
      mode: confirm
      remediate: { restart: [plumbline-app], commands: [[find, ${LAB_CACHE_DIR}, -mindepth, '1', -delete]] }
      switch:
        strategy: nginx-upstream
        upstream: /etc/nginx/conf.d/upstream.conf
        blue: ${APP_BLUE}
        green: ${APP_GREEN}
        services: { blue: plumbline-app-blue, green: plumbline-app-green }
      rollback: { strategy: release-symlink, restoreFiles: true }
`;
}

/** Writes everything but the user key (ssh-keygen wrote that): ssh files, workspace, deployed copies. */
export function writeWorkspace(state: LabState, hostKeys: Map<string, string>, appEnv: string): void {
  const put = (rel: string, text: string): void => {
    const file = path.join(state.dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };
  put(WORKSPACE_FILES.knownHosts, knownHostsText(state, hostKeys));
  put(WORKSPACE_FILES.sshConfig, sshConfigText(state));
  put(WORKSPACE_FILES.workspace, workspaceYaml(state));
  put(WORKSPACE_FILES.appConf, APP_CONF);
  put(WORKSPACE_FILES.upstreamConf, upstreamConf());
  put(WORKSPACE_FILES.appEnv, appEnv);
}
