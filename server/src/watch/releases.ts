import type { ReleaseChange } from '../policy/causeTypes';

/**
 * A host's release over a watch: the `current` target now, the last change seen and whether it
 * was Plumbline's own (a rollback) or someone else's, and the release a person or the watch has
 * accepted (a healthy deploy whose drift from the baseline is no longer news).
 */
export class ReleaseTrack {
  private current: string | null | undefined;
  private last: ReleaseChange | null = null;
  private accepted: string | null | undefined;
  /** A target Plumbline itself is moving the link to (a rollback): seeing it is no deploy. */
  private own: string | null | undefined;
  /** Managed files seen changing, and when: a deploy often writes its config just before it flips the link. */
  private readonly fileChanges = new Map<string, number>();

  constructor(
    private readonly path: string | null,
    private readonly baselineTarget: string | null | undefined,
    /** Managed files that change this close to a release change belong to that deploy. */
    private readonly withinMs: number,
  ) {}


  /**
   * A sample's release target. Returns the change when the target moved since the last sample (or
   * differs from the baseline at the first one): `ours` for a change an action of Plumbline made.
   */
  observe(target: string | null, ts: number, ours: boolean): ReleaseChange | null {
    const first = this.current === undefined;
    const from = first ? (this.baselineTarget ?? target) : (this.current ?? null);
    this.current = target;
    if (from === target) return null;
    if (ours || (this.own !== undefined && target === this.own)) {
      this.own = undefined;
      // A rollback's own move: nothing someone else deployed.
      this.last = null;
      this.accepted = undefined;
      return null;
    }
    const files = [...this.fileChanges].filter(([, at]) => Math.abs(ts - at) <= this.withinMs).map(([f]) => f);
    this.last = { path: this.path, from, to: target, at: ts, seen: 'watch', files };
    return first ? null : this.last;
  }

  /** A managed file changed: part of the last release change when close to it (before or after). */
  noteFileChange(file: string, ts: number): void {
    this.fileChanges.set(file, ts);
    if (this.last?.at != null && Math.abs(ts - this.last.at) <= this.withinMs && !this.last.files.includes(file)) this.last.files.push(file);
  }

  get now(): string | null {
    return this.current ?? null;
  }

  get change(): ReleaseChange | null {
    return this.last;
  }

  /** The release the watch accepted as a healthy deploy; its drift from the baseline is not scored. */
  accept(target: string | null): void {
    this.accepted = target;
  }

  get acceptedTarget(): string | null | undefined {
    return this.accepted;
  }

  /** A new baseline: its release is the reference from now on; a move to it is Plumbline's own. */
  rebase(target?: string | null): void {
    this.last = null;
    this.accepted = undefined;
    if (target !== undefined && target !== this.current) this.own = target;
  }
}
