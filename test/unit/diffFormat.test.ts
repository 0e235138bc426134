import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostDiff } from '../../server/src/fingerprint/diff';
import { formatDiffTable } from '../../server/src/fingerprint/diffFormat';

function hostDiff(host: string, items: HostDiff['items'], baselineVersion?: number): HostDiff {
  return {
    host,
    baselineVersion,
    items,
    byLayer: { hardware: [], os: [], app: items.filter((i) => i.layer === 'app') },
    drift: items.length > 0,
  };
}

test('formatDiffTable: one row per item, values shortened, workspace lines shown, control characters escaped', () => {
  const out = formatDiffTable([
    hostDiff(
      'web-1',
      [
        { layer: 'os', kind: 'kernel', change: 'changed', path: 'os.kernel', old: '6.1.0-18-amd64', new: '6.1.0-21-amd64', severity: 'high' },
        { layer: 'os', kind: 'package', change: 'added', path: 'os.packages.curl', new: '7.88', severity: 'medium' },
        {
          layer: 'app',
          kind: 'file',
          change: 'changed',
          path: 'app.files./etc/nginx/conf.d/app.conf',
          old: `sha256:${'a'.repeat(64)}`,
          new: `sha256:${'b'.repeat(64)}`,
          severity: 'medium',
          file: { local: 'deploy/nginx/app.conf', remote: '/etc/nginx/conf.d/app.conf', secret: false, ranges: [{ start: 3, end: 4 }, { start: 9, end: 9 }], baselineRanges: [] },
        },
        { layer: 'os', kind: 'sysctl', change: 'changed', path: 'os.sysctl.x', old: 'a\u001b[31mred', new: 'b', severity: 'medium' },
      ],
      3,
    ),
    hostDiff('web-2', []),
  ]);
  const lines = out.split('\n');
  assert.match(lines[0], /^HOST\s+LAYER\s+KIND\s+PATH\s+CHANGE\s+SEVERITY$/);
  assert.match(lines[1], /^-+ {2}-+/);
  assert.match(lines[2], /^web-1 \(v3\)\s+os\s+kernel\s+os\.kernel\s+6\.1\.0-18-amd64 → 6\.1\.0-21-amd64\s+high$/);
  assert.match(lines[3], /\+ 7\.88\s+medium$/);
  assert.match(lines[4], /sha256:a+…a+ → sha256:b+…b+ \(deploy\/nginx\/app\.conf:3-4,9\)\s+medium$/);
  assert.ok(!out.includes('\u001b'), 'escape character reached the terminal');
  assert.match(lines[5], /a\\u\{1b\}\[31mred → b/);
  assert.match(lines[6], /^web-2\s+no drift$/);
  // every row has the columns aligned
  const severityColumn = lines[0].indexOf('SEVERITY');
  for (const l of lines.slice(2, 6)) assert.equal(l.search(/(high|medium)$/), severityColumn);
});
