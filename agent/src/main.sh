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
