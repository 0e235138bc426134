import type { CodeLens } from 'vscode-languageserver';
import type { EnvironmentConfig } from '../config/types';
import { Commands, type HostView } from '../protocol/protocol';
import { hostRank } from './hostViews';

/** One-line state of an environment: "3 hosts: 1 drift (medium), 2 clean". */
export function environmentSummary(hosts: HostView[]): string {
  const counts = new Map<string, number>();
  for (const h of [...hosts].sort((a, b) => hostRank(b) - hostRank(a))) {
    const key = h.state === 'drift' ? `drift (${h.highest ?? 'low'})` : h.state === 'noBaseline' ? 'no baseline' : h.state;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = [...counts].map(([k, n]) => `${n} ${k}`);
  return `${hosts.length} host${hosts.length === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}`;
}

/** Above each environment in plumbline.yaml: its state, Capture baseline, Diff, Watch. */
export function environmentLenses(envs: EnvironmentConfig[], views: (env: string) => HostView[], trusted: boolean): CodeLens[] {
  return envs.flatMap((env) => {
    const range = { start: env.range.start, end: env.range.start };
    const state: CodeLens = {
      range,
      command: { title: `Plumbline: ${environmentSummary(views(env.name))}`, command: Commands.selectEnvironment, arguments: [env.name] },
    };
    if (!trusted) return [state];
    return [
      state,
      { range, command: { title: 'Capture baseline', command: Commands.captureBaseline, arguments: [env.name] } },
      { range, command: { title: 'Diff', command: Commands.diff, arguments: [env.name] } },
      { range, command: { title: 'Watch', command: Commands.startWatching, arguments: [env.name] } },
    ];
  });
}
