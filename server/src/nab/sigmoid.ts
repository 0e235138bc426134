/** NAB's scaled sigmoid (SCORING.md §3): +1 well before a window's end, −1 far after it. */
export function scaledSigmoid(x: number): number {
  // The clamp is part of NAB's definition, not a numerical guard: S(3.0001) is exactly −1.
  if (x > 3.0) return -1.0;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

/** The value of the sigmoid at a window's first row; true-positive weights are divided by it. */
export const MAX_TP = scaledSigmoid(-1.0);
