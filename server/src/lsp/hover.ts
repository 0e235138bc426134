import type { Hover, Position, Range } from 'vscode-languageserver';
import type { EnvironmentConfig } from '../config/types';
import type { DecisionView, HostView } from '../protocol/protocol';
import { reasonLine, riskPhrase, stateWord } from '../protocol/riskWords';
import { describeState } from './hostViews';

function contains(r: Range, p: Position): boolean {
  const after = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const before = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return after && before;
}

/** Host data in markdown: no markup from the host gets through. */
function md(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|]/g, (c) => `\\${c}`);
}

/** Why the watch decided what it did: cause, evidence, what each tier cures, and which mapping decided. */
export function whyLines(d: DecisionView): string[] {
  const what = d.tier === null ? 'no action' : `tier ${d.tier} ${d.action}${d.blockedBy ? ` (blocked: ${d.blockedBy})` : d.executed ? ' (ran)' : ''}`;
  return [
    `**Why: ${what}** — cause **${d.cause ?? 'none'}** (decided by ${d.decidedBy})`,
    '',
    md(d.summary),
    '',
    ...d.evidence.map((e) => `- evidence: ${md(e)}`),
    ...d.tiers.map((t) => `- ${md(t)}`),
    '',
    `_${md(d.why)}_`,
  ];
}

/** Hover on a host entry of plumbline.yaml: reachability, baseline, drift, and per-layer risk with reasons while watched. */
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
    const risk = v?.risk;
    if (!risk) lines.push(`- risk: not scored yet${v?.watch ? ` (${v.watch.phase})` : ' (not watched)'}`);
    else {
      lines.push(`- risk: **${riskPhrase(risk)}**, ${risk.value.toFixed(2)}${v?.watch?.stream === 'backoff' ? ` — stream down: ${v.watch.streamError ?? ''}` : ''}`);
      lines.push('', '| layer | risk | value | top reason |', '|---|---|---|---|');
      for (const l of Object.values(risk.layers)) {
        lines.push(`| ${l.layer} | ${stateWord(l.state)} | ${l.value.toFixed(2)} | ${l.reasons[0] ? reasonLine(l.reasons[0]).replace(/\|/g, '\\|') : '—'} |`);
      }
      for (const r of risk.reasons.slice(0, 3)) lines.push('', `- ${r.detail}`);
    }
    if (v?.decision) lines.push('', ...whyLines(v.decision));
    if (v?.proposal) lines.push('', `**Proposal:** ${md(v.proposal.why)}. Accept with *Plumbline: Promote Release as Baseline* or \`${v.proposal.command}\`.`);
    if (v?.checkedAt) lines.push('', `_as of ${v.checkedAt}_`);
    return { contents: { kind: 'markdown', value: lines.join('\n') }, range: entry.range };
  }
  return undefined;
}
