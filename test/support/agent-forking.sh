#!/bin/sh
# Plumbline agent. POSIX sh (dash and busybox ash); needs no install.
# Assembled from the modules in agent/src/ by scripts/build.mjs into dist/plumbline-agent.sh.
#
#   sh -c "$SCRIPT" plumbline-agent capture [options]     one fingerprint line, then exit
#   sh -c "$SCRIPT" plumbline-agent stream  [options]     one sample line per interval, forever
#   installed mode (see agent/README.md): install | run | supervise | follow | status | uninstall
#
# capture prints exactly one line: {"type":"fingerprint","schema":1,...} (see agent/README.md and
# server/src/fingerprint/types.ts). Problems on the host become nulls/notes in that line
# and diagnostics on stderr, never a crash.
#
# How it stays cheap: the shell only runs the few commands it must (package manager,
# hashes, systemctl, curl) and streams their output, tagged by "@" marker lines, into ONE
# awk program that reads /proc and /sys itself and prints the JSON. Option values are never
# evaluated or pasted into a command line: the shell passes them as separate argv elements,
# and awk receives the agent's own argv untouched (ARGV, read in BEGIN, never opened as files).
# Items are referred to by their argv index, so no value ever needs re-quoting.
#
# The perf window is one background sleep between two snapshots (A and B) of
# /proc/uptime, /proc/[pid]/stat, /proc/diskstats and /proc/net/dev; the rest of the
# capture runs during the window. The real window length comes from /proc/uptime, so a
# coarse sleep fallback still gives correct rates.
#
# stream keeps ONE awk alive for the whole run: each interval the shell feeds it one tagged
# snapshot, and awk computes rates against the previous one (the interval is the window).

AGENT_VERSION=0.1.0
LC_ALL=C
export LC_ALL
PATH=$PATH:/usr/sbin:/sbin
export PATH

PL_NL='
'
pl_err() { printf 'plumbline-agent: %s\n' "$*" >&2; }
pl_has() { command -v "$1" >/dev/null 2>&1; }

PL_MODE=${1-}
case $PL_MODE in
  capture | stream | follow | run | supervise | install | uninstall | status) ;;
  *)
    pl_err "usage: plumbline-agent capture [--packages] [--sysctl NAME]... [--service NAME]... [--file PATH]... [--secret-file PATH]... [--release PATH] [--process PATTERN] [--health URL] [--perf-ms N]"
    pl_err "       plumbline-agent stream --interval-ms N [--from-seq S] [--process P] [--health URL] [--metrics URL] [--file PATH]... [--secret-file PATH]... [--release PATH] [--mount PATH]..."
    pl_err "       plumbline-agent install|run|supervise|status|uninstall --dir DIR [stream options] ; follow --dir DIR --from-seq S"
    exit 2 ;;
esac
if ! pl_has awk; then
  pl_err "awk not found; cannot capture"
  exit 3
fi

# ---- options: scalars here; repeatable items are walked again where they are used -------------
PL_PACKAGES=0
PL_PERF_MS=250
PL_RELEASE_SET=0
PL_RELEASE=
PL_PROCESS=
PL_HEALTH=
PL_HEALTH_SET=0
PL_INTERVAL_MS=5000
PL_FROM_SEQ=0
PL_METRICS=
PL_DIR=
PL_BUFFER_LINES=10000
# Seconds curl/wget may take; stream mode lowers it to fit the interval.
PL_HTTP_S=3

pl_uint() { # VALUE DEFAULT — a whole number without leading zeros (they would read as octal), or DEFAULT
  case $1 in
    '' | *[!0-9]*) printf '%s' "$2" ;;
    *)
      pl_u=${1#"${1%%[!0]*}"}
      [ "${#pl_u}" -le 15 ] || pl_u=$2
      printf '%s' "${pl_u:-0}" ;;
  esac
}

# Every option that takes a value, for the walkers that skip values.
pl_takes_value() {
  case $1 in
    --sysctl | --service | --file | --secret-file | --release | --process | --health | --perf-ms | \
      --interval-ms | --from-seq | --metrics | --mount | --dir | --buffer-lines) return 0 ;;
  esac
  return 1
}

pl_scalar() { # OPTION VALUE
  case $1 in
    --release) PL_RELEASE_SET=1; PL_RELEASE=$2 ;;
    --process) PL_PROCESS=$2 ;;
    --health) PL_HEALTH_SET=1; PL_HEALTH=$2 ;;
    --metrics) PL_METRICS=$2 ;;
    --dir) PL_DIR=$2 ;;
    --interval-ms) PL_INTERVAL_MS=$(pl_uint "$2" 5000) ;;
    --from-seq) PL_FROM_SEQ=$(pl_uint "$2" 0) ;;
    --buffer-lines) PL_BUFFER_LINES=$(pl_uint "$2" 10000) ;;
    --perf-ms)
      case $2 in
        '' | *[!0-9]*) pl_err "--perf-ms wants a whole number of ms; using 250" ;;
        *) PL_PERF_MS=$2 ;;
      esac ;;
  esac
}

pl_parse() { # agent args
  pl_want=
  for pl_a in "$@"; do
    if [ -n "$pl_want" ]; then
      pl_scalar "$pl_want" "$pl_a"
      pl_want=
      continue
    fi
    case $pl_a in
      capture | stream | follow | run | supervise | install | uninstall | status) ;;
      --packages) PL_PACKAGES=1 ;;
      *) if pl_takes_value "$pl_a"; then pl_want=$pl_a; else pl_err "ignoring unknown argument"; fi ;;
    esac
  done
  [ -z "$pl_want" ] || pl_err "option $pl_want has no value; ignored"
}
pl_parse "$@"
# Leading zeros would read as octal in $(( )); cap at one minute.
PL_PERF_MS=${PL_PERF_MS#"${PL_PERF_MS%%[!0]*}"}
[ -n "$PL_PERF_MS" ] || PL_PERF_MS=0
[ "${#PL_PERF_MS}" -le 5 ] && [ "$PL_PERF_MS" -le 60000 ] || PL_PERF_MS=60000

# Release target is read here so awk gets it through the environment, byte for byte.
PL_REL_TARGET=
PL_REL_LINK=0
if [ "$PL_RELEASE_SET" = 1 ] && [ -L "$PL_RELEASE" ]; then
  PL_REL_TARGET=$(readlink -- "$PL_RELEASE" 2>/dev/null) && PL_REL_LINK=1
fi

# systemd only counts when it is PID 1 of this PID namespace (a lab host or container sees
# the machine's /run but has its own init).
PL_SYSTEMD=0
if [ -d /run/systemd/system ] && pl_has systemctl; then
  pl_c1=
  { read -r pl_c1 </proc/1/comm; } 2>/dev/null
  [ "$pl_c1" = systemd ] && PL_SYSTEMD=1
fi

if pl_has sha256sum; then
  pl_hash() { sha256sum; }
elif pl_has busybox; then
  pl_hash() { busybox sha256sum; }
elif pl_has openssl; then
  pl_hash() { openssl dgst -sha256; }
else
  pl_hash() { return 1; }
fi

# ---- collectors (all write tagged lines to stdout, which is the pipe into awk) -------------
pl_snapshot() {
  cat /proc/uptime /proc/[0-9]*/stat /proc/diskstats /proc/net/dev 2>/dev/null
}

pl_sleep() {
  pl_s=$((PL_PERF_MS / 1000)).$((PL_PERF_MS % 1000 / 100))$((PL_PERF_MS % 100 / 10))$((PL_PERF_MS % 10))
  sleep "$pl_s" 2>/dev/null || sleep $(((PL_PERF_MS + 999) / 1000))
}

pl_file() { # INDEX PATH SECRET
  if [ -f "$2" ]; then
    pl_st=$(stat -c '%s %a %U %u' -- "$2" 2>/dev/null) || pl_st=
    set -- "$1" "$2" "$3" "${pl_st:-- - - -}"
    if [ -r "$2" ]; then
      pl_sum=$(pl_hash <"$2" 2>/dev/null) || pl_sum=
      # NUL bytes: busybox awk silently splits lines at NUL, so they are counted here instead,
      # only for files whose content would be captured.
      pl_nul=-
      pl_size=${4%% *}
      if [ "$3" = 0 ] && [ -n "$pl_st" ] && [ "$pl_size" -le 262144 ] 2>/dev/null; then
        pl_nonul=$(tr -d '\000' <"$2" 2>/dev/null | wc -c)
        if [ "$pl_nonul" -eq "$pl_size" ] 2>/dev/null; then pl_nul=0; else pl_nul=1; fi
      fi
      printf '@F %s reg %s %s %s\n' "$1" "$4" "$pl_nul" "${pl_sum:--}"
    else
      printf '@F %s unreadable %s - -\n' "$1" "$4"
    fi
  elif [ -e "$2" ]; then
    pl_st=$(stat -c '%s %a %U %u' -- "$2" 2>/dev/null) || pl_st=
    printf '@F %s other %s - -\n' "$1" "${pl_st:-- - - -}"
  elif [ -L "$2" ]; then
    printf '@F %s dangling - - - - - -\n' "$1"
  else
    printf '@F %s missing - - - - - -\n' "$1"
  fi
}

pl_sysctl() { # INDEX NAME — value lines go out as "@y VALUE"; nothing at all means null
  case $2 in '' | *[!A-Za-z0-9_.-]*) return 0 ;; esac
  pl_p=$2
  pl_r=
  while :; do
    case $pl_p in
      *.*) pl_r=$pl_r${pl_p%%.*}/; pl_p=${pl_p#*.} ;;
      *) break ;;
    esac
  done
  pl_p=/proc/sys/$pl_r$pl_p
  [ -f "$pl_p" ] && [ -r "$pl_p" ] || return 0
  # cat, not the read builtin: sysctl files answer a read at a non-zero offset with EOF, and
  # read(1) goes byte by byte. An EIO (e.g. an unset stable_secret) makes cat fail: null.
  pl_v=$(cat -- "$pl_p" 2>/dev/null) || return 0
  printf '@Y %s\n' "$1"
  while :; do
    case $pl_v in
      *"$PL_NL"*) printf '@y %s\n' "${pl_v%%"$PL_NL"*}"; pl_v=${pl_v#*"$PL_NL"} ;;
      *) printf '@y %s\n' "$pl_v"; break ;;
    esac
  done
}

pl_services_systemd() { # agent args; one systemctl call for all valid unit names
  pl_n=$#
  pl_i=0
  pl_w=
  pl_idx=
  for pl_a in "$@"; do
    pl_i=$((pl_i + 1))
    if [ -n "$pl_w" ]; then
      if [ "$pl_w" = --service ]; then
        case $pl_a in
          '' | -* | *[!A-Za-z0-9@_.:-]*) ;;
          *) set -- "$@" "$pl_a"; pl_idx="$pl_idx $pl_i" ;;
        esac
      fi
      pl_w=
      continue
    fi
    ! pl_takes_value "$pl_a" || pl_w=$pl_a
  done
  shift "$pl_n"
  [ $# -gt 0 ] || return 0
  systemctl is-active -- "$@" 2>/dev/null | {
    for pl_k in $pl_idx; do
      IFS= read -r pl_l || pl_l=unknown
      printf '@V %s %s\n' "$pl_k" "$pl_l"
    done
  }
}

pl_items() { # agent args: files and sysctls, by argv index
  pl_i=0
  pl_w=
  for pl_a in "$@"; do
    pl_i=$((pl_i + 1))
    if [ -n "$pl_w" ]; then
      case $pl_w in
        --file) pl_file "$pl_i" "$pl_a" 0 ;;
        --secret-file) pl_file "$pl_i" "$pl_a" 1 ;;
        --sysctl) pl_sysctl "$pl_i" "$pl_a" ;;
      esac
      pl_w=
      continue
    fi
    ! pl_takes_value "$pl_a" || pl_w=$pl_a
  done
}

pl_packages() {
  if pl_has dpkg-query && [ -f /var/lib/dpkg/status ]; then
    printf '@P dpkg\n'
    dpkg-query -W -f='${Status}\t${Package}\t${Version}\n' 2>/dev/null
  elif pl_has rpm && [ -d /var/lib/rpm ]; then
    printf '@P rpm\n'
    rpm -qa --qf '%{NAME}\t%{EPOCH}\t%{VERSION}-%{RELEASE}\n' 2>/dev/null
  elif pl_has apk; then
    printf '@P apk\n'
    apk info -v 2>/dev/null
  else
    pl_err "no package manager found (dpkg-query, rpm, apk)"
  fi
}

pl_pid_candidate() { # /proc/PID/...  — fd count and argv (one arg per line) for awk to judge
  pl_pid=${1#/proc/}
  pl_pid=${pl_pid%%/*}
  [ "$pl_pid" != "$$" ] || return 0
  set -- /proc/"$pl_pid"/fd/*
  if [ -e "$1" ]; then pl_nfd=$#; else pl_nfd=0; fi
  printf '@C %s %s\n' "$pl_pid" "$pl_nfd"
  # NUL separates args: one arg per line; newline→\001 and @→\003 so no arg looks like a marker.
  tr '\000\n@' '\n\001\003' 2>/dev/null <"/proc/$pl_pid/cmdline"
  printf '\n'
}

pl_process() {
  [ -n "$PL_PROCESS" ] || return 0
  pl_r=${PL_PROCESS#???????????????}
  pl_p15=${PL_PROCESS%"$pl_r"}
  if pl_has grep; then
    # Prefilter: only processes whose comm or cmdline could match are looked at closely.
    for pl_f in $({
      grep -l -F -e "$PL_PROCESS" /proc/[0-9]*/cmdline
      grep -l -x -F -e "$pl_p15" /proc/[0-9]*/comm
    } 2>/dev/null); do
      pl_pid_candidate "$pl_f"
    done
  else
    for pl_f in /proc/[0-9]*/cmdline; do pl_pid_candidate "$pl_f"; done
  fi
}

# ---- health and metrics over HTTP (curl, else wget or busybox wget) ---------------------------
pl_health() {
  case $PL_HEALTH in
    http://* | https://*) ;;
    *) printf '@H - - only http:// and https:// URLs are supported\n'; return 0 ;;
  esac
  if pl_has curl; then
    # -w text is framed by markers because curl's own error text shares the stream (2>&1).
    pl_o=$(curl -sS -o /dev/null -w '<<PLHC %{http_code} %{time_total} PLHC>>' --connect-timeout "$PL_HTTP_S" --max-time "$PL_HTTP_S" --url "$PL_HEALTH" 2>&1)
    pl_rc=$?
    case $pl_o in
      *'<<PLHC '*' PLHC>>'*)
        pl_res=${pl_o#*'<<PLHC '}
        pl_res=${pl_res%%' PLHC>>'*}
        pl_e=${pl_o%%'<<PLHC '*}${pl_o#*' PLHC>>'} ;;
      *) pl_res='000 0'; pl_e=$pl_o ;;
    esac
    pl_e=${pl_e%%"
"*}
    [ "$pl_rc" = 0 ] || [ -n "$pl_e" ] || pl_e="curl exited with $pl_rc"
    printf '@H %s %s\n' "$pl_res" "$pl_e"
  elif pl_has wget || pl_has busybox; then
    pl_wget=wget
    pl_has wget || pl_wget='busybox wget'
    { read -r pl_t0 _ </proc/uptime; } 2>/dev/null
    # -S puts the status lines on stderr; the last one wins (redirects). busybox wget 1.35
    # crashes on -T, so the time limit comes from timeout(1) when there is one. $pl_wget is one
    # of two fixed strings, left unquoted only to split "busybox wget".
    # shellcheck disable=SC2086
    {
      if pl_has timeout; then
        timeout "$PL_HTTP_S" $pl_wget -t 1 -S -O /dev/null -- "$PL_HEALTH" 2>&1
      else
        $pl_wget -T "$PL_HTTP_S" -t 1 -S -O /dev/null -- "$PL_HEALTH" 2>&1
      fi
      printf '\nPLRC %s\n' "$?"
    } | awk -v t0="${pl_t0:-0}" -v lim="$PL_HTTP_S" '
      /^PLRC [0-9]+$/ { rc = $2; next }
      { if (match($0, /HTTP\/[0-9.]+ [0-9][0-9][0-9]/)) code = substr($0, RSTART + RLENGTH - 3, 3); else if (err == "" && $0 ~ /[Ee]rror|failed|timed out|refused|resolve|unreachable/) err = $0 }
      END {
        getline u < "/proc/uptime"; split(u, f, " ")
        if (code != "") print "@H " code " " (f[1] - t0)
        else if (rc == 124 || rc == 143) print "@H 000 0 no response within " lim " s"
        else print "@H 000 0 " (err == "" ? "wget failed with exit code " rc : err)
      }'
  else
    printf '@H - - neither curl nor wget is available\n'
  fi
}

pl_metrics() { # the body goes to awk between @M and "$PL_MEND RC", whose nonce no body can guess
  printf '@M\n'
  case $PL_METRICS in
    http://* | https://*)
      if pl_has curl; then
        curl -sS -f --connect-timeout "$PL_HTTP_S" --max-time "$PL_HTTP_S" --url "$PL_METRICS" 2>/dev/null
        pl_rc=$?
      elif pl_has wget || pl_has busybox; then
        pl_wget=wget
        pl_has wget || pl_wget='busybox wget'
        # shellcheck disable=SC2086
        if pl_has timeout; then timeout "$PL_HTTP_S" $pl_wget -q -O - -- "$PL_METRICS" 2>/dev/null; else $pl_wget -q -T "$PL_HTTP_S" -O - -- "$PL_METRICS" 2>/dev/null; fi
        pl_rc=$?
      else
        pl_rc=91
      fi ;;
    *) pl_rc=90 ;;
  esac
  printf '\n%s %s\n' "$PL_MEND" "$pl_rc"
}

# ---- capture mode: every collector's tagged output, in the order awk expects -------------------
pl_collect() { # agent args
  pl_sleeper=
  if [ "$PL_PERF_MS" -gt 0 ]; then
    printf '@A\n'
    pl_snapshot
    pl_sleep >/dev/null 2>&1 &
    pl_sleeper=$!
  fi
  printf '@T %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)"
  printf '@K %s %s\n' "$(getconf CLK_TCK 2>/dev/null || echo 100)" "$(getconf PAGESIZE 2>/dev/null || echo 4096)"
  printf '@N %s\n' "$(nproc 2>/dev/null || echo 0)"
  printf '@E %s\n' "$(printf '\001\000' | od -An -tu2 2>/dev/null)"
  for pl_d in /sys/block/*; do [ -e "$pl_d" ] && printf '@b %s\n' "${pl_d##*/}"; done
  for pl_d in /sys/class/net/*; do [ -e "$pl_d" ] && printf '@n %s\n' "${pl_d##*/}"; done
  printf '@I\n'
  if pl_has ip; then
    ip -o addr show 2>/dev/null
  elif pl_has busybox; then
    busybox ip -o addr show 2>/dev/null
  fi
  [ "$PL_PACKAGES" = 0 ] || pl_packages
  pl_items "$@"
  [ "$PL_SYSTEMD" = 0 ] || pl_services_systemd "$@"
  pl_process
  [ "$PL_HEALTH_SET" = 0 ] || pl_health
  [ -z "${pl_sleeper-}" ] || wait "$pl_sleeper"
  printf '@B\n'
  pl_snapshot
}

# ---- the one awk program: parse everything, print one JSON line ----------------------------------
# shellcheck disable=SC2016
# Functions both awk programs use (JSON escaping).
PL_AWK_LIB='
function basename(p) { sub(/\/+$/, "", p); match(p, /[^\/]*$/); return substr(p, RSTART) }
# Is pid p the app called pat: its comm or an argv word (or the basename of one) equals pat or
# pat-INSTANCE (app matches app-blue, the rule tier-1 restarts use too)? Never the agent, its
# ancestors, or anything under another agent run (whose argv names pat as well).
function is_app(p, pat,   q, d, m, j, a) {
  if ((p in MINE) || (p in ANC)) return 0
  q = p; d = 0
  while (q > 1 && !(q in AGENT) && (q in BPP) && d < 200) { q = BPP[q]; d++ }
  if (q in AGENT) return 0
  m = (BC[p] == pat || index(BC[p], pat "-") == 1 || (length(pat) > 15 && BC[p] == substr(pat, 1, 15)))
  if (p in CN) for (j = 1; !m && j <= CN[p]; j++) {
    a = CA[p, j]; gsub(/\001/, "\n", a); gsub(/\003/, "@", a)
    if (a == pat || basename(a) == pat || index(a, pat "-") == 1 || index(basename(a), pat "-") == 1) m = 1
  }
  return m
}
# Other agent runs (sh -c SCRIPT plumbline-agent ...): their children are never the app.
function mark_agents(   p, j) { for (p in CN) for (j = 1; j <= 3; j++) if (CA[p, j] == "-c" && CA[p, j + 2] == "plumbline-agent") AGENT[p] = 1 }
function esc(s) {
  if (s !~ /[\\"\001-\037\200-\377]/) return s
  return escv(s, (s ~ /[\200-\377]/) && !u8ok(s))
}
# hi: the string is not valid UTF-8, so its bytes >= 0x80 are escaped too (as \u00XX).
function escv(s, hi,   out, c) {
  out = ""
  while (1) {
    if (hi) { if (!match(s, /[\\"\001-\037\200-\377]/)) break }
    else if (!match(s, /[\\"\001-\037]/)) break
    c = substr(s, RSTART, 1)
    if (c == "\\") c = "\\\\"
    else if (c == "\"") c = "\\\""
    else if (c == "\n") c = "\\n"
    else if (c == "\t") c = "\\t"
    else if (c == "\r") c = "\\r"
    else c = sprintf("\\u%04x", ORD[c])
    out = out substr(s, 1, RSTART - 1) c
    s = substr(s, RSTART + 1)
  }
  return out s
}
# Long text (already checked to be UTF-8) is escaped in chunks so a line full of quotes costs linear time, not quadratic.
function pesc(s,   n, o) {
  n = length(s)
  for (o = 1; o <= n; o += 512) printf "%s", escv(substr(s, o, 512), 0)
}
function js(s) { return "\"" esc(s) "\"" }
function jsn(s, isnull) { return isnull ? "null" : js(s) }
function int0(x) { return sprintf("%.0f", x + 0) }
function u8ok(s,   n, i, j, k, c, ch) {
  n = length(s)
  for (i = 1; i <= n; i++) {
    ch = substr(s, i, 1)
    if (!(ch in ORD)) return 0
    c = ORD[ch]
    if (c < 128) continue
    if (c >= 194 && c <= 223) k = 1
    else if (c >= 224 && c <= 239) k = 2
    else if (c >= 240 && c <= 244) k = 3
    else return 0
    for (j = 1; j <= k; j++) {
      ch = substr(s, i + j, 1)
      if (!(ch in ORD) || ORD[ch] < 128 || ORD[ch] > 191) return 0
    }
    i += k
  }
  return 1
}
function readfirst(f,   l) { l = ""; if ((getline l < f) <= 0) l = ""; close(f); return l }
'

# shellcheck disable=SC2016
PL_AWK='
function hexv(h,   i, n, v) {
  v = 0; n = length(h); h = toupper(h)
  for (i = 1; i <= n; i++) v = v * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
  return v
}
function swap4(w) { return LE ? substr(w, 7, 2) substr(w, 5, 2) substr(w, 3, 2) substr(w, 1, 2) : w }
function ip4(h) {
  h = swap4(h)
  return hexv(substr(h, 1, 2)) "." hexv(substr(h, 3, 2)) "." hexv(substr(h, 5, 2)) "." hexv(substr(h, 7, 2))
}
function ip6(h,   s, k, g, best, bl, cs, cl, out) {
  s = ""
  for (k = 0; k < 4; k++) s = s swap4(substr(h, k * 8 + 1, 8))
  for (k = 0; k < 8; k++) g[k] = hexv(substr(s, k * 4 + 1, 4))
  if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 65535)
    return "::ffff:" int(g[6] / 256) "." (g[6] % 256) "." int(g[7] / 256) "." (g[7] % 256)
  best = -1; bl = 0; cs = -1; cl = 0
  for (k = 0; k < 8; k++) {
    if (g[k] == 0) { if (cs < 0) { cs = k; cl = 0 } cl++; if (cl > bl) { best = cs; bl = cl } }
    else cs = -1
  }
  if (bl < 2) best = -1
  out = ""
  for (k = 0; k < 8; k++) {
    if (k == best) { out = out "::"; k += bl - 1; continue }
    if (out != "" && substr(out, length(out)) != ":") out = out ":"
    out = out sprintf("%x", g[k])
  }
  return out
}
function unoct(s,   out) {
  out = ""
  while (match(s, /\\[0-7][0-7][0-7]/)) {
    out = out substr(s, 1, RSTART - 1) sprintf("%c", (substr(s, RSTART + 1, 1) * 64) + (substr(s, RSTART + 2, 1) * 8) + substr(s, RSTART + 3, 1))
    s = substr(s, RSTART + 4)
  }
  return out s
}
function unquote(v,   q) {
  q = substr(v, 1, 1)
  if ((q == "\"" || q == "\047") && substr(v, length(v)) == q) v = substr(v, 2, length(v) - 2)
  if (q == "\"") { gsub(/\\\$/, "$", v); gsub(/\\`/, "`", v); gsub(/\\"/, "\"", v) }
  return v
}
function optarg(o) { return o == "--sysctl" || o == "--service" || o == "--file" || o == "--secret-file" || o == "--release" || o == "--process" || o == "--health" || o == "--perf-ms" }
function stat_line(line, snap,   i0, rest, r, pid) {
  if (!match(line, /^[0-9]+ \(/)) return
  pid = substr(line, 1, RLENGTH - 2) + 0
  i0 = RLENGTH
  if (!match(line, /^.*\) /)) return
  rest = substr(line, RLENGTH + 1)
  if (split(rest, r, " ") < 22) return
  if (snap == "A") { AT[pid] = r[12] + r[13]; AS[pid] = r[20]; return }
  BN++; BP[BN] = pid
  BC[pid] = substr(line, i0 + 1, RLENGTH - i0 - 2)
  BPP[pid] = r[2] + 0; BT[pid] = r[12] + r[13]; BS[pid] = r[20]; BTH[pid] = r[18] + 0; BR[pid] = r[22] + 0
}
function snap_line(snap,   f, n, name, p) {
  if (SNAPFIRST) { SNAPFIRST = 0; UP[snap] = $1 + 0; return }
  if ($2 ~ /^\(/) { stat_line($0, snap); return }
  p = index($0, ":")
  if (p > 0 && $0 !~ /\|/) {
    name = substr($0, 1, p - 1); gsub(/ /, "", name)
    n = split(substr($0, p + 1), f, " ")
    if (n >= 9 && name != "lo") { NRX[snap] += f[1]; NTX[snap] += f[9] }
    return
  }
  if (NF >= 14) DS[snap, $3] = $4 " " $6 " " $7 " " $8 " " $10 " " $11
}
BEGIN {
  for (i = 1; i < 256; i++) ORD[sprintf("%c", i)] = i
  # The agent argv: kept raw, never opened as input files.
  NA = ARGC - 1
  for (i = 1; i < ARGC; i++) { A[i] = ARGV[i]; ARGV[i] = "" }
  SELF = ENVIRON["PL_SELF"] + 0
  PAT = ENVIRON["PL_PROCESS"]
  LE = 1; CLK = 100; PAGE = 4096
}
/^@/ {
  sec = $1
  if (sec == "@A" || sec == "@B") { SNAPFIRST = 1; HAVE[substr(sec, 2)] = 1 }
  else if (sec == "@T") T = $2
  else if (sec == "@K") { if ($2 + 0 > 0) CLK = $2 + 0; if ($3 + 0 > 0) PAGE = $3 + 0 }
  else if (sec == "@N") NPROC = $2 + 0
  else if (sec == "@E") LE = ($2 != "256")
  else if (sec == "@b") { NB++; BLK[NB] = $2 }
  else if (sec == "@n") { NN++; NIC[NN] = $2 }
  else if (sec == "@P") PM = $2
  else if (sec == "@Y") { cur = $2 + 0; SY[cur] = ""; SYN[cur] = 0 }
  else if (sec == "@y") { v = substr($0, 4); SY[cur] = SYN[cur]++ ? SY[cur] "\n" v : v }
  else if (sec == "@V") SV[$2 + 0] = $3
  else if (sec == "@F") { FK[$2] = $3; FSZ[$2] = $4; FMO[$2] = $5; FOW[$2] = ($6 == "UNKNOWN" ? $7 : $6); FNUL[$2] = $8; for (i = 9; i <= NF; i++) if ($i ~ /^[0-9a-f]+$/ && length($i) == 64) FSH[$2] = $i }
  else if (sec == "@C") { cur = $2 + 0; CN[cur] = 0; CFD[cur] = $3 + 0 }
  else if (sec == "@H") { HC = $2; HT = $3; he = $0; sub(/^@H [^ ]* [^ ]* ?/, "", he); HE = he }
  next
}
sec == "@A" || sec == "@B" { snap_line(substr(sec, 2)); next }
sec == "@I" {
  # 2: eth0    inet 10.0.0.2/24 brd ... scope global eth0\ ...
  nm = $2; sub(/@.*/, "", nm)
  if (($3 == "inet" || $3 == "inet6") && $4 != "") {
    if (nm in ADDR) ADDR[nm] = ADDR[nm] "," js($4)
    else ADDR[nm] = js($4)
  }
  next
}
sec == "@P" {
  if (PM == "dpkg") {
    split($0, f, "\t")
    if (f[1] !~ / installed$/ || f[2] == "") next
    name = f[2]; ver = f[3]
  } else if (PM == "rpm") {
    split($0, f, "\t"); name = f[1]; ver = (f[2] == "(none)" || f[2] == "") ? f[3] : f[2] ":" f[3]
    if (name == "gpg-pubkey") next
  } else if (PM == "apk") {
    # name-version-rN: the version starts at the last-but-one dash
    if (!match($0, /-[^-]+-r[0-9]+$/)) next
    name = substr($0, 1, RSTART - 1); ver = substr($0, RSTART + 1)
  } else next
  if (name in PKV) { if (PKV[name] != ver) PKV[name] = PKV[name] ", " ver; next }
  NPK++; PKN[NPK] = name; PKV[name] = ver
  next
}
sec == "@C" { CN[cur]++; CA[cur, CN[cur]] = $0; next }
END {
  # ---- lineage: the agent and everything it started are not host load and never "the app"
  for (i = 1; i <= BN; i++) {
    p = BP[i]; d = 0
    while (p > 0 && p != SELF && d < 200 && (p in BPP)) { p = BPP[p]; d++ }
    if (p == SELF) MINE[BP[i]] = 1
  }
  p = (SELF in BPP) ? BPP[SELF] : 0; d = 0
  while (p > 0 && d < 200) { ANC[p] = 1; if (!(p in BPP)) break; p = BPP[p]; d++ }

  win = (HAVE["A"] && HAVE["B"]) ? UP["B"] - UP["A"] : 0
  if (win < 0) win = 0
  ticks = 0; rss = 0; nproc = 0
  for (i = 1; i <= BN; i++) {
    p = BP[i]
    if (p in MINE) continue
    nproc++; rss += BR[p]
    if (win > 0) ticks += ((p in AT) && AS[p] == BS[p]) ? BT[p] - AT[p] : BT[p]
  }
  cpu = win > 0 ? ticks / CLK / win * 100 : 0
  if (cpu < 0) cpu = 0

  # ---- disks: whole devices from /sys/block; dm-/md are layered on them, so not summed for IO
  ndisk = 0
  for (i = 1; i <= NB; i++) {
    b = BLK[i]
    if (b ~ /^(loop|ram|zram)/) continue
    ndisk++; DN[ndisk] = b
    DSZ[ndisk] = readfirst("/sys/block/" b "/size") * 512
    DROT[ndisk] = readfirst("/sys/block/" b "/queue/rotational") == "1"
    if (win > 0 && b !~ /^(dm-|md)/ && (("A", b) in DS) && (("B", b) in DS)) {
      split(DS["A", b], dsa, " "); split(DS["B", b], dsb, " ")
      ios += (dsb[1] - dsa[1]) + (dsb[4] - dsa[4]); iorms += (dsb[3] - dsa[3]) + (dsb[6] - dsa[6])
      rsec += dsb[2] - dsa[2]; wsec += dsb[5] - dsa[5]
    }
  }
  iolat = (win > 0 && ios > 0) ? sprintf("%.2f", iorms / ios) : "null"

  # ---- static facts straight from /proc and /sys
  ncpu = 0; model = ""
  while ((getline l < "/proc/cpuinfo") > 0) {
    if (l ~ /^processor[ \t]*:/) ncpu++
    if (model == "" && l ~ /^(model name|Processor|cpu model|cpu|Hardware|uarch)[ \t]*:/) { model = l; sub(/^[^:]*:[ \t]*/, "", model) }
  }
  close("/proc/cpuinfo")
  if (ncpu == 0) ncpu = NPROC
  while ((getline l < "/proc/meminfo") > 0) {
    split(l, f, " "); MI[f[1]] = f[2] + 0
  }
  close("/proc/meminfo")
  memavail = ("MemAvailable:" in MI) ? MI["MemAvailable:"] : MI["MemFree:"] + MI["Buffers:"] + MI["Cached:"]
  split(readfirst("/proc/loadavg"), f, " "); load1 = f[1] + 0

  osr = "/etc/os-release"
  if ((getline l < osr) < 0) osr = "/usr/lib/os-release"
  close("/etc/os-release")
  while ((getline l < osr) > 0) {
    p = index(l, "="); if (p == 0) continue
    OSR[substr(l, 1, p - 1)] = unquote(substr(l, p + 1))
  }
  close(osr)

  # ---- one pass over the agent argv, in the same way the shell walked it
  w = ""; nsys = 0; nsvc = 0; nfile = 0
  for (i = 2; i <= NA; i++) {
    if (w != "") {
      if (w == "--sysctl") { nsys++; SYI[nsys] = i }
      else if (w == "--service") { nsvc++; SVI[nsvc] = i }
      else if (w == "--file" || w == "--secret-file") { nfile++; FI[nfile] = i; FSEC[nfile] = (w == "--secret-file") }
      else if (w == "--release") REL = i
      else if (w == "--health") HEALTH = i
      w = ""; continue
    }
    if (optarg(A[i])) w = A[i]
  }

  # ---- print: {type, schema, agentVersion, capturedAt, hardware, os, app}
  printf "{\"type\":\"fingerprint\",\"schema\":1,\"agentVersion\":%s,\"capturedAt\":%s", js(ENVIRON["PL_VERSION"]), js(T == "" ? "1970-01-01T00:00:00Z" : T)

  printf ",\"hardware\":{\"cpu\":{\"model\":%s,\"cores\":%s},\"memory\":{\"totalKiB\":%s},\"disks\":[", js(model), int0(ncpu), int0(MI["MemTotal:"])
  for (i = 1; i <= ndisk; i++) printf "%s{\"name\":%s,\"sizeBytes\":%s,\"rotational\":%s}", (i > 1 ? "," : ""), js(DN[i]), int0(DSZ[i]), (DROT[i] ? "true" : "false")
  printf "],\"nics\":["
  k = 0
  for (i = 1; i <= NN; i++) {
    n = NIC[i]
    if (n == "lo") continue
    printf "%s{\"name\":%s,\"mac\":%s,\"mtu\":%s,\"addresses\":[%s]}", (k++ ? "," : ""), js(n), js(readfirst("/sys/class/net/" n "/address")), int0(readfirst("/sys/class/net/" n "/mtu")), ADDR[n]
  }
  printf "],\"perf\":{\"windowMs\":%s,\"cpuPct\":%.1f,\"rssKiB\":%s,\"processes\":%s,\"load1\":%.2f,\"memAvailableKiB\":%s,\"ioLatencyMs\":%s,\"diskReadBps\":%s,\"diskWriteBps\":%s,\"netRxBps\":%s,\"netTxBps\":%s}}",
    int0(win * 1000), cpu, int0(rss * PAGE / 1024), int0(nproc), load1, int0(memavail), iolat,
    int0(win > 0 ? rsec * 512 / win : 0), int0(win > 0 ? wsec * 512 / win : 0),
    int0(win > 0 && NRX["B"] >= NRX["A"] ? (NRX["B"] - NRX["A"]) / win : 0), int0(win > 0 && NTX["B"] >= NTX["A"] ? (NTX["B"] - NTX["A"]) / win : 0)

  printf ",\"os\":{\"hostname\":%s,\"kernel\":%s,\"distribution\":{\"id\":%s,\"version\":%s,\"pretty\":%s},\"packages\":",
    js(readfirst("/proc/sys/kernel/hostname")), js(readfirst("/proc/sys/kernel/osrelease")), js(OSR["ID"]), js(OSR["VERSION_ID"]), js(OSR["PRETTY_NAME"])
  if (PM == "" || ENVIRON["PL_PACKAGES"] != "1") printf "null"
  else {
    printf "{"
    for (i = 1; i <= NPK; i++) printf "%s%s:%s", (i > 1 ? "," : ""), js(PKN[i]), js(PKV[PKN[i]])
    printf "}"
  }
  printf ",\"sysctl\":{"
  k = 0
  for (i = 1; i <= nsys; i++) {
    n = A[SYI[i]]; if (n in SEEN_SY) continue; SEEN_SY[n] = 1
    printf "%s%s:%s", (k++ ? "," : ""), js(n), ((SYI[i] in SY) && SYN[SYI[i]] > 0) ? js(SY[SYI[i]]) : "null"
  }
  printf "},\"services\":{"
  k = 0
  systemd = ENVIRON["PL_SYSTEMD"] == "1"
  for (i = 1; i <= nsvc; i++) {
    n = A[SVI[i]]; if (n in SEEN_SV) continue; SEEN_SV[n] = 1
    if (systemd) {
      st = SV[SVI[i]]
      st = (st == "active" || st == "reloading" || st == "refreshing") ? "active" : (st == "inactive" || st == "failed") ? st : "unknown"
    } else if (n == "" || n ~ /[^A-Za-z0-9@_.:-]/) st = "unknown"
    else {
      base = n; sub(/\.service$/, "", base); st = "inactive"
      for (j = 1; j <= BN; j++) {
        p = BP[j]
        if (!(p in MINE) && !(p in ANC) && (BC[p] == base || BC[p] == base "d" || (length(base) > 15 && BC[p] == substr(base, 1, 15)))) { st = "active"; break }
      }
    }
    printf "%s%s:{\"state\":\"%s\",\"source\":\"%s\"}", (k++ ? "," : ""), js(n), st, (systemd ? "systemd" : "process")
  }
  printf "},\"ports\":["
  np = 0
  split("tcp tcp6 udp udp6", PF, " ")
  for (i = 1; i <= 4; i++) {
    fn = "/proc/net/" PF[i]; proto = substr(PF[i], 1, 3)
    while ((getline l < fn) > 0) {
      split(l, f, " ")
      if (f[1] == "sl" || (proto == "tcp" && f[4] != "0A") || (proto == "udp" && f[4] != "07")) continue
      p = index(f[2], ":"); if (p == 0) continue
      h = substr(f[2], 1, p - 1)
      addr = length(h) == 8 ? ip4(h) : ip6(h)
      port = hexv(substr(f[2], p + 1))
      key = proto " " addr " " port
      if (key in SEEN_PT) continue
      SEEN_PT[key] = 1; np++
      PT[np] = proto; PA[np] = addr; PN[np] = port
    }
    close(fn)
  }
  # insertion sort by proto, port, address so the list is stable across captures
  for (i = 2; i <= np; i++) {
    a1 = PT[i]; a2 = PA[i]; a3 = PN[i]; j = i - 1
    while (j >= 1 && (PT[j] > a1 || (PT[j] == a1 && (PN[j] > a3 || (PN[j] == a3 && PA[j] > a2))))) { PT[j + 1] = PT[j]; PA[j + 1] = PA[j]; PN[j + 1] = PN[j]; j-- }
    PT[j + 1] = a1; PA[j + 1] = a2; PN[j + 1] = a3
  }
  for (i = 1; i <= np; i++) printf "%s{\"proto\":\"%s\",\"address\":%s,\"port\":%s}", (i > 1 ? "," : ""), PT[i], js(PA[i]), int0(PN[i])

  # Mounts: real filesystems, tmpfs and overlay are kept (they hold /run, /tmp and container
  # roots, and a missing or changed one matters); kernel interface filesystems are left out
  # because they carry no deploy configuration and churn per container (cgroup, binfmt, ...).
  printf "],\"mounts\":["
  k = 0
  while ((getline l < "/proc/self/mounts") > 0) {
    split(l, f, " ")
    if (f[3] ~ /^(proc|sysfs|cgroup|cgroup2|devpts|devtmpfs|mqueue|debugfs|tracefs|securityfs|pstore|bpf|configfs|fusectl|hugetlbfs|autofs|binfmt_misc|efivarfs|nsfs|rpc_pipefs|selinuxfs|ramfs)$/) continue
    printf "%s{\"target\":%s,\"source\":%s,\"fstype\":%s,\"options\":%s}", (k++ ? "," : ""), js(unoct(f[2])), js(unoct(f[1])), js(f[3]), js(f[4])
  }
  close("/proc/self/mounts")

  printf "]},\"app\":{\"release\":"
  if (REL) printf "{\"path\":%s,\"target\":%s}", js(A[REL]), (ENVIRON["PL_REL_LINK"] == "1" ? js(ENVIRON["PL_REL_TARGET"]) : "null")
  else printf "null"

  printf ",\"files\":["
  for (i = 1; i <= nfile; i++) {
    x = FI[i]; path = A[x]
    kind = (x in FK) ? FK[x] : "missing"
    exists = (kind == "reg" || kind == "unreadable" || kind == "other")
    printf "%s{\"remote\":%s,\"exists\":%s,\"sha256\":%s,\"size\":%s,\"mode\":%s,\"owner\":%s,\"secret\":%s",
      (i > 1 ? "," : ""), js(path), (exists ? "true" : "false"), ((x in FSH) ? js(FSH[x]) : "null"),
      (exists && kind != "other" && FSZ[x] ~ /^[0-9]+$/ ? FSZ[x] : "null"),
      (exists && FMO[x] ~ /^[0-7]+$/ ? js(FMO[x]) : "null"), (exists && FOW[x] != "-" ? js(FOW[x]) : "null"),
      (FSEC[i] ? "true" : "false")
    note = ""
    if (kind == "missing") note = ""
    else if (kind == "dangling") note = "dangling symlink"
    else if (kind == "other") note = "not a regular file"
    else if (kind == "unreadable") note = "not readable by the agent user"
    else if (!(x in FSH)) note = "could not hash (no sha256sum, busybox or openssl?)"
    else if (FSEC[i]) note = "secret: content not captured"
    else if (FSZ[x] !~ /^[0-9]+$/) note = "size unknown (stat failed): content not captured"
    else if (FSZ[x] + 0 > 262144) note = "larger than 256 KiB: content not captured"
    else if (FNUL[x] == "1") note = "binary (NUL bytes or not UTF-8): content not captured"
    else {
      # Read once, check it is UTF-8 text without NUL, then print it escaped.
      fn = (substr(path, 1, 1) == "/") ? path : "./" path
      nl = 0; bytes = 0; bad = 0
      while ((getline l < fn) > 0) {
        L[++nl] = l; bytes += length(l) + 1
        if (!bad) { t = l; gsub(/[\001-\177]/, "", t); if (t != "" && !u8ok(l)) bad = 1 }
      }
      close(fn)
      size = FSZ[x] + 0
      if (bad || (bytes != size && bytes != size + 1)) note = "binary (NUL bytes or not UTF-8): content not captured"
      else {
        printf ",\"content\":\""
        for (j = 1; j <= nl; j++) { pesc(L[j]); if (j < nl || bytes == size) printf "%s", "\\n" }
        printf "\""
      }
      for (j = 1; j <= nl; j++) delete L[j]
    }
    if (note != "") printf ",\"note\":%s", js(note)
    printf "}"
  }

  printf "],\"process\":"
  if (PAT == "") printf "null"
  else {
    npids = 0; prss = 0; pth = 0; pfd = 0; pticks = 0
    mark_agents()
    for (i = 1; i <= BN; i++) {
      p = BP[i]
      if (!is_app(p, PAT)) continue
      PIDS = (npids++ ? PIDS "," : "") p
      prss += BR[p]; pth += BTH[p]; pfd += CFD[p]
      if (win > 0) pticks += ((p in AT) && AS[p] == BS[p]) ? BT[p] - AT[p] : BT[p]
    }
    printf "{\"pattern\":%s,\"pids\":[%s],\"rssKiB\":%s,\"cpuPct\":%.1f,\"threads\":%s,\"fds\":%s}",
      js(PAT), PIDS, int0(prss * PAGE / 1024), (win > 0 ? pticks / CLK / win * 100 : 0), int0(pth), int0(pfd)
  }

  printf ",\"health\":"
  if (!HEALTH) printf "null"
  else {
    ok = (HC ~ /^[1-5][0-9][0-9]$/)
    printf "{\"url\":%s,\"status\":%s,\"latencyMs\":%s", js(A[HEALTH]), (ok ? HC + 0 : "null"), (ok ? sprintf("%.1f", HT * 1000) : "null")
    if (!ok || HE != "") printf ",\"error\":%s", js(HE != "" ? HE : "no HTTP response")
    printf "}"
  }
  printf "}}\n"
}
'

pl_capture() { # agent args
  PL_SELF=$$
  export PL_SELF
  pl_collect "$@" |
    PL_VERSION=$AGENT_VERSION PL_PROCESS=$PL_PROCESS PL_PACKAGES=$PL_PACKAGES PL_SYSTEMD=$PL_SYSTEMD \
      PL_REL_LINK=$PL_REL_LINK PL_REL_TARGET=$PL_REL_TARGET awk "$PL_AWK_LIB$PL_AWK" "$@"
}

# ==== stream mode ===============================================================================
# Per interval the shell forks: cat (one /proc snapshot), date, df, sleep; plus grep x2 (+ tr per
# candidate) with --process, curl with --health, curl with --metrics, and sha256sum per managed
# file and readlink only every ~5 s. Everything else (parsing, rates, JSON) is the one awk.

pl_sleep_ms() { # MS
  sleep "$(($1 / 1000)).$(($1 % 1000 / 100))$(($1 % 100 / 10))$(($1 % 10))" 2>/dev/null || sleep $((($1 + 999) / 1000))
}

pl_count() { if [ -e "$1" ] || [ -L "$1" ]; then printf '@X %s\n' "$#"; else printf '@X 0\n'; fi }

pl_disks() { # agent args — one df for every --mount that exists (default /), by argv index
  pl_n=$#
  pl_i=0
  pl_w=
  pl_idx=
  pl_any=0
  for pl_a in "$@"; do
    pl_i=$((pl_i + 1))
    if [ -n "$pl_w" ]; then
      if [ "$pl_w" = --mount ]; then
        pl_any=1
        if [ -e "$pl_a" ]; then set -- "$@" "$pl_a"; pl_idx="$pl_idx $pl_i"; fi
      fi
      pl_w=
      continue
    fi
    ! pl_takes_value "$pl_a" || pl_w=$pl_a
  done
  shift "$pl_n"
  if [ "$pl_any" = 0 ]; then set -- /; pl_idx=' 0'; fi
  printf '@k%s\n@K\n' "$pl_idx"
  [ $# -eq 0 ] || df -kP -- "$@" 2>/dev/null
}

pl_config() { # agent args — hashes of managed files and the release target, by argv index
  pl_i=0
  pl_w=
  for pl_a in "$@"; do
    pl_i=$((pl_i + 1))
    if [ -n "$pl_w" ]; then
      case $pl_w in
        --file | --secret-file)
          printf '@G %s\n' "$pl_i"
          if [ -f "$pl_a" ] && [ -r "$pl_a" ]; then pl_hash <"$pl_a" 2>/dev/null; fi ;;
      esac
      pl_w=
      continue
    fi
    ! pl_takes_value "$pl_a" || pl_w=$pl_a
  done
  if [ "$PL_RELEASE_SET" = 1 ]; then
    if [ -L "$PL_RELEASE" ] && pl_t=$(readlink -- "$PL_RELEASE" 2>/dev/null); then printf '@r 1 %s\n' "$pl_t"; else printf '@r 0\n'; fi
  fi
}

pl_tick() { # EMIT REFRESH agent-args — one interval's raw input for the stream awk
  pl_emit=$1
  pl_refresh=$2
  shift 2
  printf '@D '
  date +%s%N 2>/dev/null || printf '\n'
  printf '@U\n'
  cat /proc/uptime /proc/[0-9]*/stat /proc/diskstats /proc/net/dev 2>/dev/null
  pl_count /proc/[0-9]*/fd/*
  pl_disks "$@"
  pl_process
  [ "$PL_HEALTH_SET" = 0 ] || pl_health
  [ -z "$PL_METRICS" ] || pl_metrics
  [ "$pl_refresh" = 0 ] || pl_config "$@"
  printf '@E %s\n' "$pl_emit"
}

# mawk reads a pipe in large blocks: without -W interactive a small interval's input (a lab host
# with few processes) sits in its buffer and samples come out in bursts. Other awks need nothing.
pl_awk_lines() {
  PL_AWKI=
  case $(awk -W version 2>/dev/null </dev/null) in mawk*) PL_AWKI='-W interactive' ;; esac
}

pl_stream() { # agent args
  [ "$PL_INTERVAL_MS" -ge 1000 ] || PL_INTERVAL_MS=1000
  [ "$PL_INTERVAL_MS" -le 3600000 ] || PL_INTERVAL_MS=3600000
  PL_HTTP_S=$((PL_INTERVAL_MS * 8 / 10000))
  [ "$PL_HTTP_S" -ge 1 ] || PL_HTTP_S=1
  [ "$PL_HTTP_S" -le 3 ] || PL_HTTP_S=3
  # Hashes and the release target are re-read about every 5 s, whatever the interval.
  pl_every=$(((5000 + PL_INTERVAL_MS - 1) / PL_INTERVAL_MS))
  pl_up=0
  { read -r pl_up _ </proc/uptime; } 2>/dev/null
  PL_MEND="@M-END-$$-$pl_up"
  pl_awk_lines
  PL_SELF=${PL_SUPERVISOR:-$$}
  PL_KP="$(getconf CLK_TCK 2>/dev/null || echo 100) $(getconf PAGESIZE 2>/dev/null || echo 4096)"
  export PL_SELF PL_MEND PL_KP
  {
    for pl_d in /sys/block/*; do [ -e "$pl_d" ] && printf '@b %s\n' "${pl_d##*/}"; done
    pl_sleep_ms "$PL_INTERVAL_MS" &
    pl_sl=$!
    pl_tick 0 1 "$@"
    pl_ticks=0
    while :; do
      wait "$pl_sl"
      pl_sleep_ms "$PL_INTERVAL_MS" &
      pl_sl=$!
      pl_ticks=$((pl_ticks + 1))
      pl_r=0
      [ $((pl_ticks % pl_every)) -ne 0 ] || pl_r=1
      pl_tick 1 "$pl_r" "$@"
    done
  } | PL_PROCESS=$PL_PROCESS PL_SEQ=$PL_FROM_SEQ PL_INTERVAL=$PL_INTERVAL_MS PL_BUFMAX=$PL_BUFFER_LINES \
    awk $PL_AWKI "$PL_AWK_LIB$PL_SAWK" "$@"
}

# shellcheck disable=SC2016
PL_SAWK='
function num(x) { return sprintf("%.15g", x + 0) }
function q(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
function stat_line(line,   i0, r, pid) {
  if (!match(line, /^[0-9]+ \(/)) return
  pid = substr(line, 1, RLENGTH - 2) + 0
  i0 = RLENGTH
  if (!match(line, /^.*\) /)) return
  if (split(substr(line, RLENGTH + 1), r, " ") < 22) return
  BN++; BP[BN] = pid
  BC[pid] = substr(line, i0 + 1, RLENGTH - i0 - 2)
  BPP[pid] = r[2] + 0; BT[pid] = r[12] + r[13]; BS[pid] = r[20]; BTH[pid] = r[18] + 0; BR[pid] = r[22] + 0
}
function snap_line(   f, n, name, p) {
  if (SNAPFIRST) { SNAPFIRST = 0; UPB = $1 + 0; return }
  if ($2 ~ /^\(/) { stat_line($0); return }
  p = index($0, ":")
  if (p > 0 && $0 !~ /\|/) {
    name = substr($0, 1, p - 1); gsub(/ /, "", name)
    n = split(substr($0, p + 1), f, " ")
    if (n >= 9 && name != "lo") { NRXB += f[1]; NTXB += f[9] }
    return
  }
  if (NF >= 14) DSB[$3] = $4 " " $6 " " $7 " " $8 " " $10 " " $11
}
function metric_line(l,   name, rest, p, k, v, f) {
  if (l ~ /^[ \t]*(#|$)/) return
  if (!match(l, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) return
  name = substr(l, 1, RLENGTH); rest = substr(l, RLENGTH + 1)
  if (substr(rest, 1, 1) == "{") {
    p = 0
    while ((k = index(substr(rest, p + 1), "}")) > 0) p += k
    if (p == 0) return
    rest = substr(rest, p + 1)
  }
  if (split(rest, f, " ") < 1) return
  v = f[1]
  if (v !~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/) return
  if (!(name in MV)) {
    if (MN >= MCAP) { MDROP++; return }
    MN++; MK[MN] = name; MV[name] = 0
  }
  MV[name] += v
}
function reset_tick(   k) {
  for (k in BP) delete BP[k]
  for (k in BC) delete BC[k]
  for (k in BPP) delete BPP[k]
  for (k in BT) delete BT[k]
  for (k in BS) delete BS[k]
  for (k in BTH) delete BTH[k]
  for (k in BR) delete BR[k]
  for (k in DSB) delete DSB[k]
  for (k in CN) delete CN[k]
  for (k in CA) delete CA[k]
  for (k in CFD) delete CFD[k]
  for (k in MV) delete MV[k]
  for (k in MK) delete MK[k]
  for (k in DKI) delete DKI[k]
  for (k in MINE) delete MINE[k]
  for (k in ANC) delete ANC[k]
  for (k in AGENT) delete AGENT[k]
  BN = 0; NRXB = 0; NTXB = 0; MN = 0; MDROP = 0; MSET = 0; MRC = ""; HSET = 0; HC = ""; HT = ""; HE = ""
  NDK = 0; NDF = 0; NFDS = 0; TSD = ""
}
function ts_ms(d,   n) {
  gsub(/[^0-9].*$/, "", d)
  n = length(d)
  if (n >= 13) return substr(d, 1, 13)
  if (n >= 9) return d "000"
  return ""
}
function emit(   i, p, d, win, ticks, rss, nproc, cpu, dev, a, b, ios, iorms, rsec, wsec, rx, tx, out, k, m, j, npids, pids, prss, pth, pfd, pticks, ok, newpid, notes, first, ts) {
  # lineage: the agent (or its supervisor) and everything it started are not host load, never "the app"
  for (i = 1; i <= BN; i++) {
    p = BP[i]; d = 0
    while (p > 0 && p != SELF && d < 200 && (p in BPP)) { p = BPP[p]; d++ }
    if (p == SELF) MINE[BP[i]] = 1
  }
  p = (SELF in BPP) ? BPP[SELF] : 0; d = 0
  while (p > 0 && d < 200) { ANC[p] = 1; if (!(p in BPP)) break; p = BPP[p]; d++ }

  win = HAVEA ? UPB - UPA : 0
  if (win <= 0) win = 0
  ticks = 0; rss = 0; nproc = 0
  for (i = 1; i <= BN; i++) {
    p = BP[i]
    if (p in MINE) continue
    nproc++; rss += BR[p]
    if (win > 0) ticks += ((p in AT) && AS[p] == BS[p]) ? BT[p] - AT[p] : BT[p]
  }
  cpu = win > 0 ? ticks / CLK / win * 100 : 0
  if (cpu < 0) cpu = 0
  ios = 0; iorms = 0; rsec = 0; wsec = 0
  for (i = 1; i <= NBLK; i++) {
    dev = BLK[i]
    if (dev ~ /^(loop|ram|zram|dm-|md)/ || !(dev in DSA) || !(dev in DSB)) continue
    split(DSA[dev], a, " "); split(DSB[dev], b, " ")
    ios += (b[1] - a[1]) + (b[4] - a[4]); iorms += (b[3] - a[3]) + (b[6] - a[6])
    rsec += b[2] - a[2]; wsec += b[5] - a[5]
  }
  rx = (win > 0 && NRXB >= NRXA) ? (NRXB - NRXA) / win : 0
  tx = (win > 0 && NTXB >= NTXA) ? (NTXB - NTXA) / win : 0
  while ((getline l < "/proc/meminfo") > 0) { split(l, f, " "); MI[f[1]] = f[2] + 0 }
  close("/proc/meminfo")
  split(readfirst("/proc/loadavg"), f, " ")
  notes = ""
  ts = ts_ms(TSD)
  if (ts == "") ts = "0"

  SEQ++
  out = "{\"type\":\"sample\",\"schema\":1,\"seq\":" SEQ ",\"ts\":" ts ",\"intervalMs\":" INTERVAL ",\"windowMs\":" int0(win * 1000)
  out = out ",\"host\":{\"cpuPct\":" sprintf("%.1f", cpu) ",\"rssKiB\":" int0(rss * PAGE / 1024) \
    ",\"memAvailableKiB\":" int0(("MemAvailable:" in MI) ? MI["MemAvailable:"] : MI["MemFree:"] + MI["Buffers:"] + MI["Cached:"]) \
    ",\"memTotalKiB\":" int0(MI["MemTotal:"]) ",\"load1\":" sprintf("%.2f", f[1] + 0) ",\"processes\":" nproc ",\"fds\":" (NFDS + 0) \
    ",\"diskReadBps\":" int0(win > 0 ? rsec * 512 / win : 0) ",\"diskWriteBps\":" int0(win > 0 ? wsec * 512 / win : 0) \
    ",\"ioLatencyMs\":" ((win > 0 && ios > 0) ? sprintf("%.2f", iorms / ios) : "null") \
    ",\"netRxBps\":" int0(rx) ",\"netTxBps\":" int0(tx) ",\"disks\":["
  first = 1
  for (i = 1; i <= NDK; i++) {
    if (!(i in DKU)) continue
    out = out (first ? "" : ",") "{\"mount\":" js(DKI[i] == 0 ? "/" : A[DKI[i]]) ",\"usedPct\":" sprintf("%.1f", (DKU[i] + DKA[i]) > 0 ? DKU[i] * 100 / (DKU[i] + DKA[i]) : 0) ",\"availKiB\":" int0(DKA[i]) "}"
    first = 0
  }
  if (NDK > 0 && NDF != NDK) notes = notes (notes == "" ? "" : ",") js("df answered for " NDF " of " NDK " mounts")
  out = out "]},\"app\":{\"process\":"

  if (PAT == "") out = out "null"
  else {
    npids = 0; pids = ""; prss = 0; pth = 0; pfd = 0; pticks = 0
    mark_agents()
    newpid = 0
    for (i = 1; i <= BN; i++) {
      p = BP[i]
      if (!is_app(p, PAT)) continue
      pids = (npids++ ? pids "," : "") p
      if (!(p in PREVPID)) newpid = 1
      NOWPID[p] = 1
      prss += BR[p]; pth += BTH[p]; pfd += CFD[p]
      if (win > 0) pticks += ((p in AT) && AS[p] == BS[p]) ? BT[p] - AT[p] : BT[p]
    }
    # restarts: intervals in which the pid set gained a pid it did not have the interval before
    if (SEENPIDS && newpid) RESTARTS++
    SEENPIDS = 1
    for (k in PREVPID) delete PREVPID[k]
    for (k in NOWPID) { PREVPID[k] = 1; delete NOWPID[k] }
    out = out "{\"pids\":[" pids "],\"rssKiB\":" int0(prss * PAGE / 1024) ",\"cpuPct\":" sprintf("%.1f", win > 0 ? pticks / CLK / win * 100 : 0) \
      ",\"threads\":" int0(pth) ",\"fds\":" int0(pfd) ",\"restarts\":" (RESTARTS + 0) "}"
  }

  out = out ",\"health\":"
  if (!HEALTHSET) out = out "null"
  else {
    ok = (HC ~ /^[1-5][0-9][0-9]$/)
    out = out "{\"status\":" (ok ? HC + 0 : "null") ",\"latencyMs\":" (ok ? sprintf("%.1f", HT * 1000) : "null")
    if (!ok || HE != "") out = out ",\"error\":" js(HE != "" ? HE : (HSET ? "no HTTP response" : "no health result"))
    out = out "}"
  }

  out = out ",\"metrics\":"
  if (!METRICSSET) out = out "null"
  else if (!MSET || MRC != "0") {
    out = out "null"
    notes = notes (notes == "" ? "" : ",") js(MRC == "90" ? "metrics: only http:// and https:// URLs are supported" : MRC == "91" ? "metrics: neither curl nor wget is available" : "metrics: fetch failed (exit " MRC ")")
  } else {
    out = out "{"
    for (i = 1; i <= MN; i++) out = out (i > 1 ? "," : "") js(MK[i]) ":" num(MV[MK[i]])
    out = out "}"
    if (MDROP > 0) notes = notes (notes == "" ? "" : ",") js("metrics: " MDROP " names over the cap of " MCAP " dropped")
  }

  out = out "},\"config\":{\"files\":{"
  first = 1
  for (i = 1; i <= NFI; i++) {
    k = FI[i]
    if (A[k] in SEENF) continue
    SEENF[A[k]] = 1
    out = out (first ? "" : ",") js(A[k]) ":" ((k in FH) && FH[k] != "" ? js(FH[k]) : "null"); first = 0
  }
  for (k in SEENF) delete SEENF[k]
  out = out "},\"release\":" (RELSET && RELOK ? js(REL) : "null") "}"
  if (notes != "") out = out ",\"notes\":[" notes "]"
  out = out "}"

  if (OUT == "") { print out; fflush() }
  else {
    if (BL >= BUFMAX || BB >= BUFBYTES) {
      close(OUT)
      system("mv -f -- " q(OUT) " " q(OUT1))
      BL = 0; BB = 0
    }
    print out >> OUT; close(OUT)
    BL++; BB += length(out) + 1
    print SEQ > STATE; close(STATE)
  }
}
function keep_snapshot(   k) {
  for (k in AT) delete AT[k]
  for (k in AS) delete AS[k]
  for (k in DSA) delete DSA[k]
  for (k in BT) AT[k] = BT[k]
  for (k in BS) AS[k] = BS[k]
  for (k in DSB) DSA[k] = DSB[k]
  UPA = UPB; NRXA = NRXB; NTXA = NTXB; HAVEA = 1
}
BEGIN {
  for (i = 1; i < 256; i++) ORD[sprintf("%c", i)] = i
  NA = ARGC - 1
  for (i = 1; i < ARGC; i++) { A[i] = ARGV[i]; ARGV[i] = "" }
  SELF = ENVIRON["PL_SELF"] + 0
  PAT = ENVIRON["PL_PROCESS"]
  MEND = ENVIRON["PL_MEND"]
  SEQ = ENVIRON["PL_SEQ"] + 0
  INTERVAL = ENVIRON["PL_INTERVAL"] + 0
  OUT = ENVIRON["PL_BUF"]; OUT1 = ENVIRON["PL_BUF1"]; STATE = ENVIRON["PL_STATE"]
  BL = ENVIRON["PL_BUF_LINES"] + 0; BB = ENVIRON["PL_BUF_BYTES"] + 0
  BUFMAX = ENVIRON["PL_BUFMAX"] + 0; if (BUFMAX < 10) BUFMAX = 10
  BUFBYTES = 4194304
  MCAP = 256
  CLK = 100; PAGE = 4096
  split(ENVIRON["PL_KP"], f, " "); if (f[1] + 0 > 0) CLK = f[1] + 0; if (f[2] + 0 > 0) PAGE = f[2] + 0
  w = ""
  for (i = 1; i <= NA; i++) {
    if (w != "") {
      if (w == "--file" || w == "--secret-file") { NFI++; FI[NFI] = i }
      else if (w == "--release") RELSET = 1
      else if (w == "--health") HEALTHSET = 1
      else if (w == "--metrics") METRICSSET = 1
      w = ""; continue
    }
    if (A[i] ~ /^--(sysctl|service|file|secret-file|release|process|health|perf-ms|interval-ms|from-seq|metrics|mount|dir|buffer-lines)$/) w = A[i]
  }
  reset_tick()
}
INMET {
  if (index($0, MEND " ") == 1) { INMET = 0; MSET = 1; MRC = substr($0, length(MEND) + 2) }
  else if (++MLINES <= 100000) metric_line($0)
  next
}
/^@/ {
  sec = $1
  if (sec == "@U") { SNAPFIRST = 1 }
  else if (sec == "@D") TSD = $2
  else if (sec == "@b") { NBLK++; BLK[NBLK] = $2 }
  else if (sec == "@X") NFDS = $2 + 0
  else if (sec == "@k") { NDK = 0; for (i = 2; i <= NF; i++) { NDK++; DKI[NDK] = $i + 0 } for (k in DKU) delete DKU[k] }
  else if (sec == "@C") { cur = $2 + 0; CN[cur] = 0; CFD[cur] = $3 + 0 }
  else if (sec == "@H") { HSET = 1; HC = $2; HT = $3; he = $0; sub(/^@H [^ ]* [^ ]* ?/, "", he); HE = he }
  else if (sec == "@M") { INMET = 1; MLINES = 0 }
  else if (sec == "@G") { cur = $2 + 0; FH[cur] = "" }
  else if (sec == "@r") { RELOK = ($2 == "1"); REL = substr($0, 6) }
  else if (sec == "@E") { if ($2 == "1") emit(); keep_snapshot(); reset_tick() }
  next
}
sec == "@U" { snap_line(); next }
sec == "@K" {
  if ($1 == "Filesystem") next
  if (match($0, / [0-9]+ +[0-9]+ +[0-9]+ +[0-9]+% /)) {
    split(substr($0, RSTART, RLENGTH), f, " ")
    NDF++
    if (NDF <= NDK) { DKU[NDF] = f[2] + 0; DKA[NDF] = f[3] + 0 }
  }
  next
}
sec == "@C" { CN[cur]++; CA[cur, CN[cur]] = $0; next }
sec == "@G" { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9a-f]+$/ && length($i) == 64) FH[cur] = $i; next }
sec == "@r" { REL = REL "\n" $0; next }
'

# ==== installed mode ============================================================================
# DIR (default /var/lib/plumbline/agent) holds: plumbline-agent.sh, config (the stream options,
# one argv element per line), buffer.jsonl + buffer.1.jsonl (the samples: at most 2 x
# --buffer-lines lines and 2 x 4 MiB), state (last seq written), supervisor.pid, agent.log.

PL_UNIT=/etc/systemd/system/plumbline-agent.service

pl_check_dir() {
  [ -n "$PL_DIR" ] || PL_DIR=/var/lib/plumbline/agent
  case $PL_DIR in
    /*/*) ;;
    *) pl_err "--dir must be an absolute path below /"; return 1 ;;
  esac
  case $PL_DIR in
    *[!A-Za-z0-9/_.-]* | */../* | */.. | */./* | */. | *//*) pl_err "--dir may only hold [A-Za-z0-9/_.-]"; return 1 ;;
  esac
  return 0
}

pl_need_root() {
  [ "$(id -u 2>/dev/null)" = 0 ] && return 0
  pl_err "$PL_MODE needs root (run it through sudo -n)"
  exit 5
}

pl_seq_of() { # FILE — seq of its last line, or nothing
  pl_l=$(tail -n 1 -- "$1" 2>/dev/null) || return 0
  case $pl_l in *'"seq":'[0-9]*) ;; *) return 0 ;; esac
  pl_l=${pl_l#*'"seq":'}
  pl_l=${pl_l%%[!0-9]*}
  printf '%s' "$pl_l"
}

pl_run() {
  pl_check_dir || exit 4
  [ -f "$PL_DIR/config" ] || { pl_err "not installed in $PL_DIR (no config)"; exit 4; }
  set --
  while IFS= read -r pl_l || [ -n "$pl_l" ]; do set -- "$@" "$pl_l"; done <"$PL_DIR/config"
  pl_parse "$@"
  umask 027
  PL_BUF=$PL_DIR/buffer.jsonl
  PL_BUF1=$PL_DIR/buffer.1.jsonl
  PL_STATE=$PL_DIR/state
  # A crash mid-line leaves a partial line: end it, so the next sample starts a line of its own.
  if [ -s "$PL_BUF" ] && [ -n "$(tail -c 1 -- "$PL_BUF" 2>/dev/null)" ]; then printf '\n' >>"$PL_BUF"; fi
  # The next seq follows the highest of the state file and the buffers' last lines.
  pl_seq=0
  pl_s=
  { read -r pl_s <"$PL_STATE"; } 2>/dev/null
  pl_s=$(pl_uint "$pl_s" 0)
  [ "$pl_s" -le "$pl_seq" ] || pl_seq=$pl_s
  for pl_f in "$PL_BUF1" "$PL_BUF"; do
    pl_s=$(pl_uint "$(pl_seq_of "$pl_f")" 0)
    [ "$pl_s" -le "$pl_seq" ] || pl_seq=$pl_s
  done
  PL_FROM_SEQ=$pl_seq
  PL_BUF_LINES=0
  PL_BUF_BYTES=0
  if [ -f "$PL_BUF" ]; then
    PL_BUF_LINES=$(pl_uint "$(wc -l <"$PL_BUF" | tr -d ' ')" 0)
    PL_BUF_BYTES=$(pl_uint "$(wc -c <"$PL_BUF" | tr -d ' ')" 0)
  fi
  export PL_BUF PL_BUF1 PL_STATE PL_BUF_LINES PL_BUF_BYTES
  pl_stream "$@"
}

pl_supervise() {
  pl_check_dir || exit 4
  printf '%s\n' "$$" >"$PL_DIR/supervisor.pid"
  PL_SUPERVISOR=$$
  export PL_SUPERVISOR
  while [ -f "$PL_DIR/config" ]; do
    if [ -f "$PL_DIR/agent.log" ] && [ "$(wc -c <"$PL_DIR/agent.log")" -gt 65536 ]; then mv -f -- "$PL_DIR/agent.log" "$PL_DIR/agent.log.1"; fi
    sh "$PL_DIR/plumbline-agent.sh" run --dir "$PL_DIR" </dev/null >/dev/null 2>>"$PL_DIR/agent.log"
    sleep 1
  done
  rm -f -- "$PL_DIR/supervisor.pid"
}

pl_follow() {
  pl_check_dir || exit 4
  [ -f "$PL_DIR/config" ] || { pl_err "the agent is not installed in $PL_DIR"; exit 4; }
  pl_awk_lines
  # Catch up from the rotated buffer, then the current one from its start, then follow it by
  # name (survives rotation). awk drops what the server already has and any repeat.
  {
    cat -- "$PL_DIR/buffer.1.jsonl" 2>/dev/null
    exec tail -n +1 -F -- "$PL_DIR/buffer.jsonl" 2>/dev/null
  } | PL_FROM=$PL_FROM_SEQ awk $PL_AWKI '
    BEGIN { last = ENVIRON["PL_FROM"] + 0 }
    {
      if (!match($0, /"seq":[0-9]+/)) next
      s = substr($0, RSTART + 6, RLENGTH - 6) + 0
      if (s <= last) next
      last = s; print; fflush()
    }'
}

pl_agent_pid() { # PID — true when PID runs this agent
  case $1 in '' | *[!0-9]*) return 1 ;; esac
  [ -r "/proc/$1/cmdline" ] && grep -q -F -e plumbline-agent "/proc/$1/cmdline" 2>/dev/null
}

pl_stop_service() {
  if [ -f "$PL_UNIT" ]; then
    systemctl disable --now plumbline-agent.service >/dev/null 2>&1
    rm -f -- "$PL_UNIT"
    systemctl daemon-reload >/dev/null 2>&1
  fi
  pl_pid=
  { read -r pl_pid <"$PL_DIR/supervisor.pid"; } 2>/dev/null
  if pl_agent_pid "$pl_pid"; then
    # setsid made the supervisor a process-group leader: the group is the whole agent.
    kill -TERM -- "-$pl_pid" 2>/dev/null || kill -TERM "$pl_pid" 2>/dev/null
    pl_i=0
    while [ -d "/proc/$pl_pid" ] && [ "$pl_i" -lt 30 ]; do sleep 0.1 2>/dev/null || sleep 1; pl_i=$((pl_i + 1)); done
    kill -KILL -- "-$pl_pid" 2>/dev/null
  fi
  rm -f -- "$PL_DIR/supervisor.pid"
  # Leftovers: anything still running the installed script, or following its buffer (a
  # follower whose SSH channel is gone waits in tail until the next sample). The bracket keeps
  # grep from matching its own argv; our own `uninstall` chain matches neither case.
  for pl_f in $(grep -l -e 'plumbline-agen[t]' -e "$PL_DIR/buffer[.]jsonl" /proc/[0-9]*/cmdline 2>/dev/null); do
    pl_p=${pl_f#/proc/}
    pl_p=${pl_p%%/*}
    [ "$pl_p" != "$$" ] || continue
    pl_c=$(tr '\000' ' ' <"$pl_f" 2>/dev/null) || continue
    case $pl_c in
      *"$PL_DIR/plumbline-agent.sh "* | *" plumbline-agent follow --dir $PL_DIR "* | *"$PL_DIR/buffer.jsonl"*) kill -TERM "$pl_p" 2>/dev/null ;;
    esac
  done
}

pl_start_service() {
  if [ "$PL_SYSTEMD" = 1 ]; then
    printf '%s\n' '[Unit]' 'Description=Plumbline agent (samples buffered on this host)' 'After=network.target' '' \
      '[Service]' "ExecStart=/bin/sh $PL_DIR/plumbline-agent.sh run --dir $PL_DIR" 'Restart=always' 'RestartSec=1' 'Nice=10' '' \
      '[Install]' 'WantedBy=multi-user.target' >"$PL_UNIT" || return 1
    systemctl daemon-reload && systemctl enable --now plumbline-agent.service >/dev/null 2>&1 || return 1
    PL_SERVICE=systemd
    return 0
  fi
  pl_setsid=setsid
  pl_has setsid || pl_setsid='busybox setsid'
  # shellcheck disable=SC2086
  $pl_setsid sh "$PL_DIR/plumbline-agent.sh" supervise --dir "$PL_DIR" </dev/null >/dev/null 2>&1 &
  pl_i=0
  while [ ! -s "$PL_DIR/supervisor.pid" ] && [ "$pl_i" -lt 50 ]; do sleep 0.1 2>/dev/null || sleep 1; pl_i=$((pl_i + 1)); done
  [ -s "$PL_DIR/supervisor.pid" ] || return 1
  PL_SERVICE=supervisor
}

pl_install() { # install args; the script itself comes on stdin
  pl_check_dir || exit 4
  pl_need_root
  # Parents are traversable (0755) so the SSH user can reach DIR; DIR itself is not world-readable.
  umask 022
  mkdir -p -- "${PL_DIR%/*}" || exit 6
  umask 027
  mkdir -p -- "$PL_DIR" || exit 6
  # The directory's group is the SSH user's (through sudo), so `follow` needs no sudo.
  chown "0:${SUDO_GID:-0}" "$PL_DIR" 2>/dev/null
  chmod 2750 "$PL_DIR" || exit 6
  cat >"$PL_DIR/plumbline-agent.sh.new" || exit 6
  pl_l=
  { read -r pl_l <"$PL_DIR/plumbline-agent.sh.new"; } 2>/dev/null
  if [ "$pl_l" != '#!/bin/sh' ]; then
    rm -f -- "$PL_DIR/plumbline-agent.sh.new"
    pl_err "the agent script did not arrive on stdin"
    exit 6
  fi
  : >"$PL_DIR/config.new" || exit 6
  pl_w=
  pl_skip=1
  for pl_a in "$@"; do
    if [ "$pl_skip" = 1 ]; then pl_skip=0; continue; fi # the mode word
    if [ "$pl_w" = --dir ]; then pl_w=; continue; fi
    case $pl_a in
      *"$PL_NL"*)
        rm -f -- "$PL_DIR/config.new" "$PL_DIR/plumbline-agent.sh.new"
        pl_err "option values may not contain a newline"
        exit 6 ;;
    esac
    if [ -z "$pl_w" ] && [ "$pl_a" = --dir ]; then pl_w=--dir; continue; fi
    if [ -z "$pl_w" ] && pl_takes_value "$pl_a"; then pl_w=$pl_a; else pl_w=; fi
    printf '%s\n' "$pl_a" >>"$PL_DIR/config.new"
  done
  mv -f -- "$PL_DIR/plumbline-agent.sh.new" "$PL_DIR/plumbline-agent.sh" || exit 6
  mv -f -- "$PL_DIR/config.new" "$PL_DIR/config" || exit 6
  pl_stop_service
  pl_start_service || { pl_err "could not start the agent service"; exit 7; }
  pl_pid=
  { read -r pl_pid <"$PL_DIR/supervisor.pid"; } 2>/dev/null
  printf '{"type":"agentInstall","ok":true,"service":"%s","dir":"%s","pid":%s}\n' "$PL_SERVICE" "$PL_DIR" "$(pl_uint "$pl_pid" null)"
}

pl_uninstall() {
  pl_check_dir || exit 4
  pl_need_root
  pl_was=false
  [ ! -e "$PL_DIR" ] && [ ! -f "$PL_UNIT" ] || pl_was=true
  pl_stop_service
  rm -rf -- "$PL_DIR"
  # The parent is ours too when it is the plumbline folder and nothing else lives in it.
  case ${PL_DIR%/*} in */plumbline) rmdir -- "${PL_DIR%/*}" 2>/dev/null ;; esac
  printf '{"type":"agentUninstall","ok":true,"wasInstalled":%s}\n' "$pl_was"
}

pl_status() {
  pl_check_dir || exit 4
  pl_inst=false
  [ -f "$PL_DIR/config" ] && pl_inst=true
  pl_svc=null
  pl_run=false
  pl_pid=
  if [ -f "$PL_UNIT" ]; then
    pl_svc='"systemd"'
    systemctl is-active --quiet plumbline-agent.service 2>/dev/null && pl_run=true
    pl_pid=$(systemctl show -p MainPID --value plumbline-agent.service 2>/dev/null)
  elif [ -f "$PL_DIR/supervisor.pid" ]; then
    pl_svc='"supervisor"'
    { read -r pl_pid <"$PL_DIR/supervisor.pid"; } 2>/dev/null
    ! pl_agent_pid "$pl_pid" || pl_run=true
  fi
  pl_s=
  { read -r pl_s <"$PL_DIR/state"; } 2>/dev/null
  pl_lines=0
  pl_bytes=0
  if [ -f "$PL_DIR/buffer.jsonl" ] || [ -f "$PL_DIR/buffer.1.jsonl" ]; then
    pl_lines=$(cat -- "$PL_DIR/buffer.1.jsonl" "$PL_DIR/buffer.jsonl" 2>/dev/null | wc -l | tr -d ' ')
    pl_bytes=$(cat -- "$PL_DIR/buffer.1.jsonl" "$PL_DIR/buffer.jsonl" 2>/dev/null | wc -c | tr -d ' ')
  fi
  printf '{"type":"agentStatus","installed":%s,"running":%s,"service":%s,"pid":%s,"lastSeq":%s,"bufferedSamples":%s,"bufferBytes":%s,"dir":"%s"}\n' \
    "$pl_inst" "$pl_run" "$pl_svc" "$(pl_uint "$pl_pid" null)" "$(pl_uint "$pl_s" null)" "$(pl_uint "$pl_lines" 0)" "$(pl_uint "$pl_bytes" 0)" "$PL_DIR"
}

# ---- dispatch on the mode word (checked in options.sh) ------------------------------------------
case $PL_MODE in
  capture) pl_capture "$@" ;;
  stream) pl_stream "$@" ;;
  run) pl_run ;;
  supervise) pl_supervise ;;
  follow) pl_follow ;;
  install) pl_install "$@" ;;
  uninstall) pl_uninstall ;;
  status) pl_status ;;
esac
