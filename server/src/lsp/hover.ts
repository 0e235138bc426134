import type { Hover, Position, Range } from 'vscode-languageserver';
import type { EnvironmentConfig } from '../config/types';
import type { HostView } from '../protocol/protocol';
import { describeState } from './hostViews';

function contains(r: Range, p: Position): boolean {
  const after = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const before = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return after && before;
}

/** Hover on a host entry of plumbline.yaml: reachability, baseline, drift, risk (when scored). */
export function hostHover(envs: EnvironmentConfig[], views: (env: string) => HostView[], pos: Position): Hover | undefined {
  for (const env of envs) {
    const entry = env.hosts.find((h) => contains(h.range, pos));
    if (!entry) continue;
    const v = views(env.name).find((h) => h.host === entry.spec);
    const lines = [`**${entry.spec}** in \`${env.name}\`: ${v ? describeState(v) : 'unknown'}`, ''];
    if (v?.reason) lines.push(`- ${v.reason}`);
    lines.push(`- reachable: ${v?.reachable === undefined ? 'not checked yet' : v.reachable ? 'yes' : 'no'}${v?.keyFingerprint ? ` (host key \`${v.keyFingerprint}\`)` : ''}`);
    lines.push(v?.baseline ? `- baseline v${v.baseline.version}, ${v.baseline.promotedAt} by ${v.baseline.promotedBy}: ${v.baseline.reason}` : '- no baseline yet');
    for (const f of (v?.findings ?? []).filter((x) => x.severity !== 'info').slice(0, 8)) {
      const change = f.file?.secret ? 'changed (secret)' : `${f.old ?? '∅'} → ${f.new ?? '∅'}`;
      lines.push(`- ${f.severity}: \`${f.path}\` ${change}`);
    }
    lines.push(`- risk: ${v?.risk ? `${v.risk.tier} (${v.risk.value.toFixed(2)}): ${v.risk.reasons.join('; ')}` : 'not scored yet'}`);
    if (v?.checkedAt) lines.push('', `_as of ${v.checkedAt}_`);
    return { contents: { kind: 'markdown', value: lines.join('\n') }, range: entry.range };
  }
  return undefined;
}
