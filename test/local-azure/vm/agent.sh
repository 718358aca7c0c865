#!/bin/sh
# The local VM agent, carried by test images as the Azure VM agent is carried by real ones. It speaks on the VM's
# second serial port (ttyS1): announces READY, then for "RUN <id>" reads a base64 script up to "END", runs it as
# root in the background, and answers "OUT <id>" and "ERR <id>" (base64, up to "END") and "EXIT <id> <code>";
# "KILL <id>" stops a running script (its exit code is then 137). An image without this file never gets ready.
PORT=/dev/ttyS1
WORK=/run/local-vm-agent
mkdir -p "$WORK"
stty -F "$PORT" raw -echo 2>/dev/null
exec 3<>"$PORT"
echo "READY" >&3
job=""
pid=""
while true; do
  if read -r -t 1 cmd id <&3; then
    case "$cmd" in
      RUN)
        : > "$WORK/$id.b64"
        while read -r line <&3; do
          [ "$line" = "END" ] && break
          echo "$line" >> "$WORK/$id.b64"
        done
        base64 -d "$WORK/$id.b64" > "$WORK/$id.sh"
        rm -f "$WORK/$id.code"
        ( sh "$WORK/$id.sh" > "$WORK/$id.out" 2> "$WORK/$id.err"; echo $? > "$WORK/$id.code.tmp"; mv "$WORK/$id.code.tmp" "$WORK/$id.code" ) &
        pid=$!
        job="$id"
        echo "STARTED $id" >&3
        ;;
      KILL)
        if [ "$id" = "$job" ] && [ -n "$pid" ]; then
          pkill -KILL -P "$pid" 2>/dev/null
          kill -KILL "$pid" 2>/dev/null
          echo 137 > "$WORK/$id.code"
        fi
        ;;
    esac
  fi
  if [ -n "$job" ] && [ -f "$WORK/$job.code" ]; then
    echo "OUT $job" >&3
    base64 "$WORK/$job.out" >&3
    echo "END" >&3
    echo "ERR $job" >&3
    base64 "$WORK/$job.err" >&3
    echo "END" >&3
    echo "EXIT $job $(cat "$WORK/$job.code")" >&3
    rm -f "$WORK/$job".*
    job=""
    pid=""
  fi
done
