/** Anything that stops the lab from coming up, going down or answering; the message says what to do. */
export class LabError extends Error {
  override readonly name = 'LabError';
}
