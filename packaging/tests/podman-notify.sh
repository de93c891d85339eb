#!/usr/bin/env bash
# cinit's upward sd_notify under `podman run --sdnotify=container`, for real:
# a FROM scratch image holding only a static cinit (the entrypoint) and a
# static busybox (podman-common.sh's build_runtime_image). podman is given a NOTIFY_SOCKET that this test owns, as
# systemd (or a Quadlet unit with Notify=true) would give it; with
# --sdnotify=container, conmon hands the container a socket and forwards what
# cinit sends there.
#
# The container has a sidecar that becomes ready only once the file /gate
# exists (ready=file:/gate). The test checks that:
#   - while the gate is closed, the container runs and podman's socket has
#     received no READY=1 (cinit waits for the sidecar);
#   - once `podman exec ... touch /gate` opens it, READY=1 arrives, and
#     `cinit status --ready` then agrees.
# It fails if cinit never sends READY=1 upward, or sends it too early.
#
# Usage: podman-notify.sh PATH/TO/static-cinit   (the musl release build)
# Exit 0 pass, 1 fail, 77 skip.
set -u
cinit=${1:-}
. "$(dirname "$0")/podman-common.sh"

[ -n "$cinit" ] && [ -x "$cinit" ] || skip "no static cinit given (pass the musl build's path)"
command -v python3 >/dev/null || skip "python3 is needed for the test's notify socket"
note "FROM scratch image: busybox + $cinit"
build_runtime_image "$cinit"

# The service manager's end: one line per datagram, in $WORK/notify.log.
sock=$WORK/notify.sock
log=$WORK/notify.log
: >"$log"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".bound", "w").close()
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode(errors="replace").replace("\n", " ") + "\n")
' "$sock" "$log" &
listener=$!
trap 'kill $listener 2>/dev/null; cleanup' EXIT
for ((i = 0; i < 100; i++)); do [ -e "$sock.bound" ] && break; sleep 0.05; done
[ -e "$sock.bound" ] || { echo "FAIL: the test's notify socket did not come up" >&2; exit 1; }

name=cinit-notify-test
CONTAINERS+=("$name")
podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
note "podman run -d --sdnotify=container, NOTIFY_SOCKET=$sock"
NOTIFY_SOCKET=$sock podman run -d --name "$name" "${RUN_OPTS[@]}" --sdnotify=container \
  --entrypoint '["/sbin/cinit"]' "$RUNTIME_IMAGE" \
  --sidecar 'gate ready=file:/gate -- /bin/busybox sleep 1000' -- /bin/busybox sleep 1000 \
  >/dev/null 2>"$WORK/run.err" || { cat "$WORK/run.err" >&2; echo "FAIL: podman run" >&2; exit 1; }

# The gate is closed: cinit must be running, not ready, and silent upward.
gate_seen=0
for ((i = 0; i < 200; i++)); do
  if podman exec "$name" /sbin/cinit status 2>/dev/null | grep -q '^gate sidecar starting'; then
    gate_seen=1
    break
  fi
  sleep 0.05
done
[ "$gate_seen" = 1 ] || fail "the gate sidecar never showed as starting: $(podman logs "$name" 2>&1 | tail -5)"
podman exec "$name" /sbin/cinit status --ready >/dev/null 2>&1 && fail "cinit status --ready says ready before the gate"
grep -q '^READY=1' "$log" && fail "READY=1 arrived while a sidecar was not ready: $(cat "$log")"

note "opening the gate"
podman exec "$name" /bin/busybox touch /gate || fail "podman exec touch /gate"
ready=0
for ((i = 0; i < 400; i++)); do
  grep -q '^READY=1' "$log" && { ready=1; break; }
  sleep 0.05
done
[ "$ready" = 1 ] || fail "no READY=1 on podman's NOTIFY_SOCKET within 20 s of the gate opening; got: $(cat "$log")"
podman exec "$name" /sbin/cinit status --ready >/dev/null 2>&1 ||
  fail "READY=1 arrived but cinit status --ready disagrees"
[ "$(grep -c '^READY=1' "$log")" = 1 ] || fail "READY=1 more than once: $(cat "$log")"
note "datagrams podman forwarded: $(tr '\n' '|' <"$log")"
stop_container "$name" || fail "podman stop"
finish
