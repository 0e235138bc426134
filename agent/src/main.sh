# ---- dispatch on the mode word (checked in options.sh) ------------------------------------------
# The capture's text (dist/plumbline-agent-capture.sh) holds capture mode only.
if [ "$PL_MODE" != capture ] && ! command -v pl_stream >/dev/null 2>&1; then
  pl_err "this agent text holds capture mode only; send dist/plumbline-agent.sh for $PL_MODE"
  exit 2
fi
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
