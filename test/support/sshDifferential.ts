import { execFile, spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeSshError } from '../../server/src/ssh/errors';
import { parseHostSpec, resolveHost, type ResolvedHost } from '../../server/src/ssh/sshConfig';

/**
 * Compares Plumbline's ssh_config evaluation with OpenSSH's own (`ssh -G`, Debian's
 * openssh-client) on the same file and host: hostname, port, user, identity files and the
 * ProxyJump hops. Differences that follow from a deliberate choice are named, never hidden.
 */
export interface SshG {
  ok: boolean;
  fields: Map<string, string[]>;
  error: string;
}

/** `ssh -F FILE -G SPEC`, with stdin closed; ssh reads nothing else and connects nowhere. */
export function sshG(configFile: string, spec: string, extra: string[] = []): Promise<SshG> {
  return new Promise((resolve) => {
    const child = execFile('ssh', ['-F', configFile, ...extra, '-G', '--', spec], { timeout: 20_000, maxBuffer: 1 << 20 }, (e, stdout, stderr) => {
      const fields = new Map<string, string[]>();
      for (const line of stdout.split('\n')) {
        const sp = line.indexOf(' ');
        if (sp <= 0) continue;
        const k = line.slice(0, sp);
        fields.set(k, [...(fields.get(k) ?? []), line.slice(sp + 1)]);
      }
      const error = stderr.split('\n').filter((l) => l && !l.startsWith('Pseudo-terminal')).join(' | ');
      resolve({ ok: !e && fields.has('hostname'), fields, error });
    });
    child.stdin?.end();
  });
}

/** ssh's default identity files, listed by -G when the config names none. */
const SSH_DEFAULT_IDS = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((f) => `~/.ssh/${f}`);

export type Verdict = 'agree' | 'differ' | 'explained';

export interface Comparison {
  spec: string;
  verdict: Verdict;
  /** field: ours ≠ theirs, one per difference. */
  differences: string[];
  /** Why an explained difference is expected. */
  explanation?: string;
}

export interface CompareOptions {
  /** ssh takes ~ and %d from the password database, not $HOME. */
  homeDir?: string;
  localUser?: string;
  /** Like `ssh -l USER`. */
  user?: string;
}

function expandSshTokens(value: string, t: Record<string, string>): string {
  return value.replace(/%(.)/g, (m, c: string) => t[c] ?? m);
}

/** Runs both on one host spec and says whether they agree. */
export async function compareWithSshG(configFile: string, spec: string, o: CompareOptions = {}): Promise<Comparison> {
  const home = o.homeDir ?? os.userInfo().homedir;
  const localUser = o.localUser ?? os.userInfo().username;
  const theirs = await sshG(configFile, spec, o.user !== undefined ? ['-l', o.user] : []);
  const r = resolveHost(spec, { configFile, homeDir: home, localUser, ...(o.user !== undefined ? { user: o.user } : {}) });
  const ours: ResolvedHost | undefined = r.ok ? r.value : undefined;
  const oursError = r.ok ? '' : describeSshError(r.error);
  const out = (verdict: Verdict, differences: string[], explanation?: string): Comparison => ({ spec, verdict, differences, ...(explanation ? { explanation } : {}) });

  if (!theirs.ok) {
    if (/jumphost loop via/.test(theirs.error) && ours?.warnings.some((w) => /names the host itself/.test(w))) {
      return out('explained', [`ssh: ${theirs.error}`, 'ours: reached directly'], 'a jump to the host itself: ssh stops ("jumphost loop"); Plumbline reaches the host directly');
    }
    if (!ours) return out('agree', []);
    return out('differ', [`refusal: ssh refused (${theirs.error}), Plumbline accepted`]);
  }
  const one = (k: string): string | undefined => theirs.fields.get(k)?.[0];
  if (!ours) {
    if (/ProxyJump/.test(oursError) && one('proxyjump') !== undefined) {
      return out('explained', [`ours: ${oursError}`], 'ssh -G shows the ProxyJump value without following it; Plumbline resolves every hop at once and refuses a chain that leads back on itself');
    }
    return out('differ', [`refusal: Plumbline refused (${oursError}), ssh accepted`]);
  }

  const differences: string[] = [];
  const cmp = (field: string, a: string, b: string | undefined): void => {
    if (a !== b) differences.push(`${field}: ours ${a} ≠ ssh ${b ?? '(none)'}`);
  };
  cmp('hostname', ours.hostname, one('hostname'));
  cmp('port', String(ours.port), one('port'));
  cmp('user', ours.user, one('user'));

  const ids = theirs.fields.get('identityfile') ?? [];
  if (ids.join('\n') !== SSH_DEFAULT_IDS.join('\n')) {
    const tokens: Record<string, string> = { '%': '%', h: one('hostname') ?? '', r: one('user') ?? '', p: one('port') ?? '', d: home, u: localUser, n: parseHostSpec(spec)?.host ?? spec };
    const expanded = ids
      .filter((f) => f.toLowerCase() !== 'none')
      .map((f) => {
        const t = expandSshTokens(f, tokens);
        const p = t === '~' ? home : t.startsWith('~/') ? path.join(home, t.slice(2)) : t;
        return path.isAbsolute(p) ? p : path.resolve(home, p);
      });
    cmp('identityfile', ours.identityFiles.map((f) => f.path).join(','), [...new Set(expanded)].join(','));
  }

  const pj = one('proxyjump');
  const theirHops = pj === undefined || pj.toLowerCase() === 'none' ? [] : pj.split(',').map((h) => h.trim()).filter(Boolean);
  const ourHops = (ours.proxyJump ?? []).map((h) => h.alias);
  const theirHosts = theirHops.map((h) => parseHostSpec(h)?.host ?? h);
  if (ourHops.join(',') !== theirHosts.join(',')) {
    const dropped = ours.warnings.some((w) => /names the host itself/.test(w));
    if (dropped && theirHosts.slice(0, -1).join(',') === ourHops.join(',')) {
      if (differences.length === 0) return out('explained', [`proxyjump: ours ${ourHops.join(',') || '(direct)'} ≠ ssh ${pj}`], 'the last hop is the host itself: ssh would recurse through it; Plumbline reaches the host directly');
    } else differences.push(`proxyjump: ours ${ourHops.join(',') || '(none)'} ≠ ssh ${pj ?? '(none)'}`);
  }
  return out(differences.length === 0 ? 'agree' : 'differ', differences);
}

/** Runs `items` through `fn` with at most `limit` at once (ssh -G waits on NSS, not CPU). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

export function sshAvailable(): boolean {
  return spawnSync('ssh', ['-V']).status === 0;
}
