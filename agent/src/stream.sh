# ==== stream mode ===============================================================================
# Per interval the shell forks nothing: it waits for a tick (a line on stdin from the server with
# --ticks stdin; otherwise, as in installed mode, one `sleep` per interval), lists /proc with a
# glob and counts each process's open fds with a glob, and the one awk reads /proc itself. With
# --process, argv is read (grep, tr) only for processes new since the last interval, and for all
# of them on the ~5 s look below.
# The release link is looked at every interval without a fork (test -ef against the directory it
# resolved to); `readlink` runs only when it moved. About every 5 s one `df` and one `stat` of the
# managed files run;
# a managed file is hashed only when its stat changed, and every file on a full pass every
# --full-hash-ms. curl runs only when the agent itself is asked to fetch --health or --metrics.

pl_sleep_ms() { # MS
  sleep "$(($1 / 1000)).$(($1 % 1000 / 100))$(($1 % 100 / 10))$(($1 % 10))" 2>/dev/null || sleep $((($1 + 999) / 1000))
}

pl_procs() { # one "@U" section: a line "PID FDS" per process (FDS: its open fds the agent can read)
  pl_o=
  pl_new=
  pl_cur=$PL_NL
  for pl_d in /proc/[0-9]*; do
    pl_p=${pl_d#/proc/}
    set -- "$pl_d"/fd/*
    # An unmatched glob stays as written: no fd readable (another user's process), no stat needed.
    if [ "$1" != "$pl_d/fd/*" ]; then pl_o="$pl_o$pl_p $#$PL_NL"; else pl_o="$pl_o$pl_p 0$PL_NL"; fi
    if [ -n "$PL_PROCESS" ]; then
      pl_cur="$pl_cur$pl_p$PL_NL"
      case $pl_prev in *"$PL_NL$pl_p$PL_NL"*) ;; *) pl_new="$pl_new $pl_d/cmdline" ;; esac
    fi
  done
  pl_prev=$pl_cur
  printf '@U\n%s@S\n' "$pl_o"
}

# Argv ("@A PID", one word a line) of the processes that could be the app: whose argv holds the
# pattern. On RESCAN=1 every process is looked at (that catches a process that exec'd in place),
# else only those new since the last interval, so a quiet host costs no fork here.
pl_argvs() { # RESCAN
  [ -n "$PL_PROCESS" ] || return 0
  if [ "$1" = 1 ]; then
    printf '@Z\n'
    set -- /proc/[0-9]*/cmdline
  else
    # shellcheck disable=SC2086
    set -- $pl_new
  fi
  [ $# -gt 0 ] || return 0
  if pl_has grep; then
    # shellcheck disable=SC2046
    set -- $(grep -l -F -e "$PL_PROCESS" -- "$@" 2>/dev/null)
  fi
  for pl_f in "$@"; do
    pl_p=${pl_f#/proc/}
    pl_p=${pl_p%%/*}
    [ "$pl_p" != "$$" ] || continue
    printf '@A %s\n' "$pl_p"
    # NUL separates args: one arg per line; newline→\001 and @→\003 so no arg looks like a marker.
    tr '\000\n@' '\n\001\003' 2>/dev/null <"$pl_f"
    printf '\n'
  done
}

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

pl_config() { # FULL agent-args — managed files by argv index: a hash when the stat changed (or FULL=1)
  pl_full=$1
  shift
  pl_n=$#
  pl_i=0
  pl_w=
  pl_idx=
  for pl_a in "$@"; do
    pl_i=$((pl_i + 1))
    if [ -n "$pl_w" ]; then
      case $pl_w in
        --file | --secret-file)
          if [ -f "$pl_a" ] && [ -r "$pl_a" ]; then
            set -- "$@" "$pl_a"
            pl_idx="$pl_idx $pl_i"
          else
            printf '@G %s\n' "$pl_i"
            eval "pl_st_$pl_i=-"
          fi ;;
      esac
      pl_w=
      continue
    fi
    ! pl_takes_value "$pl_a" || pl_w=$pl_a
  done
  shift "$pl_n"
  if [ $# -gt 0 ]; then
    # One stat for all: size, mtime, ctime, inode, device. Seconds, as busybox stat has no
    # finer times: a change within the second of the last look, with size and mtime put back,
    # keeps the stat; the full pass catches it. Lines that do not add up mean "hash them all".
    pl_out=$(stat -L -c '%s %Y %Z %i %d' -- "$@" 2>/dev/null) || pl_out=
    pl_c=0
    pl_v=$pl_out
    while [ -n "$pl_v" ]; do
      pl_c=$((pl_c + 1))
      case $pl_v in *"$PL_NL"*) pl_v=${pl_v#*"$PL_NL"} ;; *) pl_v= ;; esac
    done
    [ "$pl_c" -eq $# ] || pl_out=
    for pl_k in $pl_idx; do
      pl_l=${pl_out%%"$PL_NL"*}
      pl_out=${pl_out#*"$PL_NL"}
      eval "pl_old=\${pl_st_$pl_k-}"
      if [ "$pl_full" = 1 ] || [ -z "$pl_l" ] || [ "$pl_l" != "$pl_old" ]; then
        printf '@G %s\n' "$pl_k"
        pl_hash <"$1" 2>/dev/null
        eval "pl_st_$pl_k=\$pl_l"
      fi
      shift
    done
  fi
}

# The release target every interval: a deploy restarts the app, and the restart is told from a
# crash only by the link having moved in the same sample. Without a fork while the link still
# resolves to the directory it did (test -ef is a builtin of dash, busybox sh and bash);
# readlink runs only when it moved (or was never read).
pl_rel_t=
pl_rel_abs=
pl_release() {
  if [ -n "$pl_rel_abs" ] && [ -L "$PL_RELEASE" ] && [ "$PL_RELEASE" -ef "$pl_rel_abs" ]; then
    printf '@r 1 %s\n' "$pl_rel_t"
    return
  fi
  pl_rel_abs=
  if [ -L "$PL_RELEASE" ] && pl_rel_t=$(readlink -- "$PL_RELEASE" 2>/dev/null); then
    case $pl_rel_t in
      /*) pl_rel_abs=$pl_rel_t ;;
      *) pl_rel_abs=${PL_RELEASE%/*}/$pl_rel_t ;;
    esac
    printf '@r 1 %s\n' "$pl_rel_t"
  else
    printf '@r 0\n'
  fi
}

pl_tick() { # EMIT CHECK FULL agent-args — one interval's raw input for the stream awk
  pl_emit=$1
  pl_check=$2
  pl_fullpass=$3
  shift 3
  pl_procs
  pl_argvs "$pl_check"
  if [ "$pl_check" = 1 ]; then
    printf '@c\n'
    pl_disks "$@"
    pl_config "$pl_fullpass" "$@"
  fi
  [ "$PL_HEALTH_SET" = 0 ] || pl_health
  [ -z "$PL_METRICS" ] || pl_metrics
  [ "$PL_RELEASE_SET" = 0 ] || pl_release
  printf '@E %s\n' "$pl_emit"
}

# mawk reads a pipe in large blocks: without -W interactive a small interval's input (a lab host
# with few processes) sits in its buffer and samples come out in bursts. -W interactive also makes
# mawk read files with stdio, where a read error is an end of file: without it, reading the stat
# of a process that exits between open and read (ESRCH) is fatal to mawk. Other awks need nothing.
pl_awk_lines() {
  PL_AWKI=
  case $(awk -W version 2>/dev/null </dev/null) in mawk*) PL_AWKI='-W interactive' ;; esac
}

pl_wait() { # until the next interval is due; false (end of input) ends the stream
  if [ "$PL_TICKS" = stdin ]; then
    IFS= read -r pl_t
    return
  fi
  wait "$pl_sl"
  pl_sleep_ms "$PL_INTERVAL_MS" &
  pl_sl=$!
}

pl_stream() { # agent args
  [ "$PL_INTERVAL_MS" -ge 1000 ] || PL_INTERVAL_MS=1000
  [ "$PL_INTERVAL_MS" -le 3600000 ] || PL_INTERVAL_MS=3600000
  PL_HTTP_S=$((PL_INTERVAL_MS * 8 / 10000))
  [ "$PL_HTTP_S" -ge 1 ] || PL_HTTP_S=1
  [ "$PL_HTTP_S" -le 3 ] || PL_HTTP_S=3
  # Disks and file stats are looked at about every 5 s, whatever the interval (the release target
  # every interval); every file is hashed on a full pass about every --full-hash-ms.
  pl_every=$(((5000 + PL_INTERVAL_MS - 1) / PL_INTERVAL_MS))
  pl_fullevery=$(((PL_FULL_HASH_MS + PL_INTERVAL_MS * pl_every - 1) / (PL_INTERVAL_MS * pl_every)))
  [ "$pl_fullevery" -ge 1 ] || pl_fullevery=1
  pl_up=0
  { read -r pl_up _ </proc/uptime; } 2>/dev/null
  PL_MEND="@M-END-$$-$pl_up"
  pl_awk_lines
  PL_SELF=${PL_SUPERVISOR:-$$}
  PL_KP="$(getconf CLK_TCK 2>/dev/null || echo 100) $(getconf PAGESIZE 2>/dev/null || echo 4096)"
  # The host clock once; awk carries it forward with /proc/uptime (and follows a clock step).
  PL_T0=$(date +%s%N 2>/dev/null)
  PL_UP0=
  { read -r PL_UP0 _ </proc/uptime; } 2>/dev/null
  export PL_SELF PL_MEND PL_KP PL_T0 PL_UP0
  {
    for pl_d in /sys/block/*; do [ -e "$pl_d" ] && printf '@b %s\n' "${pl_d##*/}"; done
    pl_ticks=0
    pl_checks=0
    if [ "$PL_TICKS" != stdin ]; then
      pl_sleep_ms "$PL_INTERVAL_MS" &
      pl_sl=$!
    fi
    pl_tick 0 1 1 "$@" </dev/null
    while pl_wait; do
      pl_ticks=$((pl_ticks + 1))
      pl_c=0
      pl_f=0
      if [ $((pl_ticks % pl_every)) -eq 0 ]; then
        pl_c=1
        pl_checks=$((pl_checks + 1))
        [ $((pl_checks % pl_fullevery)) -ne 0 ] || pl_f=1
      fi
      pl_tick 1 "$pl_c" "$pl_f" "$@" </dev/null
    done
  } | PL_PROCESS=$PL_PROCESS PL_SEQ=$PL_FROM_SEQ PL_INTERVAL=$PL_INTERVAL_MS PL_BUFMAX=$PL_BUFFER_LINES \
    awk $PL_AWKI "$PL_AWK_LIB$PL_SAWK" "$@"
}

# shellcheck disable=SC2016
#@awk PL_SAWK stream.awk

