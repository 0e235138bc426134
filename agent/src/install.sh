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

