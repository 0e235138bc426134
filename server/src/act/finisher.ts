import { createHash } from 'node:crypto';
import { shellCommand, shellQuote } from '../ssh/quote';
import { LOCK_FILE } from './lock';
import { RESTART_SCRIPT, SWITCH_COMMIT_SCRIPT, WAIT_HEALTHY_SCRIPT, scriptArgv, writeFileArgv } from './scripts';
import type { StepRunner } from './steps';
import type { Colour } from './upstream';

/**
 * The host-side finisher of a rollback. A rollback changes the host in several commands (the
 * release link, then a restart of each colour on it); a client killed between them would leave
 * the link on one release and a colour still running the other. So before its first change the
 * rollback arms, on the host, a detached program holding the rest of the work. It waits on the
 * host lock the client holds; when the lock comes free it looks: the client marked the action
 * done (or failed and stopped on its own) — it exits; the client is gone with the action
 * unfinished — it takes the lock and finishes it (link, nginx reload, rolling restart, the
 * rollback command), writing each step to a journal the next Plumbline reads and reports.
 * If another actor took the lock first, it does nothing: the host is no longer the rollback's.
 */

/** Where finishers keep their program, journal and result (root-only). */
export const FINISH_DIR = '/var/lib/plumbline/finish';
/** Seconds a finisher's restart or health wait may take (as the client's own). */
const WAIT_S = 20;

export interface RollingRestart {
  kind: 'rolling';
  /** The upstream file, its mode and owner as the switch's commit installs it. */
  upstream: string;
  mode: string;
  owner: string;
  /** Per colour: its service, its health URL, and the upstream file's text that sends traffic to it. */
  colours: Record<Colour, { service: string; url: string; text: string }>;
}

export interface FinisherPlan {
  /** `rollback-<epoch ms>-<pid>`: unique on the host, and ordered by time. */
  id: string;
  /** The lock owner line the client wrote: the finisher acts only if it is still the last holder. */
  owner: string;
  release?: { path: string; target: string };
  /** Managed files to put back as the snapshot has them (content undefined: remove the file). */
  files: { path: string; mode: string; owner: string; content?: string }[];
  reloadNginx: boolean;
  systemd: boolean;
  restarts: (RollingRestart | { kind: 'service'; name: string })[];
  command?: readonly string[];
}

/** A finisher's id for an action started now by this process. */
export function finisherId(action: string, now = Date.now()): string {
  return `${action}-${now}-${process.pid}`;
}

/** When the finisher's action started (from its id), or NaN. */
export function finisherStartedAt(id: string): number {
  return Number(/-(\d+)-\d+$/.exec(id)?.[1] ?? NaN);
}

const q = shellQuote;

function restartLine(name: string, systemd: boolean): string {
  return systemd
    ? `step ${q(`restart ${name} (systemd)`)} systemctl restart -- ${q(name)}`
    : `step ${q(`restart ${name}`)} ${shellCommand(scriptArgv('plumbline-restart', RESTART_SCRIPT, [name, String(WAIT_S)]))}`;
}

function rollingLines(r: RollingRestart, serving: Colour, systemd: boolean): string[] {
  const idle: Colour = serving === 'blue' ? 'green' : 'blue';
  const healthy = (c: Colour): string => `step ${q(`wait until ${c} answers ${r.colours[c].url}`)} ${shellCommand(scriptArgv('plumbline-wait-healthy', WAIT_HEALTHY_SCRIPT, [r.colours[c].url, String(WAIT_S)]))}`;
  const commit = (c: Colour): string => {
    const bytes = Buffer.from(r.colours[c].text, 'utf8');
    const argv = scriptArgv('plumbline-switch', SWITCH_COMMIT_SCRIPT, [r.upstream, r.mode, r.owner, String(bytes.length), createHash('sha256').update(bytes).digest('hex')]);
    return `step ${q(`point the upstream at ${c}`)} ${shellCommand(argv)} <"$j.${c}"`;
  };
  return [
    `  moved=`,
    `  if ${restartLine(r.colours[idle].service, systemd)} && ${healthy(idle)} && ${commit(idle)}; then moved=1; else say ${q(`${idle} did not take traffic; ${serving} is restarted in place`)}; fi`,
    `  ${restartLine(r.colours[serving].service, systemd)} || fail ${q(`the restart of ${serving} failed`)}`,
    `  if [ -n "$moved" ]; then ${healthy(serving)} && ${commit(serving)} || say ${q(`traffic stays on ${idle}`)}; fi`,
  ];
}

/** The finisher's program: constant text but for the plan's values, each quoted. */
export function finisherProgram(plan: FinisherPlan): string {
  const lines = [
    'set -u',
    // It outlives the session that started it: hang-ups, broken pipes and ^C are not for it.
    "trap '' HUP PIPE INT",
    `dir=${q(FINISH_DIR)} id=${q(plan.id)} lock=${q(LOCK_FILE)} owner=${q(plan.owner)}`,
    'j="$dir/$id"',
    `say() { printf ':: %s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$j.journal"; }`,
    `finish() { say "$1 $2"; printf '%s %s %s\\n' "$1" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$2" >"$j.result.$$" && mv -f -- "$j.result.$$" "$j.result"; rm -f -- "$j.sh" "$j.blue" "$j.green" "$j.done" "$j".f*; exit 0; }`,
    'fail() { finish FAILED "$1"; }',
    `step() { t=$1; shift; say "$t"; "$@" >>"$j.journal" 2>&1; c=$?; [ "$c" -eq 0 ] || say "  exit $c"; return "$c"; }`,
    'exec 9>>"$lock" || fail "cannot open the host lock"',
    'say "armed; waiting for the client to let go of the host lock"',
    'flock 9 || fail "cannot take the host lock"',
    // The client finished (or stopped on its own and said so): nothing to do.
    'if [ -e "$j.done" ]; then rm -f -- "$j".*; exit 0; fi',
    `holder=$(head -n 1 -- "$lock.owner" 2>/dev/null)`,
    '[ "$holder" = "$owner" ] || finish ABANDONED "another actor took the host lock first ($holder); the host is theirs, nothing done here"',
    `printf '%s\\n' ${q(JSON.stringify({ by: 'the host (finishing an interrupted rollback)', action: 'rollback', id: plan.id }))} >"$lock.owner.$$" && mv -f -- "$lock.owner.$$" "$lock.owner"`,
    'say "the client is gone and the rollback is unfinished: finishing it on the host"',
  ];
  const rolling = plan.restarts.find((r): r is RollingRestart => r.kind === 'rolling');
  if (rolling) {
    for (const c of ['blue', 'green'] as const) lines.push(`printf '%s' ${q(Buffer.from(rolling.colours[c].text, 'utf8').toString('base64'))} | base64 -d >"$j.${c}" || fail "cannot write the upstream for ${c}"`);
  }
  if (plan.release) {
    const { path, target } = plan.release;
    const tmp = `${path}.plumbline-new`;
    lines.push(
      `if [ "$(readlink -- ${q(path)})" != ${q(target)} ]; then`,
      `  step ${q(`point ${path} at ${target}`)} sh -c 'ln -sfn -- "$1" "$2" && chown -h --reference="$3" -- "$2" 2>/dev/null; mv -T -- "$2" "$3"' plumbline-link ${q(target)} ${q(tmp)} ${q(path)} || fail ${q(`cannot point ${path} at ${target}`)}`,
      'fi',
    );
  }
  plan.files.forEach((f, i) => {
    if (f.content === undefined) {
      lines.push(`step ${q(`remove ${f.path} (absent in the snapshot)`)} rm -f -- ${q(f.path)} || fail ${q(`cannot remove ${f.path}`)}`);
      return;
    }
    // The content travels inside this root-only program (removed when it ends), never in its journal.
    lines.push(
      `printf '%s' ${q(Buffer.from(f.content, 'utf8').toString('base64'))} | base64 -d >"$j.f${i}" || fail ${q(`cannot stage ${f.path}`)}`,
      `step ${q(`restore ${f.path}`)} ${shellCommand(writeFileArgv(f.path, f.mode, f.owner, f.content))} <"$j.f${i}" || fail ${q(`cannot restore ${f.path}`)}`,
      `rm -f -- "$j.f${i}"`,
    );
  });
  if (plan.reloadNginx) lines.push(`step 'check and reload nginx' sh -c 'nginx -t && nginx -s reload' || fail 'nginx rejects the restored configuration'`);
  for (const r of plan.restarts) {
    if (r.kind === 'service') {
      lines.push(`${restartLine(r.name, plan.systemd)} || fail ${q(`the restart of ${r.name} failed`)}`);
      continue;
    }
    lines.push(
      `if cmp -s -- ${q(r.upstream)} "$j.blue"; then`,
      ...rollingLines(r, 'blue', plan.systemd),
      `elif cmp -s -- ${q(r.upstream)} "$j.green"; then`,
      ...rollingLines(r, 'green', plan.systemd),
      'else',
      `  say 'the upstream names neither colour as the rollback left it: each colour is restarted in place'`,
      `  ${restartLine(r.colours.blue.service, plan.systemd)} && ${restartLine(r.colours.green.service, plan.systemd)} || fail 'a restart failed'`,
      'fi',
    );
  }
  if (plan.command) lines.push(`step 'run the rollback command (actions.rollback.command)' ${shellCommand(plan.command)} || fail 'the rollback command failed'`);
  lines.push('finish FINISHED "the rollback, finished on the host"', '');
  return lines.join('\n');
}

/**
 * Arms a finisher: $1 folder, $2 id, $3 byte count, $4 sha256 of the program on stdin. Installs it
 * whole (root-only) and starts it in a session of its own, its output to files, so nothing of the
 * SSH session that started it (hang-up, closed pipes, sudo's pty) reaches it. Prints ARMED pid.
 */
export const ARM_SCRIPT = `set -u
dir=$1 id=$2 size=$3 sum=$4
command -v flock >/dev/null 2>&1 || { echo 'NOFLOCK flock(1) is not installed' >&2; exit 3; }
# The folder above keeps the usual modes (the agent's folder sits beside this one); this one is root's.
mkdir -p -- "\${dir%/*}" && mkdir -p -m 700 -- "$dir" || exit 3
umask 077
cat >"$dir/$id.sh.tmp" || exit 6
got=$(wc -c <"$dir/$id.sh.tmp" | tr -d ' ')
if [ "$got" != "$size" ]; then rm -f -- "$dir/$id.sh.tmp"; echo "SHORT the finisher arrived with $got bytes of $size" >&2; exit 6; fi
if command -v sha256sum >/dev/null 2>&1; then
  have=$(sha256sum <"$dir/$id.sh.tmp" | cut -d ' ' -f 1)
  if [ "$have" != "$sum" ]; then rm -f -- "$dir/$id.sh.tmp"; echo "BADSUM the finisher arrived with sha256 $have" >&2; exit 6; fi
fi
mv -f -- "$dir/$id.sh.tmp" "$dir/$id.sh" || exit 3
if command -v setsid >/dev/null 2>&1; then
  setsid sh "$dir/$id.sh" </dev/null >>"$dir/$id.out" 2>&1 &
else
  nohup sh "$dir/$id.sh" </dev/null >>"$dir/$id.out" 2>&1 &
fi
echo "ARMED $!"
`;

/** The argv that arms `program` as finisher `id`. */
export function armArgv(id: string, program: string): string[] {
  const bytes = Buffer.from(program, 'utf8');
  return scriptArgv('plumbline-arm', ARM_SCRIPT, [FINISH_DIR, id, String(bytes.length), createHash('sha256').update(bytes).digest('hex')]);
}

/** The argv that tells finisher `id` the client is done with the action (it then exits). */
export function disarmArgv(id: string): string[] {
  return ['sh', '-c', 'umask 077; : >"$1"', 'plumbline-disarm', `${FINISH_DIR}/${id}.done`];
}

/**
 * Prints each finisher on the host: `@ ID STATE` with STATE one of FINISHED/ABANDONED/FAILED
 * (its result line), RUNNING (it took over) or WAITING (still waiting for the lock); then the last
 * of its own journal lines (not the output of the commands it ran), each prefixed with `| `.
 */
export const FINISHERS_SCRIPT = `dir=$1
[ -d "$dir" ] || exit 0
for f in "$dir"/*.journal; do
  [ -e "$f" ] || continue
  id=\${f##*/}; id=\${id%.journal}
  if [ -e "$dir/$id.result" ]; then state=$(head -n 1 -- "$dir/$id.result")
  elif grep -q 'finishing it on the host' "$dir/$id.journal" 2>/dev/null; then state=RUNNING
  else state=WAITING; fi
  printf '@ %s %s\\n' "$id" "$state"
  grep '^:: ' -- "$dir/$id.journal" 2>/dev/null | tail -n 40 | sed 's/^/| /'
done
`;

export interface FinisherState {
  id: string;
  state: 'FINISHED' | 'ABANDONED' | 'FAILED' | 'RUNNING' | 'WAITING';
  /** The result line after its state word: when, and what. */
  detail: string;
  journal: string[];
}

/** Parses FINISHERS_SCRIPT's output (host text: every field is kept as data, never run). */
export function parseFinishers(out: string): FinisherState[] {
  const list: FinisherState[] = [];
  for (const line of out.split('\n')) {
    const head = /^@ (\S+) (FINISHED|ABANDONED|FAILED|RUNNING|WAITING)(?: (.*))?$/.exec(line);
    if (head) list.push({ id: head[1], state: head[2] as FinisherState['state'], detail: head[3] ?? '', journal: [] });
    else if (line.startsWith('| ') && list.length > 0) list[list.length - 1].journal.push(line.slice(2));
  }
  return list;
}

/**
 * The finishers of actions started since `since` (ms): waits while any is still waiting for the
 * lock or running (at most `waitMs`), then returns them and clears the finished ones' files.
 */
export async function settleFinishers(run: StepRunner, since: number, waitMs = 90_000): Promise<FinisherState[]> {
  const deadline = Date.now() + waitMs;
  const read = async (): Promise<FinisherState[]> => {
    const r = await run.run({ title: 'read the host-side finishers', effect: 'read', root: true, argv: scriptArgv('plumbline-finishers', FINISHERS_SCRIPT, [FINISH_DIR]) });
    return parseFinishers(r.stdout).filter((f) => finisherStartedAt(f.id) >= since);
  };
  let list = await read();
  while (list.some((f) => f.state === 'WAITING' || f.state === 'RUNNING') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    list = await read();
  }
  const over = list.filter((f) => f.state !== 'WAITING' && f.state !== 'RUNNING');
  if (over.length > 0) {
    await run.run({ title: 'clear the finished finishers', effect: 'change', root: true, argv: ['rm', '-f', '--', ...over.flatMap((f) => ['journal', 'result', 'out'].map((x) => `${FINISH_DIR}/${f.id}.${x}`))] });
  }
  return list;
}

/** One clause for the user: what the host did about the action it was left with. */
export function describeFinishers(list: readonly FinisherState[]): string {
  return list
    .map((f) => {
      // Its own lines (`:: time text`), not the output of the commands it ran; an exit status stays with its step.
      const steps = f.journal.flatMap((l) => /^:: \S+ (.*)$/.exec(l)?.[1] ?? []).filter((l) => !/^(armed|the client is gone)/.test(l)).map((l) => l.replace(/^ {2}exit/, '  → exit'));
      if (f.state === 'FINISHED') return `the host finished it by itself (${f.detail.split(' ')[0]}: ${steps.slice(0, -1).join('; ')})`;
      if (f.state === 'RUNNING') return `the host is still finishing it (last step: ${steps[steps.length - 1] ?? '?'})`;
      if (f.state === 'WAITING') return 'the host will finish it once the lock of the client that started it lapses';
      return `the host's finisher ${f.state === 'FAILED' ? 'FAILED' : 'stood down'}: ${f.detail.replace(/^\S+ /, '')}`;
    })
    .join('; ');
}
