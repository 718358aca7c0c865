#!/bin/sh
# The local VM agent, carried by test images as the Azure VM agent is carried by real ones. It speaks on the VM's
# second serial port (ttyS1): announces READY, then for "RUN <id>" reads a base64 script up to "END", runs it as
# root in the background, and answers "OUT <id>" and "ERR <id>" (base64, up to "END") and "EXIT <id> <code>";
# "KILL <id>" stops a running script (its exit code is then 137). An image without this file never gets ready.
#
# Commands are read with a plain blocking read, and nothing the agent starts is its own child: busybox's read
# throws away a half-received line when its time runs out (read -t) and when a child of the shell ends (SIGCHLD
# restarts it), and the "RUN" it held was then never run. Each script's runner is started detached (it belongs to
# init) and reports the script's end itself.
PORT=/dev/ttyS1
WORK=/run/local-vm-agent
mkdir -p "$WORK"
stty -F "$PORT" raw -echo 2>/dev/null
exec 3<>"$PORT"
echo "READY" >&3

report() {
  id=$1
  echo "OUT $id" >&3
  base64 "$WORK/$id.out" >&3
  echo "END" >&3
  echo "ERR $id" >&3
  base64 "$WORK/$id.err" >&3
  echo "END" >&3
  echo "EXIT $id $2" >&3
  rm -f "$WORK/$id".*
}

# Stops a script and everything it started: each script runs in a session (and process group) of its own. Killing
# the process as well covers a KILL that comes before the script's setsid made the group. Its runner then sees it
# end with 137 (SIGKILL) and reports as usual.
stop_script() {
  kill -KILL -"$1" 2>/dev/null
  kill -KILL "$1" 2>/dev/null
}

while true; do
  read -r cmd id <&3 || continue
  case "$cmd" in
    RUN)
      : > "$WORK/$id.b64"
      while read -r line <&3; do
        [ "$line" = "END" ] && break
        echo "$line" >> "$WORK/$id.b64"
      done
      base64 -d "$WORK/$id.b64" > "$WORK/$id.sh"
      echo "STARTED $id" >&3
      ( (
        : > "$WORK/$id.out"
        : > "$WORK/$id.err"
        setsid sh "$WORK/$id.sh" > "$WORK/$id.out" 2> "$WORK/$id.err" &
        script=$!
        echo "$script" > "$WORK/$id.pid"
        # A KILL that came before the pid was written left its mark.
        [ -f "$WORK/$id.kill" ] && stop_script "$script"
        wait "$script"
        report "$id" $?
      ) & )
      ;;
    KILL)
      # The mark first, then the pid: whichever of this and the runner comes second stops the script.
      [ -f "$WORK/$id.sh" ] && : > "$WORK/$id.kill"
      pid=$(cat "$WORK/$id.pid" 2>/dev/null)
      [ -n "$pid" ] && stop_script "$pid"
      ;;
  esac
done
