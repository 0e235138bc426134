import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditView } from '../../server/src/audit/log';
import { pendingProposals } from '../../server/src/cli/proposals';
import type { Proposal } from '../../server/src/policy';

const proposal = (host: string, to: string): Proposal => ({
  kind: 'promote-baseline',
  host,
  release: { path: '/srv/app/current', from: 'releases/r2', to, at: 0, seen: 'watch', files: [] },
  command: `plumbline promote lab ${host}`,
  why: 'healthy',
});

const entry = (id: number, ts: string, host: string, details: Record<string, unknown>): AuditView => ({ id, hash: `h${id}`, ts, env: 'lab', host, kind: 'decision', outcome: 'decided', actor: 'watch', summary: 's', details });

describe('proposals: what the watch proposed and no baseline has answered', () => {
  it('keeps the newest proposal per host made after its active baseline; drops answered ones and other entries', () => {
    const entries = [
      entry(1, '2026-01-01T10:00:00Z', 'web-1', { proposal: proposal('web-1', 'releases/r3') }),
      entry(2, '2026-01-01T10:05:00Z', 'web-1', { proposal: proposal('web-1', 'releases/r4') }),
      entry(3, '2026-01-01T10:01:00Z', 'web-2', { proposal: proposal('web-2', 'releases/r3') }),
      entry(4, '2026-01-01T10:02:00Z', 'web-2', { decision: {} }),
    ];
    const promoted: Record<string, string | null> = { 'web-1': '2026-01-01T09:00:00Z', 'web-2': '2026-01-01T10:03:00Z' };
    const pending = pendingProposals(entries, (h) => promoted[h] ?? null);
    assert.deepEqual(pending.map((p) => [p.auditId, p.proposal.host, p.proposal.release.to]), [[2, 'web-1', 'releases/r4']]);
  });
});
