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

/** A left or right fact set; `matched` holds the facts of the latest crossing that belong to it. */
interface SemiContext {
  readonly id: number;
  readonly size: number;
  readonly hash: bigint;
  matched: number[];
  /** For left semi-contexts only: right semi-context id → context id. */
  readonly contexts: Map<number, number>;
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
}

export interface ActiveContext {
  readonly id: number;
  readonly activations: number;
  readonly leftHash: bigint;
  readonly rightHash: bigint;
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
  private readonly byFact: [Map<number, SemiContext[]>, Map<number, SemiContext[]>] = [new Map(), new Map()];
  private crossed: [SemiContext[], SemiContext[]] = [[], []];
  private readonly contexts: Context[] = [];
  /** The zero-level context created on this row (the reference keeps `False`, which equals id 0). */
  private newContextId = 0;

  constructor(private readonly maxLeftLength: number) {}

  get size(): number {
    return this.contexts.length;
  }

  private semi(side: Side, facts: readonly number[]): SemiContext {
    const key = facts.join(',');
    let s = this.index[side].get(key);
    if (s) return s;
    s = { id: this.semis[side].length, size: facts.length, hash: tupleHash(facts), matched: [], contexts: new Map() };
    this.index[side].set(key, s);
    this.semis[side].push(s);
    for (const f of facts) {
      const list = this.byFact[side].get(f);
      if (list) list.push(s);
      else this.byFact[side].set(f, [s]);
    }
    return s;
  }

  /** Stores a context unless known; returns whether it is new. A zero-level one becomes this row's new context. */
  store(left: readonly number[], right: readonly number[], zeroLevel: boolean): boolean {
    const l = this.semi(LEFT, left);
    const r = this.semi(RIGHT, right);
    const id = l.contexts.get(r.id);
    if (id === undefined) {
      const fresh = this.contexts.length;
      l.contexts.set(r.id, fresh);
      this.contexts.push({ expected: 0, fulfilled: 0, activations: 0, zeroLevel, rightFacts: right, leftHash: l.hash, rightHash: r.hash });
      if (zeroLevel) this.newContextId = fresh;
      return true;
    }
    if (zeroLevel) this.contexts[id].zeroLevel = true;
    return false;
  }

  /** Marks which facts of every semi-context of `side` are present; returns the touched ones in id order. */
  private cross(side: Side, facts: readonly number[]): SemiContext[] {
    for (const s of this.crossed[side]) s.matched = [];
    const touched: SemiContext[] = [];
    for (const f of facts) {
      for (const s of this.byFact[side].get(f) ?? []) {
        if (s.matched.length === 0) touched.push(s);
        s.matched.push(f);
      }
    }
    touched.sort((a, b) => a.id - b.id);
    this.crossed[side] = touched;
    return touched;
  }

  /**
   * The current row's sensor facts meet the predictions made one row ago: updates every tested
   * context's record and collects the active contexts and candidate new contexts.
   */
  crossRight(facts: readonly number[], learn: boolean): Crossing {
    this.cross(RIGHT, facts);
    const active: ActiveContext[] = [];
    const candidates: Array<[number[], number[]]> = [];
    let selected = 0;
    for (const l of this.crossed[LEFT]) {
      const whole = l.size === l.matched.length;
      for (const [rightId, id] of l.contexts) {
        if (id === this.newContextId) continue;
        const c = this.contexts[id];
        const r = this.semis[RIGHT][rightId];
        const hits = r.matched.length;
        if (whole) {
          selected++;
          c.expected += r.size;
          if (hits === 0) continue;
          c.fulfilled += hits;
          if (hits === r.size) {
            c.activations++;
            active.push({ id, activations: c.activations, leftHash: c.leftHash, rightHash: c.rightHash });
            continue;
          }
        }
        if (c.zeroLevel && learn && hits > 0 && l.matched.length <= this.maxLeftLength) candidates.push([l.matched.slice(), r.matched.slice()]);
      }
    }
    this.newContextId = 0;
    return { active, selected, candidates };
  }

  /** Stores the candidates, crosses the new left facts and returns (new contexts stored, predicted facts). */
  crossLeft(facts: readonly number[], candidates: ReadonlyArray<[number[], number[]]>): { added: number; predicted: Set<number> } {
    let added = 0;
    for (const [l, r] of candidates) if (this.store(l, r, false)) added++;
    let best = 0;
    let winners: Context[] = [];
    for (const l of this.cross(LEFT, facts)) {
      if (l.size !== l.matched.length) continue;
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
