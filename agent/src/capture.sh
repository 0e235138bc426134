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
#@awk PL_AWK_LIB lib.awk

# shellcheck disable=SC2016
#@awk PL_AWK capture.awk

pl_capture() { # agent args
  PL_SELF=$$
  export PL_SELF
  pl_collect "$@" |
    PL_VERSION=$AGENT_VERSION PL_PROCESS=$PL_PROCESS PL_PACKAGES=$PL_PACKAGES PL_SYSTEMD=$PL_SYSTEMD \
      PL_REL_LINK=$PL_REL_LINK PL_REL_TARGET=$PL_REL_TARGET awk "$PL_AWK_LIB$PL_AWK" "$@"
}

