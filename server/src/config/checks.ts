import * as path from 'node:path';
import { isMap, isSeq, type Document, type Node } from 'yaml';
import { parseDuration } from './duration';
import type { DataPath, SourceMap } from './positions';
import { keyText } from './positions';
import type { Problem } from './schemaErrors';
import { HTTP_URL_PATTERN } from './schema';
import { pathText, placeText } from './words';

/** Defaults shared with build.ts so the order check sees what the engine will use. */
export const DEFAULT_RISK = { minor: 0.3, moderate: 0.6, severe: 0.85 } as const;
export const MIN_INTERVAL_MS = 1000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keys written twice in one map. The yaml library would report them without saying which key or where the first one is. */
export function duplicateKeyProblems(doc: Document.Parsed, src: SourceMap): Problem[] {
  const out: Problem[] = [];
  const walk = (node: unknown, at: DataPath): void => {
    if (isMap(node)) {
      const seen = new Map<string, Node>();
      for (const pair of node.items) {
        const name = keyText(pair.key);
        if (name === undefined) continue;
        const first = seen.get(name);
        if (first) {
          const line = src.nodeRange(first)!.start.line + 1;
          out.push({
            range: src.nodeRange(pair.key as Node)!,
            message: `duplicate key "${name}" ${placeText(at)}; it is first written on line ${line}`,
          });
        } else {
          seen.set(name, pair.key as Node);
        }
        walk(pair.value, [...at, name]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...at, i]));
    }
  };
  walk(doc.contents, []);
  return out;
}

/** Rules JSON Schema cannot say well: minimum interval, risk order, duplicates, paths leaving the workspace. */
export function semanticProblems(data: unknown, src: SourceMap): Problem[] {
  const out: Problem[] = [];
  if (!isObj(data)) return out;
  if (isObj(data.ssh)) {
    for (const key of ['config', 'knownHosts']) {
      const v = data.ssh[key];
      if (typeof v === 'string' && /^~[^/\\]/.test(v)) {
        out.push({
          range: src.valueRange(['ssh', key]),
          message: `ssh.${key}: "~user" paths are not supported; write "~/…" or the full path, got ${JSON.stringify(v)}`,
        });
      }
    }
  }
  if (isObj(data.environments)) {
    for (const [name, env] of Object.entries(data.environments)) {
      if (isObj(env)) out.push(...environmentProblems(['environments', name], env, src));
    }
  }
  return out;
}

function environmentProblems(at: DataPath, env: Obj, src: SourceMap): Problem[] {
  const out: Problem[] = [];
  const problem = (p: DataPath, message: string, target: 'key' | 'value' = 'value'): void => {
    out.push({ range: target === 'key' ? src.keyRange(p) : src.valueRange(p), message: `${pathText(p)}: ${message}` });
  };

  if (typeof env.interval === 'string') {
    const ms = parseDuration(env.interval);
    if (ms !== undefined && ms < MIN_INTERVAL_MS) problem([...at, 'interval'], `expected at least "1s", got ${JSON.stringify(env.interval)}`);
  }

  if (Array.isArray(env.hosts)) {
    const first = new Map<string, number>();
    env.hosts.forEach((h, i) => {
      if (typeof h !== 'string') return;
      const earlier = first.get(h);
      if (earlier === undefined) first.set(h, i);
      else problem([...at, 'hosts', i], `host "${h}" is listed twice in environment "${String(at[1])}" (also hosts[${earlier}])`);
    });
  }

  if (isObj(env.risk)) riskOrder([...at, 'risk'], env.risk, problem);

  const layers = isObj(env.layers) ? env.layers : {};
  const app = isObj(layers.app) ? layers.app : {};
  for (const key of ['health', 'metrics']) {
    const v = app[key];
    if (typeof v === 'string' && new RegExp(HTTP_URL_PATTERN).test(v) && !URL.canParse(v)) {
      problem([...at, 'layers', 'app', key], `expected an http(s) URL, got ${JSON.stringify(v)} (it does not parse as a URL)`);
    }
  }
  if (Array.isArray(app.files)) {
    const remotes = new Map<string, number>();
    app.files.forEach((f, i) => {
      if (!isObj(f)) return;
      const filePath = [...at, 'layers', 'app', 'files', i];
      if (typeof f.local === 'string' && leavesWorkspace(f.local)) {
        problem([...filePath, 'local'], `expected a path inside the workspace, got ${JSON.stringify(f.local)}`);
      }
      if (typeof f.remote === 'string') {
        const earlier = remotes.get(f.remote);
        if (earlier === undefined) remotes.set(f.remote, i);
        else problem([...filePath, 'remote'], `"${f.remote}" is already managed by files[${earlier}]`);
      }
    });
  }

  const metrics = isObj(env.metrics) ? env.metrics : {};
  const prom = isObj(metrics.prometheus) ? metrics.prometheus : {};
  if (typeof prom.url === 'string' && new RegExp(HTTP_URL_PATTERN).test(prom.url) && !URL.canParse(prom.url)) {
    problem([...at, 'metrics', 'prometheus', 'url'], `expected an http(s) URL, got ${JSON.stringify(prom.url)} (it does not parse as a URL)`);
  }
  if (isObj(prom.hosts) && Array.isArray(env.hosts)) {
    for (const host of Object.keys(prom.hosts)) {
      if (!env.hosts.includes(host)) problem([...at, 'metrics', 'prometheus', 'hosts', host], `"${host}" is not a host of environment "${String(at[1])}"`, 'key');
    }
  }

  const actions = isObj(env.actions) ? env.actions : {};
  const rollback = isObj(actions.rollback) ? actions.rollback : {};
  if (rollback.strategy === 'release-symlink' && typeof app.release !== 'string') {
    problem(
      [...at, 'actions', 'rollback', 'strategy'],
      'strategy "release-symlink" needs layers.app.release (the symlink to the active release)',
    );
  }
  return out;
}

type Level = keyof typeof DEFAULT_RISK;

function riskOrder(at: DataPath, risk: Obj, problem: (p: DataPath, message: string, target: 'key') => void): void {
  const levels: Level[] = ['minor', 'moderate', 'severe'];
  const written = (l: Level): boolean => typeof risk[l] === 'number';
  const value = (l: Level): number => (written(l) ? (risk[l] as number) : DEFAULT_RISK[l]);
  // Out-of-range values are already reported by the schema; ordering them would only add noise.
  const inRange = (l: Level): boolean => value(l) >= 0 && value(l) <= 1;
  const show = (l: Level): string => `${l} (${value(l)}${written(l) ? '' : ', the default'})`;
  for (let i = 0; i + 1 < levels.length; i++) {
    const [low, high] = [levels[i], levels[i + 1]];
    if (!inRange(low) || !inRange(high) || value(low) < value(high)) continue;
    const offender = written(high) ? high : low;
    problem([...at, offender], `${show(high)} must be greater than ${show(low)}; thresholds rise minor < moderate < severe`, 'key');
  }
}

/** True when a workspace-relative path climbs out of the workspace (`../x`, `a/../../x`). */
function leavesWorkspace(local: string): boolean {
  const norm = path.posix.normalize(local.replace(/\\/g, '/'));
  return norm === '..' || norm.startsWith('../');
}
