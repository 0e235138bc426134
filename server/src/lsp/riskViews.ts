/**
 * Pure conversions from the watch loop's data (HostRisk, phases, stream states, action reports,
 * audit entries) to what the UI shows. No LSP, no engine calls.
 */
import type { ActionReport } from '../act/types';
import type { AuditView } from '../audit/log';
import type { HostStreamState } from '../monitor/hostStream';
import { explainDecision, type Decision, type Proposal } from '../policy';
import type { HostRisk, LayerRisk, Reason } from '../risk/types';
import type { HostPhase } from '../watch/hostWatch';
import type {
  ActionReportView,
  AuditEntryView,
  DecisionView,
  ProposalView,
  HostWatchView,
  LayerRiskView,
  ReasonView,
  RiskView,
} from '../protocol/protocol';
import { tierOf } from '../protocol/riskWords';

const MAX_REASONS = 5;

export function reasonView(r: Reason): ReasonView {
  return {
    layer: r.layer,
    source: r.source,
    metric: r.metric,
    value: r.value,
    ...(r.baseline !== undefined ? { baseline: r.baseline } : {}),
    ...(r.threshold !== undefined ? { threshold: r.threshold } : {}),
    score: r.score,
    ...(r.forecast ? { forecast: { ...r.forecast } } : {}),
    detail: r.detail,
  };
}

function layerView(l: LayerRisk): LayerRiskView {
  return { layer: l.layer, value: l.value, state: l.state, reasons: l.reasons.slice(0, MAX_REASONS).map(reasonView), since: l.since, lastSampleTs: l.lastSampleTs };
}

export function riskView(r: HostRisk): RiskView {
  return {
    ts: r.ts,
    value: r.value,
    state: r.state,
    tier: tierOf(r.state),
    layers: { hardware: layerView(r.layers.hardware), os: layerView(r.layers.os), app: layerView(r.layers.app) },
    reasons: r.reasons.slice(0, MAX_REASONS).map(reasonView),
  };
}

export function watchView(phase: HostPhase, stream: HostStreamState | null, acting: boolean): HostWatchView {
  return {
    phase: phase.kind,
    ...(phase.kind === 'learning' ? { learning: { have: phase.have, need: phase.need } } : {}),
    stream: stream?.kind ?? 'starting',
    ...(stream?.kind === 'backoff' ? { streamError: stream.error } : {}),
    acting,
  };
}

export function reportView(r: ActionReport): ActionReportView {
  return {
    env: r.env,
    host: r.host,
    action: r.action,
    dryRun: r.dryRun,
    status: r.status,
    message: r.message,
    reasons: r.reasons,
    steps: r.steps.map((s) => ({
      title: s.title,
      effect: s.effect,
      command: s.command,
      ran: s.ran,
      ...(s.code !== undefined ? { code: s.code } : {}),
      ...(s.error ? { error: s.error } : {}),
    })),
    ...(r.verification ? { verification: { ok: r.verification.ok, checks: r.verification.checks.map((c) => ({ ...c })) } } : {}),
    ...(r.auditId !== undefined ? { auditId: r.auditId } : {}),
  };
}

/** The commands of a plan that change the host: what a person approves. */
export function changeCommands(r: ActionReportView): string[] {
  return r.steps.filter((s) => s.effect === 'change').map((s) => s.command);
}

export function auditEntryView(e: AuditView): AuditEntryView {
  const d = (e.details ?? {}) as { steps?: Array<{ effect?: string; command?: string }>; verification?: { checks?: Array<{ ok: boolean; name: string; detail: string }> }; reasons?: unknown };
  const commands = Array.isArray(d.steps) ? d.steps.filter((s) => s.effect === 'change' && typeof s.command === 'string').map((s) => s.command!) : undefined;
  const failedChecks = d.verification?.checks?.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  const reasons = Array.isArray(d.reasons) ? d.reasons.filter((x): x is string => typeof x === 'string') : undefined;
  return {
    id: e.id,
    ts: e.ts,
    env: e.env,
    ...(e.host ? { host: e.host } : {}),
    kind: e.kind,
    ...(e.action ? { action: e.action } : {}),
    outcome: e.outcome,
    actor: e.actor,
    summary: e.summary,
    ...(commands && commands.length ? { commands } : {}),
    ...(failedChecks && failedChecks.length ? { failedChecks } : {}),
    ...(reasons && reasons.length ? { reasons } : {}),
  };
}

/** A decision as the editor shows it: the same explanation the CLI prints and the audit keeps. */
export function decisionView(d: Decision): DecisionView {
  const x = explainDecision(d);
  return {
    ts: d.ts,
    tier: d.tier,
    action: d.action,
    ...(d.blockedBy ? { blockedBy: d.blockedBy } : {}),
    executed: d.execute,
    cause: d.cause?.kind ?? null,
    summary: d.cause?.summary ?? d.why,
    evidence: x.evidence,
    tiers: x.tiers,
    why: d.why,
    decidedBy: d.decidedBy,
  };
}

export function proposalView(p: Proposal): ProposalView {
  return { release: { from: p.release.from, to: p.release.to, at: p.release.at }, why: p.why, command: p.command };
}
