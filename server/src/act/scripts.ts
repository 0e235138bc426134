import { createHash } from 'node:crypto';
/**
 * The shell programs actions run on hosts. Each is constant text sent as `sh -c SCRIPT NAME
 * ARG...`: values from plumbline.yaml arrive as positional parameters, always used quoted, and
 * are never evaluated. POSIX sh plus coreutils-or-busybox (`flock`, `base64`, `stat`, `mktemp`).
 */

/** The argv that runs `script` with `args` as $1, $2 ... ($0 names it in `ps` and errors). */
export function scriptArgv(name: string, script: string, args: readonly string[]): string[] {
  return ['sh', '-c', script, name, ...args];
}

/**
 * The host lock: $1 lock file, $2 owner (one line), $3 seconds to wait, $4 lease seconds.
 * flock(1) on an fd this shell keeps open, so the kernel drops the lock when the holder dies —
 * no stale lock after a crash. The holder prints a heartbeat each second and exits when the
 * channel is gone (the write fails) or when the lease ends: a partitioned actor's lock lapses
 * after the lease. Prints BUSY <owner> while waiting, HELD <owner> when refused, LOCKED when held.
 *
 * Fencing (a shared fleet): $5 a token, $6 its scope (which fleet's leases it counts). Under the
 * flock, a token lower than the highest this host has seen for the scope is refused with
 * FENCED <highest>: a worker whose lease moved on (it was paused, or cut off from the store) can
 * never act after the one that took the host over. A token as high or higher is recorded.
 */
export const LOCK_SCRIPT = `set -u
file=$1 owner=$2 wait=$3 lease=$4 token=\${5-} scope=\${6-}
command -v flock >/dev/null 2>&1 || { echo 'NOFLOCK flock(1) is not installed'; exit 3; }
mkdir -p -- "\${file%/*}" || exit 3
exec 9>>"$file" || exit 3
if ! flock -n 9; then
  printf 'BUSY %s\\n' "$(head -n 1 -- "$file.owner" 2>/dev/null)"
  if [ "$wait" -le 0 ] || ! flock -w "$wait" 9; then
    printf 'HELD %s\\n' "$(head -n 1 -- "$file.owner" 2>/dev/null)"
    exit 4
  fi
fi
if [ -n "$token" ]; then
  seen=$(head -n 1 -- "$file.token.$scope" 2>/dev/null) || seen=0
  case $seen in '' | *[!0-9]*) seen=0 ;; esac
  if [ "$token" -lt "$seen" ]; then printf 'FENCED %s\\n' "$seen"; exit 5; fi
  printf '%s\\n' "$token" >"$file.token.$scope.$$" && mv -f -- "$file.token.$scope.$$" "$file.token.$scope" || exit 3
fi
printf '%s\\n' "$owner" >"$file.owner.$$" && mv -f -- "$file.owner.$$" "$file.owner"
echo LOCKED
end=$(( $(date +%s) + lease ))
while [ "$(date +%s)" -lt "$end" ]; do
  echo . || exit 0
  sleep 1 9>&-
done
echo EXPIRED
`;

/**
 * Shell function `pids`: the pids of processes named $name — its comm, or its argv[0] (or that
 * path's last part) is the name or name-INSTANCE (plumbline-app matches plumbline-app-blue).
 */
const PIDS_FN = `pids() {
  if command -v grep >/dev/null 2>&1; then
    set -- $(grep -l -F -e "$name" /proc/[0-9]*/comm /proc/[0-9]*/cmdline 2>/dev/null | sed 's#^/proc/\\([0-9]*\\)/.*#\\1#' | sort -u)
  else
    set -- $(for d in /proc/[0-9]*; do echo "\${d#/proc/}"; done)
  fi
  for p in "$@"; do
    [ "$p" = "$$" ] && continue
    c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    a=$(tr '\\000' '\\n' <"/proc/$p/cmdline" 2>/dev/null | head -n 1)
    a=\${a%"\${a##*[! ]}"}
    b=\${a##*/}
    if [ "$c" = "$name" ]; then echo "$p"; continue; fi
    case $b in "$name" | "$name"-?*) echo "$p" ;; esac
  done
}
`;

/**
 * Restarts a supervised process without systemd: $1 name, $2 seconds to wait. A process matches
 * when its comm is the name, or its argv[0] (or that path's last part) is the name or
 * name-INSTANCE (plumbline-app matches plumbline-app-blue and plumbline-app-green). Sends TERM
 * (KILL after half the wait), then waits for as many new matching processes as there were old
 * ones: the supervisor's restart, proved by new pids. Prints OLD pids, NEW pids.
 */
export const RESTART_SCRIPT = `set -u
name=$1 wait=$2
${PIDS_FN}old=$(pids | sort -n | tr '\\n' ' ')
echo "OLD $old"
if [ -n "$old" ]; then
  kill -TERM $old 2>/dev/null
  t=0
  while :; do
    alive=
    for p in $old; do [ -d "/proc/$p" ] && alive="$alive $p"; done
    [ -z "$alive" ] && break
    t=$((t + 1))
    [ "$t" -eq $((wait * 5)) ] && kill -KILL $alive 2>/dev/null
    [ "$t" -ge $((wait * 10)) ] && { echo "STUCK$alive"; exit 5; }
    sleep 0.1
  done
fi
want=$(echo $old | wc -w)
[ "$want" -ge 1 ] || want=1
t=0
while :; do
  new= n=0
  for p in $(pids); do
    case " $old " in *" $p "*) ;; *) new="$new $p" n=$((n + 1)) ;; esac
  done
  if [ "$n" -ge "$want" ]; then echo "NEW$new"; exit 0; fi
  t=$((t + 1))
  if [ "$t" -ge $((wait * 10)) ]; then echo "NEW$new"; echo "TIMEOUT no new $name process after $wait s (is it supervised?)"; exit 4; fi
  sleep 0.1
done
`;

/**
 * Preamble shared by the HTTP scripts: defines `status URL SECONDS`, which prints the HTTP status
 * of one GET (empty when nothing answered), with curl or else wget; exits 3 when neither exists.
 */
const HTTP_STATUS_FN = `if command -v curl >/dev/null 2>&1; then
  status() { curl -s -o /dev/null -w '%{http_code}' --connect-timeout "$2" --max-time "$2" --url "$1" 2>/dev/null; }
elif command -v wget >/dev/null 2>&1; then
  status() { wget -q -S -O /dev/null -T "$2" -t 1 -- "$1" 2>&1 | awk '$1 ~ /^HTTP\\// { c = $2 } END { print c }'; }
else
  echo 'NOCLIENT neither curl nor wget is installed'; exit 3
fi
`;

/**
 * $1 URL, $2 seconds: asks every 0.2 s until the URL answers 2xx (a restarted process listens a
 * moment after its pid exists). Prints the last status; exit 0 once healthy, 1 at the deadline.
 */
export const WAIT_HEALTHY_SCRIPT = `set -u
${HTTP_STATUS_FN}url=$1 wait=$2 t=0 c=000
while [ "$t" -lt $((wait * 5)) ]; do
  c=$(status "$url" 2)
  case \${c:-000} in 2??) echo "$c"; exit 0 ;; esac
  t=$((t + 1))
  sleep 0.2
done
echo "\${c:-000}"
exit 1
`;

/** $1 URL, $2 how many requests: prints one HTTP status per request (000: no response). */
export const HTTP_CHECK_SCRIPT = `set -u
${HTTP_STATUS_FN}url=$1 n=$2 i=0
while [ "$i" -lt "$n" ]; do
  c=$(status "$url" 3)
  echo "\${c:-000}"
  i=$((i + 1))
done
`;

/**
 * Replaces a file atomically with stdin: $1 path, $2 octal mode, $3 owner[:group] (either may be
 * empty to leave it), $4 byte count and $5 sha256 the content must have. Writes a temp file in the
 * same folder, checks its size and sha256 (a stream cut short would otherwise install half a
 * file), syncs it, sets mode and owner, then renames it over the path: readers see the old file or
 * the new one, never half of one. Exit 6 and the old file untouched when the content is not whole.
 */
export const WRITE_FILE_SCRIPT = `set -eu
path=$1 mode=$2 owner=$3 size=$4 sum=$5
tmp=$(mktemp "\${path%/*}/.plumbline.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat >"$tmp"
got=$(wc -c <"$tmp" | tr -d ' ')
if [ "$got" != "$size" ]; then echo "SHORT the content arrived with $got bytes of $size; nothing installed" >&2; exit 6; fi
if command -v sha256sum >/dev/null 2>&1; then
  have=$(sha256sum <"$tmp" | cut -d ' ' -f 1)
  if [ "$have" != "$sum" ]; then echo "BADSUM the content arrived with sha256 $have, not $sum; nothing installed" >&2; exit 6; fi
fi
sync -- "$tmp" 2>/dev/null || sync
[ -z "$mode" ] || chmod "$mode" -- "$tmp"
[ -z "$owner" ] || chown -- "$owner" "$tmp"
mv -f -- "$tmp" "$path"
trap - EXIT
`;

/**
 * The switch's commit as one command, so that a client killed or cut off half-way leaves traffic
 * on one colour or the other, never an upstream file that nginx does not serve: $1 path, $2 mode,
 * $3 owner[:group], $4 byte count, $5 sha256 of the new upstream on stdin. Reads and checks the
 * content whole (exit 6, nothing changed), keeps the old file, renames the new one in, runs
 * `nginx -t` (on failure the old file goes back: exit 7) and reloads nginx (on failure the old
 * file goes back and nginx reloads it: exit 8). Once the content is in, hang-ups and broken pipes
 * are ignored and nothing is written to the session: it runs to its end when the SSH session that
 * started it is gone. Prints SWITCHED at the end.
 */
export const SWITCH_COMMIT_SCRIPT = `set -u
trap '' HUP PIPE
path=$1 mode=$2 owner=$3 size=$4 sum=$5
dir=\${path%/*}
tmp=$(mktemp "$dir/.plumbline.XXXXXX") || exit 3
old=$(mktemp "$dir/.plumbline.XXXXXX") || { rm -f -- "$tmp"; exit 3; }
log=$(mktemp) || { rm -f -- "$tmp" "$old"; exit 3; }
trap 'rm -f -- "$tmp" "$old" "$log"' EXIT
cat >"$tmp" || exit 6
got=$(wc -c <"$tmp" | tr -d ' ')
if [ "$got" != "$size" ]; then echo "SHORT the upstream arrived with $got bytes of $size; nothing changed" >&2; exit 6; fi
if command -v sha256sum >/dev/null 2>&1; then
  have=$(sha256sum <"$tmp" | cut -d ' ' -f 1)
  if [ "$have" != "$sum" ]; then echo "BADSUM the upstream arrived with sha256 $have, not $sum; nothing changed" >&2; exit 6; fi
fi
[ -z "$mode" ] || chmod "$mode" -- "$tmp" || exit 3
[ -z "$owner" ] || chown -- "$owner" "$tmp" || exit 3
cp -p -- "$path" "$old" || exit 3
sync -- "$tmp" "$old" 2>/dev/null || sync
mv -f -- "$tmp" "$path" || exit 3
if ! nginx -t >"$log" 2>&1; then
  mv -f -- "$old" "$path"
  echo "NGINX_T $(tail -n 1 "$log")" >&2
  exit 7
fi
if ! nginx -s reload >"$log" 2>&1; then
  mv -f -- "$old" "$path"
  nginx -s reload >/dev/null 2>&1
  echo "RELOAD $(tail -n 1 "$log")" >&2
  exit 8
fi
echo SWITCHED
`;

/** The argv that commits a switch: installs `content` as the upstream, checks nginx and reloads it, or changes nothing. */
export function switchCommitArgv(path: string, mode: string, owner: string, content: string): string[] {
  const bytes = Buffer.from(content, 'utf8');
  return scriptArgv('plumbline-switch', SWITCH_COMMIT_SCRIPT, [path, mode, owner, String(bytes.length), createHash('sha256').update(bytes).digest('hex')]);
}

/**
 * Reads what a snapshot keeps: $1 release symlink ('' for none), then file paths. Prints
 * `@R target` (or `@R-` when it is not a symlink), then per file (by position, so no path is
 * ever parsed back) `@F i mode user group` + base64 content + `@E i`, or `@M i` when missing.
 */
export const SNAPSHOT_READ_SCRIPT = `set -u
rel=$1
shift
if [ -n "$rel" ]; then
  if [ -L "$rel" ]; then printf '@R %s\\n' "$(readlink -- "$rel")"; else echo '@R-'; fi
fi
i=0
for p in "$@"; do
  i=$((i + 1))
  if [ -f "$p" ]; then
    printf '@F %s %s\\n' "$i" "$(stat -L -c '%a %U %G' -- "$p")"
    base64 <"$p" || exit 3
    printf '@E %s\\n' "$i"
  else
    printf '@M %s\\n' "$i"
  fi
done
`;

/** Prints the pids of nginx worker processes (running or shutting down). */
export const NGINX_WORKERS_SCRIPT = `for d in /proc/[0-9]*; do
  a=$(tr '\\000' ' ' <"$d/cmdline" 2>/dev/null) || continue
  case $a in 'nginx: worker process'*) echo "\${d#/proc/}" ;; esac
done
`;

/** $1 seconds, then pids: waits until none of them is an nginx process any more. */
export const WAIT_GONE_SCRIPT = `set -u
t=$1
shift
n=0
while :; do
  left=
  for p in "$@"; do
    a=$(tr '\\000' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
    case $a in nginx:*) left="$left $p" ;; esac
  done
  if [ -z "$left" ]; then echo GONE; exit 0; fi
  n=$((n + 1))
  if [ "$n" -ge $((t * 20)) ]; then echo "LEFT$left"; exit 4; fi
  sleep 0.05
done
`;

/** The argv that installs `content` at `path` (mode, owner may be ''), checked by size and sha256 on the host. */
export function writeFileArgv(path: string, mode: string, owner: string, content: string): string[] {
  const bytes = Buffer.from(content, 'utf8');
  return scriptArgv('plumbline-write-file', WRITE_FILE_SCRIPT, [path, mode, owner, String(bytes.length), createHash('sha256').update(bytes).digest('hex')]);
}

/**
 * When the release link last changed and when each named process started, in epoch seconds:
 * $1 the release link, then process names. Prints `@L SECONDS` (nothing when it is no link) and
 * `@P NAME PID SECONDS` per running process. A process older than the link runs the release
 * from before it (a rollback or deploy cut off before its restart).
 */
export const RUNNING_SINCE_SCRIPT = `set -u
rel=$1
shift
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
bt=$(awk '$1 == "btime" { print $2 }' /proc/stat)
if [ -n "$rel" ] && [ -L "$rel" ]; then printf '@L %s\\n' "$(stat -c %Y -- "$rel")"; fi
${PIDS_FN}for name in "$@"; do
  for p in $(pids); do
    st=$(awk '{ sub(/^.*\\) /, ""); print $20 }' "/proc/$p/stat" 2>/dev/null) || continue
    case $st in '' | *[!0-9]*) continue ;; esac
    printf '@P %s %s %s\\n' "$name" "$p" $((bt + st / hz))
  done
done
`;
