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

