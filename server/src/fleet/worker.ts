import { EventEmitter } from 'node:events';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Fence } from '../act/lock';
import type { ActionReport } from '../act/types';
import type { Engine } from '../engine/engine';
import type { Decision } from '../policy';
import type { FleetStore, Lease } from '../store/fleet';
import type { Watcher } from '../watch/watcher';
import { fairShare, fenceScope, pickHosts, workerId } from './share';

export type FleetWorkerEvents = {
  /** This worker took the host (a new token) and watches it now. */
  acquired: [host: string, lease: Lease];
  /** The host is not this worker's any more: another took it, or the lease could not be renewed in time. */
  lost: [host: string, why: string];
  /** This worker gave the host up for another to take (its fair share shrank, or it stops). */
  released: [host: string];
  decision: [decision: Decision];
  action: [report: ActionReport];
  log: [line: string];
};

export interface FleetWorkerOptions {
  env: string;
  /** How long a lease lasts without renewal: a dead worker's hosts move after at most this. */
  leaseMs: number;
  /** Default host:pid:random. */
  id?: string;
  /** Detectors' warm-up (samples), passed to each host's watch. */
  warmup?: number;
  /** How long a confirm-mode request waits for a person; default 10 min. */
  approvalTimeoutMs?: number;
  /** Builds a host's watch (tests and the CLI inject the real Watcher; it is loaded lazily for tfjs). */
  watch: (engine: Engine, env: string, opts: ConstructorParameters<typeof Watcher>[2]) => Watcher;
}

interface Held {
  lease: Lease;
  /** performance.now() past which the lease may have run out in the store: stop acting before it does. */
  validUntil: number;
  watcher: Watcher;
  /** The host has seen this lease's token (engine.fenceHost), so every older one is refused there. */
  fenced: boolean;
  fencing: boolean;
}

/** A lease is treated as lost locally this much before the store would let it run out. */
const SAFETY = 0.8;

/**
 * One `plumbline serve` worker of a shared fleet. Every leaseMs/3 it says it is alive, renews the
 * leases it holds, gives up hosts beyond its fair share (hosts / live workers) and takes free ones
 * up to it. Each held host gets its own watch, whose actions carry the lease's fencing token to
 * the host lock; the host records the newest token it has seen, so a worker that was paused or
 * cut off and comes back with an older one is refused there, whatever it believes. A lease not
 * renewed within 80 % of its length is given up locally first: its watch stops before the store
 * would let another worker take the host.
 */
export class FleetWorker extends EventEmitter<FleetWorkerEvents> {
  readonly id: string;
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = true;
  private readonly scope: string;
  private readonly fleet: FleetStore;
  private rounds = 0;

  constructor(
    private readonly engine: Engine,
    private readonly opts: FleetWorkerOptions,
  ) {
    super();
    this.id = opts.id ?? workerId();
    this.fleet = engine.store.fleet();
    // The fleet whose tokens the hosts compare: this store and environment (never the password).
    this.scope = fenceScope(engine.store.file, opts.env);
    engine.environment(opts.env);
  }

  /** Hosts this worker holds now, with their tokens. */
  holdings(): Array<{ host: string; token: number; fenced: boolean }> {
    return [...this.held].map(([host, h]) => ({ host, token: h.lease.token, fenced: h.fenced }));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const every = Math.max(200, Math.floor(this.opts.leaseMs / 3));
    const tick = (): void => {
      let next = every;
      this.round = this.doRound()
        .then((soonest) => {
          // A lease of another worker that runs out before the next round (that worker stopped
          // renewing it) is taken when it runs out, not up to a round later.
          if (soonest !== null) next = Math.max(200, Math.min(every, soonest + 100));
        })
        .catch((e: unknown) => this.say(`round failed: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, next);
        });
    };
    tick();
  }

  /** Stops every watch, then hands the hosts back so others take them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    for (const host of [...this.held.keys()]) await this.giveUp(host, true);
  }

  private say(line: string): void {
    this.emit('log', `${this.id}: ${line}`);
  }

  /** One round; resolves with the milliseconds until the soonest other worker's lease runs out (null: none). */
  private async doRound(): Promise<number | null> {
    const { env, leaseMs } = this.opts;
    const started = performance.now();
    let soonest: number | null = null;
    try {
      this.fleet.heartbeat(this.id, env, { hostname: os.hostname(), pid: process.pid, leaseMs });
      for (const [host, h] of this.held) {
        const lease = this.fleet.acquire(env, host, this.id, leaseMs);
        if (!lease || lease.token !== h.lease.token) {
          await this.lose(host, lease ? `another lease (token ${lease.token}) replaced ours` : 'another worker holds it');
          continue;
        }
        h.lease = lease;
        h.validUntil = started + SAFETY * leaseMs;
      }
      // The first round only announces this worker, so workers started together share from the start.
      if (this.rounds++ === 0) return null;
      const all = this.engine.environment(env).hosts.map((h) => h.spec);
      const share = fairShare(all.length, this.fleet.liveWorkers(env, leaseMs).map((w) => w.id), this.id);
      for (const host of [...this.held.keys()].slice(share)) await this.giveUp(host, false);
      const leases = new Map(this.fleet.leases(env).map((l) => [l.host, l]));
      const free = all.filter((h) => !this.held.has(h) && !(leases.get(h) && leases.get(h)!.expiresAt > leases.get(h)!.now));
      // In this worker's own order; a host another worker took a moment before is skipped for the
      // next one, so the share is filled this round, not a round later.
      for (const host of pickHosts(free, this.id, free.length)) {
        if (this.held.size >= share) break;
        const lease = this.fleet.acquire(env, host, this.id, leaseMs);
        if (lease) this.take(host, lease, started);
      }
      for (const l of leases.values()) {
        if (l.worker === this.id || l.expiresAt <= l.now) continue;
        soonest = Math.min(soonest ?? Infinity, l.expiresAt - l.now);
      }
    } catch (e) {
      this.say(`the store did not answer: ${e instanceof Error ? e.message : String(e)}`);
    }
    const now = performance.now();
    for (const [host, h] of this.held) {
      if (now > h.validUntil) await this.lose(host, `lease not renewed within ${Math.round((SAFETY * leaseMs) / 1000)} s (the store is unreachable)`);
      else if (!h.fenced && !h.fencing) void this.fence(host, h);
    }
    return soonest;
  }

  private take(host: string, lease: Lease, started: number): void {
    const fence: Fence = { token: lease.token, scope: this.scope };
    const watcher = this.opts.watch(this.engine, this.opts.env, {
      hosts: [host],
      warmup: this.opts.warmup,
      act: { fence, stillHolds: () => this.stillHolds(host, lease.token) },
      approve: (d) => this.askApproval(d, lease.token),
    });
    watcher.on('log', (line) => this.say(line));
    watcher.on('decision', (d) => this.emit('decision', d));
    watcher.on('action', (r) => this.emit('action', r));
    const h: Held = { lease, validUntil: started + SAFETY * this.opts.leaseMs, watcher, fenced: false, fencing: false };
    this.held.set(host, h);
    this.say(`took ${host} (token ${lease.token})`);
    this.emit('acquired', host, lease);
    watcher.start();
    void this.fence(host, h);
  }

  /** Records the token on the host, so a previous holder's older token is refused there from now on. */
  private async fence(host: string, h: Held): Promise<void> {
    h.fencing = true;
    const r = await this.engine.fenceHost(host, { token: h.lease.token, scope: this.scope });
    h.fencing = false;
    if (r.ok) h.fenced = true;
    else if (r.error.kind === 'Fenced') await this.lose(host, `the host has seen token ${r.error.seen}, newer than ours (${h.lease.token})`);
    else this.say(`${host}: could not show the host our token yet (${r.error.kind}); retrying`);
  }

  /** The action path asks this under the host lock: our lease, with this token, not run out. */
  private stillHolds(host: string, token: number): boolean {
    const h = this.held.get(host);
    if (!h || h.lease.token !== token || performance.now() > h.validUntil) return false;
    try {
      const l = this.fleet.lease(this.opts.env, host);
      return l !== undefined && l.worker === this.id && l.token === token && l.expiresAt > l.now;
    } catch {
      return false;
    }
  }

  private async lose(host: string, why: string): Promise<void> {
    const h = this.held.get(host);
    if (!h) return;
    this.held.delete(host);
    this.say(`lost ${host}: ${why}`);
    this.emit('lost', host, why);
    await h.watcher.stop();
  }

  private async giveUp(host: string, stopping: boolean): Promise<void> {
    const h = this.held.get(host);
    if (!h) return;
    this.held.delete(host);
    await h.watcher.stop();
    try {
      this.fleet.release(this.opts.env, host, this.id, h.lease.token);
    } catch (e) {
      this.say(`${host}: could not release the lease (${e instanceof Error ? e.message : String(e)}); it runs out by itself`);
    }
    this.say(`released ${host}${stopping ? ' (stopping)' : ' (over the fair share)'}`);
    this.emit('released', host);
  }

  /**
   * Confirm mode in a fleet: the request goes into the shared store with the exact commands of a
   * dry run; whoever answers first (the editor, `plumbline approve`) decides. No answer within the
   * timeout, or the host changing hands meanwhile, is a "no".
   */
  private async askApproval(d: Decision, token: number): Promise<boolean | { configHash: string }> {
    const plan = await this.engine.act(this.opts.env, d.host, d.action!, { dryRun: true, reasons: [d.why] });
    const id = this.fleet.requestApproval(this.opts.env, d.host, this.id, token, {
      env: this.opts.env,
      host: d.host,
      tier: d.tier,
      action: d.action,
      why: d.why,
      reasons: d.reasons.slice(0, 5).map((r) => ({ layer: r.layer, metric: r.metric, detail: r.detail })),
      plan: { message: plan.message, steps: plan.steps.filter((s) => s.effect === 'change').map((s) => ({ title: s.title, command: s.command })) },
    });
    this.say(`${d.host}: approval #${id} requested: tier ${d.tier} ${d.action}: ${d.why}`);
    const deadline = Date.now() + (this.opts.approvalTimeoutMs ?? 600_000);
    while (!this.stopped && Date.now() < deadline && this.stillHolds(d.host, token)) {
      const a = this.fleet.approval(id);
      if (a && a.state !== 'pending') {
        this.say(`${d.host}: approval #${id} ${a.state} by ${a.answeredBy ?? '?'}`);
        // Approved on the config the request's dry run was built on: on another, the action is refused.
        return a.state === 'approved' ? { configHash: plan.configHash ?? '' } : false;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    this.fleet.answerApproval(id, 'expired', this.id);
    return false;
  }
}
