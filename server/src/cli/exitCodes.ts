/** Exit codes a CI job can rely on. */
export const EXIT_OK = 0;
/** `diff`: drift found (and every host answered). */
export const EXIT_DRIFT = 1;
/** Anything that makes the answer incomplete: bad config, unreachable host, refused key, no baseline. */
export const EXIT_ERROR = 2;
/** `act`: the action was not started — refused (lock held, target unhealthy, no snapshot, actions off, not confirmed). */
export const EXIT_REFUSED = 3;
/** `act`: a command of the action failed part-way; the host may be between states (see the audit log). */
export const EXIT_ACTION_FAILED = 4;
/** `act`: every command ran, but the host did not verify back to its baseline. */
export const EXIT_VERIFY_FAILED = 5;
/** `guard`: the deployment went bad in the guard window and Plumbline acted (and verified); fail the pipeline. */
export const EXIT_GUARD_ACTED = 6;
