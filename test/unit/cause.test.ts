import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeCause, isHarm } from '../../server/src/policy/cause';
import type { CauseInput, ReleaseChange } from '../../server/src/policy/causeTypes';
import type { Reason } from '../../server/src/risk/types';

const T0 = 1_700_000_000_000;
const SETTLE = 30_000;

const reason = (over: Partial<Reason>): Reason => ({ layer: 'app', source: 'stats', metric: 'cpuPct', value: 90, baseline: 10, threshold: 30, score: 0.9, detail: 'cpu', ...over });
const errors = (score = 0.9): Reason => reason({ metric: 'errorRatio', value: 0.3, baseline: 0, score, detail: 'errorRatio 0.3' });
const releaseDrift = (to = 'releases/r3'): Reason => reason({ source: 'config', metric: 'release', value: to, baseline: 'releases/r2', score: 0.7, detail: 'release moved' });
const change = (at: number | null, files: string[] = []): ReleaseChange => ({ path: '/srv/app/current', from: 'releases/r2', to: 'releases/r3', at, seen: 'watch', files });

function input(reasons: Reason[], over: Partial<CauseInput> = {}): CauseInput {
  return {
    host: 'web-1',
    now: T0,
    reasons,
    settleMs: SETTLE,
    blameMs: 3_600_000,
    release: { now: 'releases/r2', baseline: 'releases/r2', snapshot: 'releases/r2', change: null },
    cleanup: { configured: true, freed: null },
    ...over,
  };
}

const deployed = (at: number | null, files: string[] = []): Partial<CauseInput> => ({
  release: { now: 'releases/r3', baseline: 'releases/r2', snapshot: 'releases/r2', change: change(at, files) },
});

const procs = (hostCpu: number, appCpu: number, top: Array<[number, string, number, number]>, base = { host: 20, app: 10 }): Partial<CauseInput> => ({
  processes: {
    app: { cpuPct: appCpu, rssKiB: 50_000 },
    host: { cpuPct: hostCpu, rssKiB: 200_000 },
    baseline: { appCpuPct: base.app, appRssKiB: 50_000, hostCpuPct: base.host, hostRssKiB: 200_000 },
    top: top.map(([pid, command, cpuPct, rssKiB]) => ({ pid, command, cpuPct, rssKiB })),
  },
});

describe('cause: a release change', () => {
  it('is a deploy still starting up inside the settle window, whatever it shows', () => {
    const c = attributeCause(input([releaseDrift(), errors(), reason({ metric: 'restarts', value: 2, baseline: 0 })], { ...deployed(T0 - 5_000), now: T0 }));
    assert.equal(c.kind, 'deploy');
    assert.equal(c.kind === 'deploy' && c.settled, false);
    assert.match(c.summary, /release r3 deployed outside Plumbline at .*judged once it has run 30 s/);
  });

  it('is a healthy deploy once settled without harm: the release, not a fault', () => {
    const c = attributeCause(input([releaseDrift(), reason({ metric: 'cpuPct', score: 0.5 })], deployed(T0 - 60_000)));
    assert.equal(c.kind, 'deploy');
    assert.equal(c.kind === 'deploy' && c.settled, true);
    assert.deepEqual(c.harm, []);
    assert.match(c.summary, /release r3 deployed outside Plumbline at \d\d:\d\d:\d\dZ; service healthy/);
  });

  it('a canary deployed after the snapshot whose own trend holds up is the release\'s before it is harm; a deploy seen by the watch is not', () => {
    const far = reason({ source: 'forecast', metric: 'rssKiB', value: 90_000, baseline: 60_000, score: 0.2, forecast: { limit: 524_288, timeToBreachMs: 2_400_000, slopePerSec: 200 }, detail: 'rss reaches 512 MiB in 40 min' });
    const canary: Partial<CauseInput> = { release: { now: 'releases/r3', baseline: 'releases/r3', snapshot: 'releases/r2', change: { ...change(T0 - 120_000), seen: 'snapshot' } } };
    const c = attributeCause(input([far], canary));
    assert.equal(c.kind, 'release-regression');
    assert.deepEqual(c.harm, [], 'a trend beyond the horizon is no harm yet: the policy waits for moderate risk');
    assert.ok(c.evidence.some((e) => e.metric === 'rssKiB' && e.source === 'forecast'));
    assert.match(c.summary, /since release r3 \(deployed after the snapshot of r2/);
    // The same trend after a deploy the watch saw and judged healthy stays that deploy's start-up, never a rollback.
    assert.equal(attributeCause(input([releaseDrift(), far], deployed(T0 - 60_000))).kind, 'deploy');
  });

  it('followed by harm users see is a release regression, with evidence "since release r3 at T"', () => {
    const at = T0 - 60_000;
    const c = attributeCause(input([releaseDrift(), errors()], { ...deployed(at), since: { 'app.errorRatio': at + 3_000 }, bands: { 'app.errorRatio': { low: 0, high: 0.01 } } }));
    assert.equal(c.kind, 'release-regression');
    assert.match(c.summary, /errorRatio 0\.3 \(normal 0–0\.01\) since release r3 at/);
    assert.equal(c.harm[0].since, at + 3_000);
    assert.deepEqual(c.harm[0].band, { low: 0, high: 0.01 });
  });

  it('does not blame the release for harm that was there before it', () => {
    const at = T0 - 60_000;
    const c = attributeCause(input([releaseDrift(), errors()], { ...deployed(at), since: { 'app.errorRatio': at - 30_000 } }));
    assert.notEqual(c.kind, 'release-regression');
    assert.equal(c.kind, 'colour-fault');
  });

  it('deployed between the snapshot and the baseline, a leak whose forecast holds is the release\'s', () => {
    const leak = reason({ source: 'forecast', metric: 'rssKiB', value: 300_000, baseline: 60_000, score: 0.6, forecast: { limit: 524_288, timeToBreachMs: 200_000, slopePerSec: 1024 }, detail: 'rss reaches 512 MiB in 3 min' });
    const c = attributeCause(input([leak], { release: { now: 'releases/r3', baseline: 'releases/r3', snapshot: 'releases/r2', change: null } }));
    assert.equal(c.kind, 'release-regression');
    assert.equal(c.kind === 'release-regression' && c.release.from, 'releases/r2');
    assert.match(c.summary, /rssKiB forecast to reach 524288 in 200 s since release r3 \(deployed after the snapshot of r2\)/);
  });

  it('managed files that changed with the release are part of the deploy, not config drift', () => {
    const file = reason({ source: 'config', metric: 'file:/srv/app/shared/app.env', value: 'x', baseline: 'y', score: 0.45 });
    assert.equal(attributeCause(input([releaseDrift(), file], deployed(T0 - 60_000, ['/srv/app/shared/app.env']))).kind, 'deploy');
    assert.equal(attributeCause(input([releaseDrift(), file], deployed(T0 - 60_000))).kind, 'config-drift');
  });
});

describe('cause: files, colours, neighbours', () => {
  it('a managed file changed on its own is config drift; the switch\'s own upstream is not', () => {
    const conf = reason({ source: 'config', metric: 'file:/etc/nginx/conf.d/app.conf', value: 'a', baseline: 'b', score: 0.45 });
    const c = attributeCause(input([conf]));
    assert.equal(c.kind, 'config-drift');
    assert.deepEqual(c.kind === 'config-drift' && c.files, ['/etc/nginx/conf.d/app.conf']);
    const up = reason({ source: 'config', metric: 'file:/etc/nginx/conf.d/upstream.conf', value: 'a', baseline: 'b', score: 0.45 });
    assert.notEqual(attributeCause(input([up], { switchFile: '/etc/nginx/conf.d/upstream.conf' })).kind, 'config-drift');
  });

  it('harm on the same release with the app taking no one else\'s resource is the serving colour\'s fault', () => {
    const c = attributeCause(input([errors()], { colours: { serving: 'blue', idle: { colour: 'green', healthy: true, detail: '200 ×3' } } }));
    assert.equal(c.kind, 'colour-fault');
    assert.equal(c.kind === 'colour-fault' && c.colour, 'blue');
    assert.match(c.summary, /serving colour \(blue\).*green is healthy/);
  });

  it('a CPU hog that is not the app is a neighbour, named with pid, command and share', () => {
    const hw = reason({ layer: 'hardware', metric: 'cpuPct', value: 120, baseline: 20, score: 0.95, detail: 'host cpu 120%' });
    const c = attributeCause(input([hw], procs(120, 11, [[4242, 'batch.sh', 98, 2_000], [17, 'nginx', 1, 9_000]])));
    assert.equal(c.kind, 'neighbour');
    if (c.kind !== 'neighbour') return;
    assert.equal(c.resource, 'cpu');
    assert.deepEqual(c.processes[0], { pid: 4242, command: 'batch.sh', cpuPct: 98, rssKiB: 2_000, share: 98 / 120 });
    assert.match(c.summary, /cpu taken by pid 4242 "batch\.sh" \(82%, cpu 98%/);
  });

  it('names only the processes that account for the increase: none when the top ones together do not', () => {
    const hw = reason({ layer: 'hardware', metric: 'cpuPct', value: 120, baseline: 20, score: 0.95, detail: 'host cpu 120%' });
    const two = attributeCause(input([hw], procs(120, 10, [[1, 'a.sh', 45, 1_000], [2, 'b.sh', 40, 1_000], [3, 'nginx', 1, 9_000]])));
    assert.deepEqual(two.kind === 'neighbour' && two.processes.map((x) => x.command), ['a.sh', 'b.sh']);
    const none = attributeCause(input([hw], procs(120, 10, [[1586, 'nginx', 1, 4_000]])));
    assert.equal(none.kind, 'neighbour');
    assert.deepEqual(none.kind === 'neighbour' && none.processes, []);
    assert.match(none.summary, /a process other than the app/);
    assert.doesNotMatch(none.summary, /nginx/);
  });

  it('the same CPU used by the app is the app\'s own resource', () => {
    const hw = reason({ layer: 'hardware', metric: 'cpuPct', value: 120, baseline: 20, score: 0.95 });
    const c = attributeCause(input([hw, reason({ metric: 'cpuPct', value: 100, baseline: 10, score: 0.9 })], procs(120, 100, [[17, 'nginx', 1, 9_000]])));
    assert.equal(c.kind, 'app-resource');
  });

  it('a neighbour that slows the app for users is still a neighbour: no app action cures it', () => {
    const hw = reason({ layer: 'hardware', metric: 'cpuPct', value: 190, baseline: 20, score: 0.95 });
    const slow = reason({ metric: 'healthLatencyMs', value: 300, baseline: 5, score: 0.6 });
    const c = attributeCause(input([hw, slow], procs(190, 12, [[99, 'stress', 175, 1_000]])));
    assert.equal(c.kind, 'neighbour');
    assert.equal(c.harm.length, 1);
  });

  it('without per-process data, a host resource the app does not show is someone else\'s', () => {
    const hw = reason({ layer: 'hardware', metric: 'cpuPct', value: 120, baseline: 20, score: 0.95 });
    const c = attributeCause(input([hw]));
    assert.equal(c.kind, 'neighbour');
    assert.match(c.summary, /a process other than the app/);
  });
});

describe('cause: demand', () => {
  const rate = reason({ metric: 'requestRate', value: 94, baseline: 9.1, score: 0.18, explainedBy: 'traffic', detail: 'requestRate 94' });
  const rssTrend = reason({
    source: 'forecast',
    metric: 'rssKiB',
    value: 145_200,
    baseline: 60_000,
    score: 0.19,
    explainedBy: 'traffic',
    forecast: { limit: 524_288, timeToBreachMs: 1_200_000, slopePerSec: 350 },
    detail: 'rss reaches 512 MiB in 20 min. Explained by traffic',
  });

  it('the app using more because it serves more, users unharmed, is load: named with the traffic', () => {
    const c = attributeCause(input([rssTrend, rate, reason({ metric: 'cpuPct', value: 60, baseline: 10, score: 0.15, explainedBy: 'traffic' })]));
    assert.equal(c.kind, 'load');
    assert.equal(c.kind === 'load' && c.resource, 'memory');
    assert.deepEqual(c.harm, []);
    assert.match(c.summary, /serves more traffic \(request rate 94\/s against 9\.1\/s\) and uses more memory/);
  });

  it('one lead that traffic does not explain makes it the app\'s own again', () => {
    const cpu = reason({ metric: 'cpuPct', value: 90, baseline: 10, score: 0.19 });
    assert.equal(attributeCause(input([rssTrend, rate, cpu])).kind, 'app-resource');
  });

  it('harm users see is never load: a busy service that fails is judged in full', () => {
    const c = attributeCause(input([rssTrend, rate, errors()]));
    assert.equal(c.kind, 'colour-fault');
  });
});

describe('cause: disks, OS, nothing', () => {
  const disk = reason({ layer: 'hardware', source: 'forecast', metric: 'diskUsedPct', value: 70, baseline: 5, score: 0.7, forecast: { limit: 90, timeToBreachMs: 20_000, slopePerSec: 1 }, detail: 'diskUsedPct on /srv/data reaches 90 in 20 s' });

  it('a filling disk says whether the configured clean-up can free it', () => {
    const c = attributeCause(input([disk]));
    assert.equal(c.kind, 'disk-fill');
    assert.deepEqual(c.kind === 'disk-fill' && [c.mount, c.cleanup, c.canFree], ['/srv/data', true, null]);
    const tried = attributeCause(input([disk], { cleanup: { configured: true, freed: false } }));
    assert.match(tried.summary, /clean-up ran and did not free it/);
    assert.match(attributeCause(input([disk], { cleanup: { configured: false, freed: null } })).summary, /no clean-up is configured/);
  });

  it('OS drift is reported as such; nothing known is unknown', () => {
    const svc = reason({ layer: 'os', source: 'config', metric: 'os.services.cron', value: 'inactive', baseline: 'active', score: 0.45 });
    assert.equal(attributeCause(input([svc])).kind, 'os-drift');
    assert.equal(attributeCause(input([])).kind, 'unknown');
  });

  it('harm is what users see: service signals worse than baseline, or an app limit forecast; a missing metric is not', () => {
    assert.equal(isHarm(errors()), true);
    assert.equal(isHarm(reason({ metric: 'healthOk', value: 1, baseline: 1 })), false);
    assert.equal(isHarm(reason({ metric: 'errorRatio', source: 'nodata', value: null, baseline: 0 })), false);
    assert.equal(isHarm(reason({ metric: 'healthLatencyMs', value: 2, baseline: 20 })), false, 'faster is not harm');
    assert.equal(isHarm(reason({ metric: 'errorRatio', value: 0.3, baseline: 0, score: 0.1 })), false, 'too weak to count');
    assert.equal(isHarm(reason({ source: 'forecast', metric: 'rssKiB', forecast: { limit: 1, timeToBreachMs: 1000, slopePerSec: 1 } })), true);
    assert.equal(isHarm(reason({ layer: 'hardware', source: 'forecast', metric: 'diskUsedPct', forecast: { limit: 1, timeToBreachMs: 1000, slopePerSec: 1 } })), false);
  });
});

describe('cause: harm that a neighbour explains', () => {
  it('a weak host CPU finding under strong latency harm still names the neighbour, not the colour', () => {
    const hw = reason({ layer: 'hardware', metric: 'cpuPct', value: 150, baseline: 20, score: 0.2 });
    const slow = reason({ metric: 'healthLatencyMs', value: 400, baseline: 5, score: 0.95 });
    const c = attributeCause(input([slow, hw], procs(150, 12, [[77, 'nightly-batch', 130, 1_000]])));
    assert.equal(c.kind, 'neighbour');
  });

  it('a host back at its baseline use does not make the app the taker of a stale reason', () => {
    const hw = reason({ layer: 'os', metric: 'hostRssKiB', value: 600_000, baseline: 220_000, score: 0.5 });
    const c = attributeCause(input([hw], procs(20, 10, [[5, 'cache-warmer', 0, 1_000]])));
    assert.notEqual(c.kind, 'app-resource');
  });
});

describe('cause: a crash loop is the app\'s', () => {
  it('failing health with the process count moving is the serving colour, not a neighbour', () => {
    const procsMoved = reason({ layer: 'os', metric: 'processes', value: 40, baseline: 30, score: 0.6 });
    const down = reason({ metric: 'healthOk', value: 0, baseline: 1, score: 0.95 });
    assert.equal(attributeCause(input([down, procsMoved])).kind, 'colour-fault');
    assert.equal(attributeCause(input([down, procsMoved], procs(20, 10, [[3, 'sh', 5, 100]]))).kind, 'colour-fault');
  });
});

describe('cause: harm that is not', () => {
  it('a forecast beyond the risk horizon (scored below minor) or one traffic explains is no harm', () => {
    const far = reason({ source: 'forecast', metric: 'rssKiB', score: 0.1, forecast: { limit: 524_288, timeToBreachMs: 1_500_000, slopePerSec: 100 } });
    assert.equal(isHarm(far), false);
    const busy = reason({ source: 'forecast', metric: 'rssKiB', score: 0.9, explainedBy: 'traffic', forecast: { limit: 524_288, timeToBreachMs: 200_000, slopePerSec: 1500 } });
    assert.equal(isHarm(busy), false);
    assert.notEqual(attributeCause(input([busy])).kind, 'colour-fault');
  });
});
