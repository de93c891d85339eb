#!/usr/bin/env bash
# cinit as podman's --init (SPEC §1: docker/podman --init pass no flags):
#   podman run --init --init-path CINIT IMAGE CMD...
# podman bind-mounts CINIT at /run/podman-init and runs it as PID 1 as
# `/run/podman-init -- CMD...`. Checks that:
#   - that is indeed how it runs (PID 1's command line), and the command's
#     exit status (0, 3, 5, 143 for death by TERM, 127) comes out of podman run;
#   - a peer variable given with -e reaches cinit (DUMB_INIT_DEBUG=1: -v);
#   - podman stop (TERM) stops the main and a background worker gracefully:
#     both get TERM and finish, exit status 0, well before podman's SIGKILL.
# The image is FROM scratch with busybox only (podman import, no build).
# Usage: podman-init.sh PATH/TO/static-cinit. Exit 0 pass, 1 fail, 77 skip.
set -u
cinit=${1:-}
. "$(dirname "$0")/podman-common.sh"
[ -n "$cinit" ] && [ -x "$cinit" ] || skip "no static cinit given (pass the musl build's path)"
build_runtime_image "$cinit"
INIT=(--init --init-path "$cinit")

note "podman run --init --init-path: PID 1 and exit status"
line=$(podman run --rm "${RUN_OPTS[@]}" "${INIT[@]}" "$RUNTIME_IMAGE" sh -c 'tr "\0" " " </proc/1/cmdline' 2>&1)
got=$?
case $line in
  "/run/podman-init -- sh -c "*) echo "ok: PID 1 is: $line" ;;
  *) fail "PID 1's command line is '$line', want /run/podman-init -- sh -c ..." ;;
esac
[ "$got" = 0 ] || fail "exit status $got, want 0"
for want in 3 143 127; do
  case $want in
    143) cmd=(sh -c 'kill -TERM $$') ;;
    127) cmd=(/no/such/command) ;;
    *) cmd=(sh -c "exit $want") ;;
  esac
  podman run --rm "${RUN_OPTS[@]}" "${INIT[@]}" "$RUNTIME_IMAGE" "${cmd[@]}" >"$WORK/out" 2>&1
  got=$?
  if [ "$got" = "$want" ]; then echo "ok: ${cmd[*]} -> $got"; else
    fail "${cmd[*]} -> $got, want $want"; sed 's/^/    /' "$WORK/out" >&2
  fi
done

note "a peer variable through podman run -e"
out=$(podman run --rm "${RUN_OPTS[@]}" "${INIT[@]}" -e DUMB_INIT_DEBUG=1 "$RUNTIME_IMAGE" sh -c 'exit 5' 2>&1)
got=$?
[ "$got" = 5 ] || fail "exit status $got, want 5"
case $out in
  *"cinit: main exited with status 5"*) echo "ok: DUMB_INIT_DEBUG=1 turned on -v" ;;
  *) fail "DUMB_INIT_DEBUG=1 printed no lifecycle line: $out" ;;
esac

note "podman stop: main and worker stop gracefully"
ctr=cinit-test-init-$$
run_detached "$ctr" "${INIT[@]}" "$RUNTIME_IMAGE" sh -c "$TWO_PROCS" || fail "podman run -d failed"
wait_log "$ctr" 10 main-ready && wait_log "$ctr" 10 worker-ready ||
  fail "main and worker did not start: $(podman logs "$ctr" 2>&1)"
t0=$(now_ms)
stop_container "$ctr" || fail "podman stop failed"
echo "podman stop took $(( $(now_ms) - t0 )) ms"
code=$(podman inspect --format '{{.State.ExitCode}}' "$ctr")
[ "$code" = 0 ] || fail "exit code after podman stop is $code, want 0 (the main exits 0 on TERM)"
log=$(podman logs "$ctr" 2>&1)
for w in main-term worker-term; do
  case $log in *"$w"*) echo "ok: $w" ;; *) fail "no $w: the process was not stopped gracefully" ;; esac
done
[ "$FAILED" = 0 ] || printf '%s\n' "$log" | sed 's/^/    /' >&2
finish
