import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import SSHConfig, { LineType, type Line } from 'ssh-config';
import { err, ok, type Result } from '../common/result';
import type { SshError } from './errors';
import { wildcardMatch } from './wildcard';

/**
 * Resolves a host spec the way `ssh` would, from ssh_config(5) files, without running anything.
 *
 * The `ssh-config` package parses the text; evaluation is ours, because its `compute()` does not
 * follow `Include`, may spawn `nslookup` for CanonicalizeHostName and runs `Match exec`.
 * Supported: `Host` patterns (`*`, `?`, `!`), `Include` (globs, `~`, relative to ~/.ssh, inside
 * Host/Match blocks too), first-obtained-value-wins, `Match all|host|originalhost|user|localuser`
 * (each may be negated with `!`). Never supported, treated as not matching with a warning:
 * `Match exec` (it would run a command), `Match canonical|final|tagged|localnetwork|address`.
 */
export interface IdentityFile {
  path: string;
  exists: boolean;
  /** true when no IdentityFile was configured and this is one of ssh's defaults. */
  isDefault: boolean;
}

export interface ResolvedHost {
  /** What the caller asked for: the alias or `host` part of the spec. */
  alias: string;
  hostname: string;
  port: number;
  user: string;
  identityFiles: IdentityFile[];
  identitiesOnly: boolean;
  userKnownHostsFiles: string[];
  /** Reported for display only: Plumbline always verifies host keys whatever this says. */
  strictHostKeyChecking?: string;
  /** Hops in order: connect to [0] first, then through it to [1], ..., then to this host. */
  proxyJump?: ResolvedHost[];
  connectTimeoutMs?: number;
  serverAliveIntervalMs?: number;
  hostKeyAlias?: string;
  /** Things a person should know about how the config was read (skipped Match blocks...). */
  warnings: string[];
}

export interface ResolveOptions {
  /** Default ~/.ssh/config; a missing default file is fine, a missing given file is an error. */
  configFile?: string;
  homeDir?: string;
  /** Like `ssh -l`: wins over the config's User, loses to `user@` in the spec. */
  user?: string;
  /** Local user name for %u and `Match localuser`; default the current user. */
  localUser?: string;
}

const MAX_INCLUDE_DEPTH = 16;
const MAX_JUMP_DEPTH = 8;

interface Spec {
  user?: string;
  host: string;
  port?: number;
}

/** `user@host:port`, `host`, `[v6addr]:port`, `ssh://user@host:port`. */
export function parseHostSpec(spec: string): Spec | undefined {
  let s = spec.trim();
  if (s.startsWith('ssh://')) s = s.slice(6).replace(/\/$/, '');
  if (s === '' || /\s/.test(s)) return undefined;
  const out: Spec = { host: '' };
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    out.user = s.slice(0, at);
    s = s.slice(at + 1);
    if (out.user === '') return undefined;
  }
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    out.host = v6[1];
    if (v6[2]) out.port = Number(v6[2]);
  } else {
    const m = /^([^:]+)(?::(\d+))?$/.exec(s);
    if (!m) return undefined;
    out.host = m[1];
    if (m[2]) out.port = Number(m[2]);
  }
  if (out.port !== undefined && (out.port < 1 || out.port > 65535)) return undefined;
  return out.host ? out : undefined;
}

/**
 * ssh_config pattern list match: `*`, `?` (one char), `!` negation wins. Like OpenSSH, `Host` and
 * `Match user` compare case-sensitively (match_pattern); `Match host` and `Match originalhost`
 * compare host names, which are case-insensitive (match_hostname): pass `ignoreCase` for those.
 */
export function patternListMatch(patterns: readonly string[], text: string, ignoreCase = false): boolean {
  let matched = false;
  for (const p of patterns) {
    const neg = p.startsWith('!');
    if (wildcardMatch(neg ? p.slice(1) : p, text, ignoreCase)) {
      if (neg) return false;
      matched = true;
    }
  }
  return matched;
}

function values(line: Line): string[] {
  if (line.type !== LineType.DIRECTIVE) return [];
  const v = line.value;
  if (typeof v === 'string') return [v];
  return v.map((x) => x.val);
}

function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/** Expands `*`, `?` and `[...]` in each path segment, sorted like glob(3). */
function globPath(pattern: string): string[] {
  const abs = path.resolve(pattern);
  const segs = abs.split(path.sep).filter((s) => s !== '');
  let bases: string[] = [path.sep];
  for (const seg of segs) {
    const next: string[] = [];
    if (!/[*?[]/.test(seg)) {
      for (const b of bases) next.push(path.join(b, seg));
    } else {
      const re = new RegExp(
        '^' +
          seg
            .replace(/[\\^$.|+(){}]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]') +
          '$',
      );
      for (const b of bases) {
        let names: string[];
        try {
          names = fs.readdirSync(b);
        } catch {
          continue;
        }
        for (const n of names.sort()) if (re.test(n) && (seg.startsWith('.') || !n.startsWith('.'))) next.push(path.join(b, n));
      }
    }
    bases = next;
  }
  return bases.filter((p) => fs.existsSync(p));
}

interface EvalContext {
  originalHost: string;
  /** Current HostName (for `Match host`), updated as soon as HostName is obtained. */
  hostname: string;
  user?: string;
  localUser: string;
  home: string;
  values: Map<string, string[]>;
  identityFiles: string[];
  warnings: string[];
  files: Set<string>;
}

type EvalError = { message: string };

function setValue(ctx: EvalContext, key: string, vals: string[]): void {
  const k = key.toLowerCase();
  if (k === 'identityfile') {
    ctx.identityFiles.push(...vals);
    return;
  }
  if (ctx.values.has(k)) return; // first obtained value wins
  ctx.values.set(k, vals);
  if (k === 'hostname') ctx.hostname = expandHostname(vals[0] ?? ctx.originalHost, ctx.originalHost);
  if (k === 'user' && ctx.user === undefined) ctx.user = vals[0];
}

function expandHostname(value: string, original: string): string {
  return value.replace(/%([%h])/g, (_m, t: string) => (t === '%' ? '%' : original));
}

function matchBlockApplies(line: Line, ctx: EvalContext, where: string): boolean {
  if (line.type !== LineType.DIRECTIVE || !('criteria' in line)) return false;
  const criteria = (line as { criteria: Record<string, unknown> }).criteria;
  for (const [rawKey, rawVal] of Object.entries(criteria)) {
    const neg = rawKey.startsWith('!');
    const key = (neg ? rawKey.slice(1) : rawKey).toLowerCase();
    const list = typeof rawVal === 'string' ? rawVal.split(',') : [];
    let hit: boolean;
    switch (key) {
      case 'all':
        hit = true;
        break;
      case 'host':
        hit = patternListMatch(list, ctx.hostname, true);
        break;
      case 'originalhost':
        hit = patternListMatch(list, ctx.originalHost, true);
        break;
      case 'user':
        hit = patternListMatch(list, ctx.user ?? ctx.localUser);
        break;
      case 'localuser':
        hit = patternListMatch(list, ctx.localUser);
        break;
      case 'exec':
        ctx.warnings.push(`${where}: "Match exec" is never run by Plumbline; that block was treated as not matching`);
        return false;
      default:
        ctx.warnings.push(`${where}: "Match ${key}" is not supported; that block was treated as not matching`);
        return false;
    }
    if (hit === neg) return false;
  }
  return true;
}

function evalLines(lines: Line[], ctx: EvalContext, active: boolean, neverMatch: boolean, file: string, depth: number): EvalError | undefined {
  for (const line of lines) {
    if (line.type !== LineType.DIRECTIVE) continue;
    const param = line.param.toLowerCase();
    // Like ssh, in any block whether it applies or not: every keyword takes an argument.
    if (values(line).every((v) => v.trim() === '')) return { message: `${file}: no argument after keyword "${line.param}"` };
    if ('config' in line && (param === 'host' || param === 'match')) {
      const where = `${file}: ${line.param} ${values(line).join(' ')}`;
      let applies = false;
      if (!neverMatch) applies = param === 'host' ? patternListMatch(values(line), ctx.originalHost) : matchBlockApplies(line, ctx, where);
      const e = evalLines(line.config, ctx, applies, neverMatch, file, depth);
      if (e) return e;
      continue;
    }
    if (param === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH) return { message: `Include nested deeper than ${MAX_INCLUDE_DEPTH} levels in ${file}` };
      for (const raw of values(line)) {
        let p = expandTilde(raw, ctx.home);
        if (!path.isAbsolute(p)) p = path.join(ctx.home, '.ssh', p);
        for (const f of globPath(p)) {
          const e = readAndEval(f, ctx, !active || neverMatch, depth + 1, active);
          if (e) return e;
        }
      }
      continue;
    }
    if (active && !neverMatch) setValue(ctx, line.param, values(line));
  }
  return undefined;
}

function readAndEval(file: string, ctx: EvalContext, neverMatch: boolean, depth: number, active = true): EvalError | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { message: `cannot read ${file}: ${(e as Error).message}` };
  }
  let parsed: SSHConfig;
  try {
    parsed = SSHConfig.parse(text);
  } catch (e) {
    return { message: `cannot parse ${file}: ${(e as Error).message}` };
  }
  ctx.files.add(file);
  return evalLines(parsed, ctx, active, neverMatch, file, depth);
}

function localUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'root';
  }
}

function seconds(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 ? n * 1000 : undefined;
}

/** %% %h %p %r %u %d %n %l %i, as ssh_config(5) TOKENS. Unknown tokens are an error. */
function expandTokens(value: string, t: Record<string, string>): string | EvalError {
  let bad: string | undefined;
  const out = value.replace(/%(.)/g, (m, c: string) => {
    if (c in t) return t[c];
    bad = m;
    return m;
  });
  return bad ? { message: `unsupported token ${bad} in "${value}"` } : out;
}

export function resolveHost(spec: string, opts: ResolveOptions = {}): Result<ResolvedHost, SshError> {
  return resolveDepth(spec, opts, 0);
}

function resolveDepth(spec: string, opts: ResolveOptions, depth: number): Result<ResolvedHost, SshError> {
  const parsed = parseHostSpec(spec);
  if (!parsed) return err({ kind: 'ConfigError', host: spec, message: `"${spec}" is not a host, alias or user@host:port` });
  const home = opts.homeDir ?? os.homedir();
  const localUser = opts.localUser ?? localUserName();
  const fail = (message: string) => err<SshError>({ kind: 'ConfigError', host: spec, message });

  const ctx: EvalContext = {
    originalHost: parsed.host,
    hostname: parsed.host,
    user: parsed.user ?? opts.user,
    localUser,
    home,
    values: new Map(),
    identityFiles: [],
    warnings: [],
    files: new Set(),
  };
  const configFile = opts.configFile ? expandTilde(opts.configFile, home) : path.join(home, '.ssh', 'config');
  if (fs.existsSync(configFile)) {
    const e = readAndEval(configFile, ctx, false, 0);
    if (e) return fail(e.message);
  } else if (opts.configFile) {
    return fail(`the SSH config file ${configFile} does not exist`);
  }

  const get = (k: string): string | undefined => ctx.values.get(k)?.[0];
  // OpenSSH lowercases the host name it connects to (and %h) once the config is read.
  const hostname = ctx.hostname.toLowerCase();
  let port = parsed.port;
  if (port === undefined) {
    const p = get('port');
    if (p !== undefined) {
      if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) return fail(`Port "${p}" is not a port number`);
      port = Number(p);
    }
  }
  port ??= 22;
  const user = ctx.user ?? localUser;
  const tokens: Record<string, string> = {
    '%': '%',
    h: hostname,
    p: String(port),
    r: user,
    u: localUser,
    d: home,
    n: parsed.host,
    l: os.hostname(),
    i: String(process.getuid?.() ?? 0),
  };
  const expandPath = (raw: string): string | EvalError => {
    const t = expandTokens(raw, tokens);
    if (typeof t !== 'string') return t;
    const p = expandTilde(t, home);
    return path.isAbsolute(p) ? p : path.resolve(home, p);
  };

  const identityFiles: IdentityFile[] = [];
  const idRaw = ctx.identityFiles.filter((f) => f.toLowerCase() !== 'none');
  const defaulted = ctx.identityFiles.length === 0;
  for (const raw of defaulted ? ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'] : idRaw) {
    const p = expandPath(raw);
    if (typeof p !== 'string') return fail(`IdentityFile: ${p.message}`);
    if (!identityFiles.some((f) => f.path === p)) identityFiles.push({ path: p, exists: fs.existsSync(p), isDefault: defaulted });
  }

  const ukh = ctx.values.get('userknownhostsfile');
  const userKnownHostsFiles: string[] = [];
  for (const raw of ukh && ukh.length > 0 ? ukh : ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']) {
    if (raw.toLowerCase() === 'none') continue;
    const p = expandPath(raw);
    if (typeof p !== 'string') return fail(`UserKnownHostsFile: ${p.message}`);
    userKnownHostsFiles.push(p);
  }

  const out: ResolvedHost = {
    alias: parsed.host,
    hostname,
    port,
    user,
    identityFiles,
    identitiesOnly: get('identitiesonly')?.toLowerCase() === 'yes',
    userKnownHostsFiles,
    warnings: ctx.warnings,
  };
  const strict = get('stricthostkeychecking');
  if (strict !== undefined) out.strictHostKeyChecking = strict;
  const ct = seconds(get('connecttimeout'));
  if (ct !== undefined) out.connectTimeoutMs = ct;
  const sai = seconds(get('serveraliveinterval'));
  if (sai !== undefined) out.serverAliveIntervalMs = sai;
  const hka = get('hostkeyalias');
  if (hka !== undefined) out.hostKeyAlias = hka;

  const jump = get('proxyjump');
  if (jump !== undefined && jump.toLowerCase() !== 'none') {
    const parts = jump.split(',').map((s) => s.trim()).filter((s) => s !== '');
    // A last hop that is this very host (typically `Host *` + `ProxyJump bastion`, read again for
    // bastion) would reach the host through itself: ssh refuses that as a "jumphost loop", or
    // recurses when the alias and its HostName differ. The jump host is reached directly instead.
    const last = parts.length > 0 ? parseHostSpec(parts[parts.length - 1]) : undefined;
    if (last && (last.host === parsed.host || last.host.toLowerCase() === hostname) && (last.port ?? port) === port && (last.user ?? user) === user) {
      out.warnings.push(`ProxyJump ${parts[parts.length - 1]} names the host itself; ${parsed.host} is reached ${parts.length > 1 ? `through ${parts.slice(0, -1).join(',')}` : 'directly'}`);
      parts.pop();
    }
    if (parts.length > 0 && depth >= MAX_JUMP_DEPTH) return fail(`ProxyJump chain deeper than ${MAX_JUMP_DEPTH} hops: the jump hosts' ProxyJump settings lead back to each other (${jump})`);
    const hops: ResolvedHost[] = [];
    for (let i = 0; i < parts.length; i++) {
      const r = resolveDepth(parts[i], { ...opts, user: undefined }, depth + 1);
      if (!r.ok) return fail(`ProxyJump ${parts[i]}: ${r.error.kind === 'ConfigError' ? r.error.message : r.error.kind}`);
      // Like `ssh -J a,b`: only the first hop may bring its own ProxyJump; later hops are reached
      // through the previous one.
      if (i > 0) delete r.value.proxyJump;
      hops.push(r.value);
    }
    if (hops.length > 0) out.proxyJump = hops;
  } else if (get('proxycommand') !== undefined && get('proxycommand')?.toLowerCase() !== 'none') {
    return fail('ProxyCommand is not supported (Plumbline runs no local commands from SSH config); use ProxyJump');
  }
  return ok(out);
}
