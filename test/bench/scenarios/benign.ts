/**
 * Benign changes: each must lead to no action. Deploys by someone else, neighbours using the
 * host's CPU, memory and disk, bursts of logs and I/O, traffic, a restart, OS drift.
 */
import { deployFaultyRelease, putFile, sh, trafficFor, trafficSpike } from './labOps';
import type { Injection, Scenario, ScenarioCtx } from './gauntlet';

function cronBurstScript(seconds: number): string {
  return `end=$(( $(date +%s) + ${seconds} )); while [ $(date +%s) -lt $end ]; do :; done`;
}

/**
 * A job of the host's own (not the app) started in the background, named as a real job would be
 * (an executable under /srv/jobs), stopped by pid.
 */
async function backgroundJob(ctx: ScenarioCtx, name: string, script: string, seconds: number): Promise<Injection> {
  const file = `/srv/jobs/${name}`;
  await sh(ctx.dir, ctx.host, `mkdir -p /srv/jobs`);
  await putFile(ctx.dir, ctx.host, file, `#!/bin/sh\n${script}\n`);
  const pid = (await sh(ctx.dir, ctx.host, `chmod 755 ${file}; setsid ${file} </dev/null >/dev/null 2>&1 & echo $!`)).trim();
  const until = Date.now() + seconds * 1000;
  return {
    stop: async () => {
      await sh(ctx.dir, ctx.host, `kill ${pid} 2>/dev/null; pkill -P ${pid} 2>/dev/null; true`);
    },
    note: () => `${name} (pid ${pid}) ran ${seconds} s${Date.now() < until ? ', stopped early' : ''}`,
  };
}

const benign = (s: Omit<Scenario, 'kind' | 'failure' | 'slow'> & { slow?: boolean }): Scenario => ({ kind: 'benign', failure: '-', slow: false, ...s });

export const BENIGN: Scenario[] = [
  benign({
    name: 'healthy deploy during watch',
    right: 'no action; "release r3 deployed outside Plumbline; service healthy"; proposed as the new baseline',
    timeoutMs: 100_000,
    inject: async (ctx) => {
      await deployFaultyRelease(ctx.dir, ctx.host, {});
      return {};
    },
  }),
  benign({
    name: 'healthy deploy with a config change',
    right: 'no action; the changed app.env is part of the deploy; proposed as the new baseline',
    timeoutMs: 100_000,
    inject: async (ctx) => {
      await sh(ctx.dir, ctx.host, `printf 'FEATURE_FLAGS=new-checkout\\n' >> /srv/app/shared/app.env`);
      await deployFaultyRelease(ctx.dir, ctx.host, {});
      return {};
    },
  }),
  benign({
    name: 'CPU neighbour (batch job, 60 s)',
    right: 'no app action; the neighbour named (nightly-batch)',
    timeoutMs: 90_000,
    // A busy loop in the shell itself (no child per turn), ending itself after 60 s.
    inject: (ctx) => backgroundJob(ctx, 'nightly-batch', '(sleep 60; kill $$) & while :; do :; done', 60),
  }),
  benign({
    name: 'memory neighbour (400 MB, 60 s)',
    right: 'no app action; the neighbour named (cache-warmer)',
    timeoutMs: 90_000,
    inject: (ctx) =>
      backgroundJob(
        ctx,
        'cache-warmer',
        `exec "$(readlink -f /proc/$(cat /run/plumbline-app-blue.pid)/exe)" -e "process.title='cache-warmer'; const b = []; for (let i = 0; i < 40; i++) b.push(Buffer.alloc(10 << 20, 1)); setTimeout(() => b.length, 60000)"`,
        60,
      ),
  }),
  benign({
    name: 'log burst (30 MB in 10 s)',
    right: 'no action',
    timeoutMs: 60_000,
    inject: async (ctx) => {
      await sh(ctx.dir, ctx.host, `for i in $(seq 1 10); do head -c 3000000 /dev/zero | tr '\\0' 'x' | fold -w 120 >> /var/log/app-burst.log; sleep 1; done; rm -f /var/log/app-burst.log`);
      return {};
    },
  }),
  benign({
    name: 'backup I/O burst',
    right: 'no action',
    timeoutMs: 60_000,
    inject: (ctx) => backgroundJob(ctx, 'backup', 'tar czf /tmp/backup.tgz /srv/app /etc /var/log 2>/dev/null; dd if=/dev/zero of=/tmp/backup.img bs=1M count=150 status=none; sync; rm -f /tmp/backup.tgz /tmp/backup.img', 20),
  }),
  benign({
    name: 'traffic surge (60 s, 4 clients)',
    right: 'no action (traffic is not a fault while health and errors stay normal)',
    timeoutMs: 90_000,
    inject: async (ctx) => {
      const t = Date.now();
      const tally = await trafficFor(ctx.address, 60_000, 4);
      return { note: () => `${tally.sent - tally.failed}/${tally.sent} ok in ${((Date.now() - t) / 1000).toFixed(0)} s` };
    },
  }),
  benign({
    name: 'traffic spike (2000 req)',
    right: 'no action',
    timeoutMs: 60_000,
    inject: async (ctx) => {
      const t = Date.now();
      const tally = await trafficSpike(ctx.address, 2000, 8);
      return { note: () => `${tally.sent - tally.failed}/${tally.sent} ok in ${((Date.now() - t) / 1000).toFixed(0)} s` };
    },
  }),
  benign({
    name: 'log rotation',
    right: 'no action',
    timeoutMs: 60_000,
    inject: async (ctx) => {
      await sh(
        ctx.dir,
        ctx.host,
        [
          'set -e',
          'mv /var/log/nginx/access.log /var/log/nginx/access.log.1',
          ': > /var/log/nginx/access.log',
          'chown --reference=/var/log/nginx/access.log.1 /var/log/nginx/access.log 2>/dev/null || true',
          'nginx -s reopen',
        ].join('\n'),
      );
      return {};
    },
  }),
  benign({
    name: 'cron CPU burst (3 s)',
    right: 'no action',
    timeoutMs: 60_000,
    inject: async (ctx) => {
      await sh(ctx.dir, ctx.host, cronBurstScript(3));
      return {};
    },
  }),
  benign({
    name: 'one app restart',
    right: 'no action (the supervisor brings blue back within seconds)',
    timeoutMs: 60_000,
    inject: async (ctx) => {
      await sh(ctx.dir, ctx.host, 'kill "$(cat /run/plumbline-app-blue.pid)"');
      return {};
    },
  }),
  benign({
    name: 'OS drift (sysctl)',
    right: 'no action (OS drift is reported by diff, not acted on)',
    timeoutMs: 45_000,
    inject: async (ctx) => {
      const was = (await sh(ctx.dir, ctx.host, 'sysctl -n net.ipv4.tcp_fin_timeout')).trim();
      await sh(ctx.dir, ctx.host, `sysctl -qw net.ipv4.tcp_fin_timeout=${Number(was) === 45 ? 50 : 45}`);
      return { stop: async () => void (await sh(ctx.dir, ctx.host, `sysctl -qw net.ipv4.tcp_fin_timeout=${was}`)) };
    },
  }),
];
