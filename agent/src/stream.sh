# ==== stream mode ===============================================================================
# Per interval the shell forks: cat (one /proc snapshot), date, df, sleep; plus grep x2 (+ tr per
# candidate) with --process, curl with --health, curl with --metrics, readlink with --release, and
# sha256sum per managed file only every ~5 s. Everything else (parsing, rates, JSON) is the one awk.

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

pl_config() { # agent args — hashes of managed files, by argv index
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
}

# The release target every interval (one readlink): a deploy restarts the app, and the restart is
# told from a crash only by the link having moved in the same sample.
pl_release() {
  if [ -L "$PL_RELEASE" ] && pl_t=$(readlink -- "$PL_RELEASE" 2>/dev/null); then printf '@r 1 %s\n' "$pl_t"; else printf '@r 0\n'; fi
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
  [ "$PL_RELEASE_SET" = 0 ] || pl_release
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
  # Hashes are re-read about every 5 s, whatever the interval; the release target every interval.
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
#@awk PL_SAWK stream.awk

