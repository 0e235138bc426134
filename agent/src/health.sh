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

