import { err, ok, type Result } from '../common/result';

export type Colour = 'blue' | 'green';

const SERVER_LINE = /^(\s*server\s+)([^\s;#]+)([^\n]*)$/gm;

/** Addresses named by `server` directives, comments skipped. */
export function upstreamServers(text: string): string[] {
  return [...text.matchAll(SERVER_LINE)].map((m) => m[2]);
}

/**
 * Which colour an nginx upstream file sends traffic to: the one whose address is its `server`.
 * Refuses a file naming both colours or neither — switching it blind could do anything.
 */
export function activeColour(text: string, addresses: Record<Colour, string>): Result<Colour, string> {
  const servers = upstreamServers(text);
  const has = (c: Colour): boolean => servers.includes(addresses[c]);
  if (has('blue') && has('green')) return err(`the upstream names both blue (${addresses.blue}) and green (${addresses.green})`);
  if (has('blue')) return ok('blue');
  if (has('green')) return ok('green');
  return err(`the upstream names neither blue (${addresses.blue}) nor green (${addresses.green}); it has ${servers.join(', ') || 'no server lines'}`);
}

/** The same file with every `server FROM` turned into `server TO`; the rest of each line kept. */
export function rewriteUpstream(text: string, from: string, to: string): Result<string, string> {
  let count = 0;
  const out = text.replace(SERVER_LINE, (line: string, head: string, address: string, rest: string) => {
    if (address !== from) return line;
    count++;
    return `${head}${to}${rest}`;
  });
  if (count === 0) return err(`no "server ${from}" line in the upstream`);
  return ok(out);
}

export function otherColour(c: Colour): Colour {
  return c === 'blue' ? 'green' : 'blue';
}

/** The target colour's health URL: the configured health path on the target's address. */
export function colourHealthUrl(healthUrl: string | undefined, address: string): string {
  let pathAndQuery = '/healthz';
  if (healthUrl) {
    try {
      const u = new URL(healthUrl);
      pathAndQuery = `${u.pathname}${u.search}`;
    } catch {
      // keep the default path
    }
  }
  return `http://${address}${pathAndQuery}`;
}
