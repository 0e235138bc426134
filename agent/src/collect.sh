# ---- collectors (all write tagged lines to stdout, which is the pipe into awk) -------------
# Capture forks as few commands as it can: each collector runs ONE command for all its items
# (one grep for every sysctl, one stat and one hash for every managed file, one grep for every
# candidate process's argv), and what awk can read itself (time, clock ticks, page size, byte
# order, CPU count, the dpkg database) it reads.
pl_snapshot() {
  cat /proc/uptime /proc/[0-9]*/stat /proc/diskstats /proc/net/dev 2>/dev/null
}

pl_sleep() {
  pl_s=$((PL_PERF_MS / 1000)).$((PL_PERF_MS % 1000 / 100))$((PL_PERF_MS % 100 / 10))$((PL_PERF_MS % 10))
  sleep "$pl_s" 2>/dev/null || sleep $(((PL_PERF_MS + 999) / 1000))
}

pl_lines() { # TEXT — how many lines TEXT has (0 when empty)
  pl_nl=0
  pl_v=$1
  while [ -n "$pl_v" ]; do
    pl_nl=$((pl_nl + 1))
    case $pl_v in *"$PL_NL"*) pl_v=${pl_v#*"$PL_NL"} ;; *) pl_v= ;; esac
  done
}

pl_sysctls() { # agent args — "@Y INDEX PATH" per valid readable name, then one grep prints "PATH:LINE" for all
  pl_n=$#
  pl_i=0
  pl_w=
  for pl_a in "$@"; do
    pl_i=$((pl_i + 1))
    if [ -n "$pl_w" ]; then
      pl_w=
      case $pl_a in '' | *[!A-Za-z0-9_.-]*) continue ;; esac
      pl_p=$pl_a
      pl_r=
      while :; do
        case $pl_p in
          *.*) pl_r=$pl_r${pl_p%%.*}/; pl_p=${pl_p#*.} ;;
          *) break ;;
        esac
      done
      pl_p=/proc/sys/$pl_r$pl_p
      if [ -f "$pl_p" ] && [ -r "$pl_p" ]; then
        printf '@Y %s %s\n' "$pl_i" "$pl_p"
        set -- "$@" "$pl_p"
      fi
      continue
    fi
    [ "$pl_a" != --sysctl ] || pl_w=$pl_a
  done
  shift "$pl_n"
  [ $# -gt 0 ] || return 0
  # grep, not the read builtin: sysctl files answer a read at a non-zero offset with EOF, and
  # read(1) goes byte by byte. A file that fails (EIO, e.g. an unset stable_secret) prints
  # nothing and stays null; the others still print.
  printf '@y\n'
  grep -H -e '' -- "$@" 2>/dev/null
}

pl_files() { # agent args — managed files by argv index: kind, then one stat, one hash and one NUL check for all
  pl_n=$#
  pl_i=0
  pl_w=
  pl_st=
  pl_rd=
  for pl_a in "$@"; do
    pl_i=$((pl_i + 1))
    if [ -n "$pl_w" ]; then
      case $pl_w in
        --file | --secret-file)
          eval "pl_fp_$pl_i=\$pl_a"
          if [ "$pl_w" = --file ]; then eval "pl_fs_$pl_i=0"; else eval "pl_fs_$pl_i=1"; fi
          if [ -f "$pl_a" ]; then
            pl_st="$pl_st $pl_i"
            if [ -r "$pl_a" ]; then
              printf '@F %s reg\n' "$pl_i"
              pl_rd="$pl_rd $pl_i"
            else
              printf '@F %s unreadable\n' "$pl_i"
            fi
          elif [ -e "$pl_a" ]; then
            pl_st="$pl_st $pl_i"
            printf '@F %s other\n' "$pl_i"
          elif [ -L "$pl_a" ]; then
            printf '@F %s dangling\n' "$pl_i"
          else
            printf '@F %s missing\n' "$pl_i"
          fi ;;
      esac
      pl_w=
      continue
    fi
    ! pl_takes_value "$pl_a" || pl_w=$pl_a
  done
  shift "$pl_n"
  [ -n "$pl_st" ] || return 0
  # One stat for all: "@f INDEX SIZE MODE OWNER UID". When its lines do not add up (a file went
  # away in between), each file gets its own stat.
  set --
  for pl_k in $pl_st; do eval "set -- \"\$@\" \"\$pl_fp_$pl_k\""; done
  pl_out=$(stat -c '%s %a %U %u' -- "$@" 2>/dev/null) || pl_out=
  pl_lines "$pl_out"
  for pl_k in $pl_st; do
    if [ "$pl_nl" -eq $# ]; then
      pl_l=${pl_out%%"$PL_NL"*}
      pl_out=${pl_out#*"$PL_NL"}
    else
      eval "pl_l=\$(stat -c '%s %a %U %u' -- \"\$pl_fp_$pl_k\" 2>/dev/null)" || pl_l=
    fi
    printf '@f %s %s\n' "$pl_k" "${pl_l:-- - - -}"
    eval "pl_sz_$pl_k=\${pl_l%% *}"
  done
  pl_hashes
  pl_nuls
}

pl_hashes() { # the readable files in $pl_rd: "@h INDEX SHA256", one sha256sum for all when it can
  set --
  pl_one=
  for pl_k in $pl_rd; do
    eval "pl_p=\$pl_fp_$pl_k"
    # busybox prints a name with a newline raw, which would split its line: hashed alone.
    case $pl_p in *"$PL_NL"*) pl_one="$pl_one $pl_k" ;; *) set -- "$@" "$pl_p" ;; esac
  done
  pl_out=
  if [ $# -gt 0 ] && [ "$PL_HASH_FILES" = 1 ]; then
    pl_out=$(pl_hash_files "$@" 2>/dev/null) || pl_out=
    pl_lines "$pl_out"
    [ "$pl_nl" -eq $# ] || pl_out=
  fi
  for pl_k in $pl_rd; do
    eval "pl_p=\$pl_fp_$pl_k"
    case " $pl_one " in *" $pl_k "*) pl_l= ;; *) pl_l=${pl_out%%"$PL_NL"*}; pl_out=${pl_out#*"$PL_NL"} ;; esac
    # GNU sha256sum starts the line of an escaped name with a backslash.
    pl_l=${pl_l#\\}
    case $pl_l in
      [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*' '*) ;;
      *) pl_l=$(pl_hash <"$pl_p" 2>/dev/null) || pl_l= ;;
    esac
    printf '@h %s %s\n' "$pl_k" "${pl_l%% *}"
  done
}

pl_nuls() { # content candidates (readable, not secret, <= 256 KiB): "@z INDEX 0|1" (1: has NUL bytes)
  # NUL bytes: busybox awk silently splits lines at NUL, so they are counted here instead. One
  # cat|tr|wc for all: when no byte goes missing, no file has a NUL; else each is counted alone.
  set --
  pl_idx=
  pl_sum=0
  for pl_k in $pl_rd; do
    eval "pl_sec=\$pl_fs_$pl_k pl_sz=\${pl_sz_$pl_k-}"
    [ "$pl_sec" = 0 ] && [ "$pl_sz" -le 262144 ] 2>/dev/null || continue
    eval "set -- \"\$@\" \"\$pl_fp_$pl_k\""
    pl_idx="$pl_idx $pl_k"
    pl_sum=$((pl_sum + pl_sz))
  done
  [ $# -gt 0 ] || return 0
  pl_all=$(cat -- "$@" 2>/dev/null | tr -d '\000' | wc -c)
  for pl_k in $pl_idx; do
    if [ "$pl_all" -eq "$pl_sum" ] 2>/dev/null; then
      pl_z=0
    else
      eval "pl_p=\$pl_fp_$pl_k pl_sz=\$pl_sz_$pl_k"
      pl_c=$(tr -d '\000' <"$pl_p" 2>/dev/null | wc -c)
      if [ "$pl_c" -eq "$pl_sz" ] 2>/dev/null; then pl_z=0; else pl_z=1; fi
    fi
    printf '@z %s %s\n' "$pl_k" "$pl_z"
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

pl_packages() {
  # dpkg's database is read by awk itself (PL_DPKG_STATUS), unless dpkg left journal entries in
  # updates/ that only dpkg-query merges.
  if [ -f /var/lib/dpkg/status ] && [ -r /var/lib/dpkg/status ]; then
    set -- /var/lib/dpkg/updates/[0-9]*
    if [ ! -e "$1" ]; then
      printf '@P dpkg-status\n'
      return 0
    fi
  fi
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

pl_process() { # candidates for --process: "@C PID FDS" each, then "@c" and their argv as "/proc/PID/cmdline:WORD" lines
  [ -n "$PL_PROCESS" ] || return 0
  pl_r=${PL_PROCESS#???????????????}
  pl_p15=${PL_PROCESS%"$pl_r"}
  if ! pl_has grep; then
    set -- /proc/[0-9]*/cmdline
  elif [ -z "$pl_p15" ] || [ "$pl_p15" = "$PL_PROCESS" ]; then
    # Prefilter: only processes whose argv could match are looked at closely.
    # shellcheck disable=SC2046
    set -- $(grep -l -F -e "$PL_PROCESS" /proc/[0-9]*/cmdline 2>/dev/null)
  else
    # ... or whose comm holds the name's first 15 characters (all a comm can hold).
    # shellcheck disable=SC2046
    set -- $(grep -l -F -e "$PL_PROCESS" -e "$pl_p15" /proc/[0-9]*/cmdline /proc/[0-9]*/comm 2>/dev/null)
  fi
  pl_pids=' '
  for pl_f in "$@"; do
    pl_pid=${pl_f#/proc/}
    pl_pid=${pl_pid%%/*}
    case $pl_pids in *" $pl_pid "*) continue ;; esac
    [ "$pl_pid" != "$$" ] || continue
    pl_pids="$pl_pids$pl_pid "
  done
  for pl_pid in $pl_pids; do
    set -- /proc/"$pl_pid"/fd/*
    if [ -e "$1" ]; then pl_nfd=$#; else pl_nfd=0; fi
    printf '@C %s %s\n' "$pl_pid" "$pl_nfd"
    # Without grep, each candidate's words follow its own line (one tr each).
    pl_has grep || { tr '\000\n@' '\n\001\003' 2>/dev/null <"/proc/$pl_pid/cmdline"; printf '\n'; }
  done
  pl_has grep || return 0
  set --
  for pl_pid in $pl_pids; do set -- "$@" "/proc/$pl_pid/cmdline"; done
  [ $# -gt 0 ] || return 0
  # One grep prints every word of every candidate's argv (NUL-separated) prefixed with its file;
  # tr turns the NULs into newlines, and newline→\001, @→\003 so no word looks like a marker.
  printf '@c\n'
  grep -z -H -e '' -- "$@" 2>/dev/null | tr '\000\n@' '\n\001\003'
}
