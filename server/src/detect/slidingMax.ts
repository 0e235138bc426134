/** Maximum of the last `capacity` values pushed (monotonic deque: amortised O(1) per push). */
export class SlidingMax {
  private readonly idx: number[] = [];
  private readonly val: number[] = [];
  private head = 0;
  private n = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return Math.min(this.n, this.capacity);
  }

  push(x: number): void {
    while (this.val.length > this.head && this.val[this.val.length - 1] <= x) {
      this.val.pop();
      this.idx.pop();
    }
    this.val.push(x);
    this.idx.push(this.n++);
    while (this.idx[this.head] <= this.n - 1 - this.capacity) this.head++;
    // Compact now and then so the arrays do not grow with the stream.
    if (this.head > 1024 && this.head * 2 > this.val.length) {
      this.val.splice(0, this.head);
      this.idx.splice(0, this.head);
      this.head = 0;
    }
  }

  /** −Infinity when empty. */
  max(): number {
    return this.val.length > this.head ? this.val[this.head] : Number.NEGATIVE_INFINITY;
  }
}
