/** Exit codes a CI job can rely on. */
export const EXIT_OK = 0;
/** `diff`: drift found (and every host answered). */
export const EXIT_DRIFT = 1;
/** Anything that makes the answer incomplete: bad config, unreachable host, refused key, no baseline. */
export const EXIT_ERROR = 2;
