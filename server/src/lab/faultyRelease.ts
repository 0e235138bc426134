import { shellQuote } from '../ssh/quote';

/**
 * A script for `sh -c` inside a lab host: deploy release r3, a copy of r2 carrying faults of its
 * own (the lab app reads `faults.json` beside its app.js), flip `current` to it atomically,
 * restart both colours (the lab supervisor starts them again from `current`), and wait until
 * nginx answers healthy. The demo, the guard test and the scenario gauntlet deploy bad builds
 * with it.
 */
export function faultyReleaseScript(faults: Record<string, unknown>): string {
  return [
    'set -e',
    'cd /srv/app/releases',
    'rm -rf r3 && cp -a r2 r3',
    `printf '{"id":"r3","version":"1.2.0"}\\n' > r3/release.json`,
    `printf '%s\\n' ${shellQuote(JSON.stringify(faults))} > r3/faults.json`,
    'cd /srv/app && ln -sfn releases/r3 current.new && mv -T current.new current',
    'for c in blue green; do kill "$(cat /run/plumbline-app-$c.pid)"; done',
    'sleep 2',
    'for i in $(seq 1 75); do curl -fsS -o /dev/null --max-time 2 http://127.0.0.1/healthz && exit 0; sleep 0.2; done',
    'echo "app not healthy through nginx after deploying r3" >&2; exit 1',
  ].join('\n');
}
