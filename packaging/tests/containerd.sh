#!/usr/bin/env bash
# cinit under containerd, without Docker or Kubernetes: a private containerd
# (its own --root, --state and socket in a temporary directory; the CRI
# plugin off) runs the runtime image, saved by podman as an OCI archive and
# imported with ctr. Checks that:
#   - `ctr run --rm IMAGE ID /sbin/cinit -- CMD` runs cinit as PID 1 and the
#     command's exit status (0, 3, 143 for death by TERM) comes out of ctr;
#   - `ctr task kill -s TERM` stops the main and a background worker
#     gracefully: both get TERM and finish, and ctr run exits 0.
# Usage: containerd.sh PATH/TO/static-cinit. Exit 0 pass, 1 fail, 77 skip.
set -u
cinit=${1:-}
. "$(dirname "$0")/podman-common.sh"
[ -n "$cinit" ] && [ -x "$cinit" ] || skip "no static cinit given (pass the musl build's path)"
for c in containerd ctr containerd-shim-runc-v2 runc; do
  command -v "$c" >/dev/null || skip "$c is not installed (apt-get install containerd runc)"
done
build_runtime_image "$cinit"

C=$WORK/containerd
SOCK=$C/containerd.sock
NS=cinit-test-$$
mkdir -p "$C"
cat >"$C/config.toml" <<TOML
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
TOML
containerd --config "$C/config.toml" >"$C/containerd.log" 2>&1 &
CTD_PID=$!
# Stop what this test started: its tasks, its containerd, by pid.
stop_containerd() {
  local id
  for id in $(ctr -a "$SOCK" -n "$NS" tasks ls -q 2>/dev/null); do
    ctr -a "$SOCK" -n "$NS" tasks kill -s KILL "$id" >/dev/null 2>&1
  done
  for id in $(ctr -a "$SOCK" -n "$NS" containers ls -q 2>/dev/null); do
    ctr -a "$SOCK" -n "$NS" tasks delete "$id" >/dev/null 2>&1
    ctr -a "$SOCK" -n "$NS" containers delete "$id" >/dev/null 2>&1
  done
  kill "$CTD_PID" 2>/dev/null && wait "$CTD_PID" 2>/dev/null
  rmdir "/run/containerd/runc/$NS" 2>/dev/null  # runc's state for this namespace, empty by now
  cleanup
}
trap stop_containerd EXIT
ctr_() { ctr -a "$SOCK" -n "$NS" "$@"; }
for ((i = 0; i < 200; i++)); do
  ctr_ version >/dev/null 2>&1 && break
  kill -0 "$CTD_PID" 2>/dev/null || { tail -20 "$C/containerd.log" >&2; echo "FAIL: containerd exited" >&2; exit 1; }
  sleep 0.05
done
ctr_ version >/dev/null 2>&1 || { tail -20 "$C/containerd.log" >&2; echo "FAIL: containerd did not answer in 10 s" >&2; exit 1; }

note "podman save --format oci-archive | ctr images import"
podman save --format oci-archive -o "$C/image.tar" "$RUNTIME_IMAGE" >"$C/save.log" 2>&1 ||
  { cat "$C/save.log" >&2; echo "FAIL: podman save" >&2; exit 1; }
ctr_ images import "$C/image.tar" >"$C/import.log" 2>&1 ||
  { cat "$C/import.log" >&2; echo "FAIL: ctr images import" >&2; exit 1; }
ctr_ images ls -q | grep -qx "$RUNTIME_IMAGE" || fail "$RUNTIME_IMAGE is not in containerd after the import: $(ctr_ images ls -q)"

note "ctr run: PID 1 and exit status"
n=0
run_status() { # want, command...
  local want=$1; shift
  n=$((n + 1))
  ctr_ run --rm "$RUNTIME_IMAGE" "t$n-$$" /sbin/cinit -- "$@" >"$C/out" 2>&1
  local got=$?
  if [ "$got" = "$want" ]; then echo "ok: ctr run ... $* -> $got"; else
    fail "ctr run ... $* -> $got, want $want"; sed 's/^/    /' "$C/out" >&2
  fi
}
run_status 0 sh -c '[ "$(cat /proc/1/comm)" = cinit ]'
run_status 3 sh -c 'exit 3'
run_status 143 sh -c 'kill -TERM $$'

note "ctr task kill -s TERM: main and worker stop gracefully"
id=stop-$$
ctr_ run --rm "$RUNTIME_IMAGE" "$id" /sbin/cinit -- sh -c "$TWO_PROCS" >"$C/stop.out" 2>&1 &
RUN_PID=$!
for ((i = 0; i < 200; i++)); do
  grep -q main-ready "$C/stop.out" && grep -q worker-ready "$C/stop.out" && break
  sleep 0.05
done
grep -q worker-ready "$C/stop.out" || fail "main and worker did not start: $(cat "$C/stop.out")"
t0=$(now_ms)
ctr_ tasks kill -s TERM "$id" || fail "ctr task kill -s TERM failed"
# ctr run returns when the task has exited; 20 s is far past cinit's grace.
for ((i = 0; i < 400; i++)); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$RUN_PID" 2>/dev/null; then
  fail "the task did not exit within 20 s of TERM"
  ctr_ tasks kill -s KILL "$id" >/dev/null 2>&1
fi
wait "$RUN_PID"
code=$?
echo "TERM to exit took $(( $(now_ms) - t0 )) ms"
[ "$code" = 0 ] || fail "ctr run exited $code after TERM, want 0 (the main exits 0 on TERM)"
for w in main-term worker-term; do
  grep -q "$w" "$C/stop.out" && echo "ok: $w" || fail "no $w: the process was not stopped gracefully"
done
[ "$FAILED" = 0 ] || sed 's/^/    /' "$C/stop.out" >&2
finish
