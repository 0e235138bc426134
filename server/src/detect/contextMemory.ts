/**
 * The context memory of a contextual anomaly detector (the idea of CAD OSE, M. Smirnov, 2016; NAB's
 * `context_ose`, 69.9 standard). A *fact* is an integer (a bit of the quantised value, or an active
 * context from the previous row). A *context* pairs a left set of facts (what was true one row ago)
 * with a right set (what is true now). Each row the memory
 *  - counts, for every context whose left side was fully present one row ago, how much of its right
 *    side came true (its prediction record), and reports the fraction of those that came fully true;
 *  - learns new contexts from partial overlaps of known ones;
 *  - predicts the next row's facts from the best-recorded contexts whose left side is present now.
 * Semi-contexts (the left and right fact sets) are shared between contexts to save memory.
 */

/** A left or right fact set (sorted). */
interface SemiContext {
  readonly id: number;
  readonly facts: readonly number[];
  readonly hash: bigint;
  /** For left semi-contexts only: right semi-context id → context id. */
  readonly contexts: Map<number, number>;
  /** Whether one of its contexts is zero-level (only those learn new contexts). */
  zero: boolean;
  /** Row stamp, to collect each semi-context once per crossing. */
  seen: number;
}

interface Context {
  /** Right-side facts expected when this context's left side was present. */
  expected: number;
  /** Right-side facts that then came true. */
  fulfilled: number;
  /** Rows on which the whole right side came true. */
  activations: number;
  zeroLevel: boolean;
  readonly rightFacts: readonly number[];
  readonly leftHash: bigint;
  readonly rightHash: bigint;
  /** The hashes as doubles: a fast first comparison (ties fall back to the exact hashes). */
  readonly leftOrder: number;
  readonly rightOrder: number;
}

/** Orders active contexts as the reference does: by activations, then left hash, then right hash. */
export function compareActive(a: ActiveContext, b: ActiveContext): number {
  if (a.activations !== b.activations) return a.activations - b.activations;
  const x = a.context;
  const y = b.context;
  if (x.leftOrder !== y.leftOrder) return x.leftOrder - y.leftOrder;
  if (x.leftHash !== y.leftHash) return x.leftHash < y.leftHash ? -1 : 1;
  if (x.rightOrder !== y.rightOrder) return x.rightOrder - y.rightOrder;
  return x.rightHash < y.rightHash ? -1 : x.rightHash > y.rightHash ? 1 : 0;
}

export interface ActiveContext {
  readonly id: number;
  readonly activations: number;
  readonly context: Readonly<Context>;
}

export interface Crossing {
  /** Contexts whose left side was present one row ago and whose right side is wholly present now. */
  readonly active: ActiveContext[];
  /** Contexts whose left side was present one row ago (each a prediction that was put to the test). */
  readonly selected: number;
  /** Candidate contexts built from the partial matches of zero-level contexts. */
  readonly candidates: Array<[number[], number[]]>;
}

const LEFT = 0;
const RIGHT = 1;
type Side = typeof LEFT | typeof RIGHT;

/**
 * CPython 2's 64-bit hash of a tuple of small non-negative ints. The reference implementation breaks
 * ties between equally active contexts by these hashes, so reproducing its published results needs them.
 */
export function tupleHash(facts: readonly number[]): bigint {
  let x = 0x345678n;
  let mult = 1000003n;
  let len = facts.length;
  for (const f of facts) {
    len--;
    x = BigInt.asIntN(64, (x ^ BigInt(f)) * mult);
    mult = BigInt.asIntN(64, mult + 82520n + BigInt(len + len));
  }
  x = BigInt.asIntN(64, x + 97531n);
  return x === -1n ? -2n : x;
}

export class ContextMemory {
  private readonly index: [Map<string, SemiContext>, Map<string, SemiContext>] = [new Map(), new Map()];
  private readonly semis: [SemiContext[], SemiContext[]] = [[], []];
  /** Left semi-contexts by their largest fact, to find those inside a fact set fast. */
  private readonly byLast = new Map<number, SemiContext[]>();
  /** Left semi-contexts with a zero-level context, by each of their facts. */
  private readonly zeroByFact = new Map<number, SemiContext[]>();
  private readonly contexts: Context[] = [];
  /** The zero-level context created on this row (the reference keeps `False`, which equals id 0). */
  private newContextId = 0;
  /** The left facts of the previous row, against which this row's predictions are checked. */
  private previous = new Set<number>();
  private previousList: readonly number[] = [];
  private stamp = 0;

  /** Learning stops at `maxContexts` (bounded memory: noise would otherwise add contexts on every row). */
  constructor(
    private readonly maxLeftLength: number,
    private readonly maxContexts = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.contexts.length;
  }

  private semi(side: Side, facts: readonly number[]): SemiContext {
    const key = facts.join(',');
    let s = this.index[side].get(key);
    if (s) return s;
    s = { id: this.semis[side].length, facts, hash: tupleHash(facts), contexts: new Map(), zero: false, seen: -1 };
    this.index[side].set(key, s);
    this.semis[side].push(s);
    if (side === LEFT && facts.length > 0) push(this.byLast, facts[facts.length - 1], s);
    return s;
  }

  private markZero(l: SemiContext): void {
    if (l.zero) return;
    l.zero = true;
    for (const f of l.facts) push(this.zeroByFact, f, l);
  }

  /** Stores a context unless known; returns whether it is new. A zero-level one becomes this row's new context. */
  store(left: readonly number[], right: readonly number[], zeroLevel: boolean): boolean {
    const full = this.contexts.length >= this.maxContexts;
    const l = full ? this.index[LEFT].get(left.join(',')) : this.semi(LEFT, left);
    const r = full ? this.index[RIGHT].get(right.join(',')) : this.semi(RIGHT, right);
    if (!l || !r) return false;
    const id = l.contexts.get(r.id);
    if (id === undefined) {
      if (full) return false;
      const fresh = this.contexts.length;
      l.contexts.set(r.id, fresh);
      const c = { expected: 0, fulfilled: 0, activations: 0, zeroLevel, rightFacts: right, leftHash: l.hash, rightHash: r.hash };
      this.contexts.push({ ...c, leftOrder: Number(l.hash), rightOrder: Number(r.hash) });
      if (zeroLevel) {
        this.newContextId = fresh;
        this.markZero(l);
      }
      return true;
    }
    if (zeroLevel) {
      this.contexts[id].zeroLevel = true;
      this.markZero(l);
    }
    return false;
  }

  /**
   * Left semi-contexts wholly inside `present` and, when `partial`, those with a zero-level context
   * that share a fact with it: the only ones a crossing can act on. In id order, as the reference visits them.
   */
  private crossed(list: readonly number[], present: ReadonlySet<number>, partial: boolean): SemiContext[] {
    const stamp = ++this.stamp;
    const out: SemiContext[] = [];
    for (const f of list) {
      for (const s of this.byLast.get(f) ?? []) {
        if (s.seen !== stamp && s.facts.every((x) => present.has(x))) {
          s.seen = stamp;
          out.push(s);
        }
      }
      if (!partial) continue;
      for (const s of this.zeroByFact.get(f) ?? []) {
        if (s.seen === stamp) continue;
        s.seen = stamp;
        out.push(s);
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /**
   * The current row's sensor facts meet the predictions made one row ago: updates every tested
   * context's record and collects the active contexts and candidate new contexts. Only when `learn`
   * (this row's zero-level context is new) are partly matched left sides visited.
   */
  crossRight(facts: readonly number[], learn: boolean): Crossing {
    const now = new Set(facts);
    const matchedRight = this.semis[RIGHT].map((r) => r.facts.filter((f) => now.has(f)));
    const active: ActiveContext[] = [];
    const candidates: Array<[number[], number[]]> = [];
    let selected = 0;
    for (const l of this.crossed(this.previousList, this.previous, learn)) {
      let present = 0;
      for (const f of l.facts) if (this.previous.has(f)) present++;
      const whole = l.facts.length === present;
      let matched: number[] | undefined;
      for (const [rightId, id] of l.contexts) {
        if (id === this.newContextId) continue;
        const c = this.contexts[id];
        if (!whole && !c.zeroLevel) continue;
        const size = this.semis[RIGHT][rightId].facts.length;
        const hits = matchedRight[rightId].length;
        if (whole) {
          selected++;
          c.expected += size;
          if (hits === 0) continue;
          c.fulfilled += hits;
          if (hits === size) {
            c.activations++;
            active.push({ id, activations: c.activations, context: c });
            continue;
          }
        }
        if (c.zeroLevel && learn && hits > 0 && present <= this.maxLeftLength) {
          matched ??= l.facts.filter((f) => this.previous.has(f));
          candidates.push([matched, matchedRight[rightId]]);
        }
      }
    }
    this.newContextId = 0;
    return { active, selected, candidates };
  }

  /** Stores the candidates, then predicts the next row's facts from the contexts whose left side lies in `facts`. */
  crossLeft(facts: readonly number[], candidates: ReadonlyArray<[number[], number[]]>): { added: number; predicted: Set<number> } {
    let added = 0;
    for (const [l, r] of candidates) if (this.store(l, r, false)) added++;
    this.previousList = facts;
    this.previous = new Set(facts);
    let best = 0;
    let winners: Context[] = [];
    for (const l of this.crossed(facts, this.previous, false)) {
      for (const id of l.contexts.values()) {
        const c = this.contexts[id];
        const w = c.expected > 0 ? c.fulfilled / c.expected : 0;
        if (w > best) {
          best = w;
          winners = [c];
        } else if (w === best) winners.push(c);
      }
    }
    const predicted = new Set<number>();
    for (const c of winners) for (const f of c.rightFacts) predicted.add(f);
    return { added, predicted };
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
