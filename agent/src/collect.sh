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

