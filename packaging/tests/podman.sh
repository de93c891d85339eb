#!/usr/bin/env bash
# Builds Dockerfile.example with podman, offline, and runs the image:
#   - the image's configuration (ENTRYPOINT, CMD, STOPSIGNAL, HEALTHCHECK)
#     and a final stage without build tools;
#   - the exit status of the command comes out of podman run;
#   - podman stop of the TERM-respecting default CMD takes well under the 10 s of `podman stop -t 10` (limit 5 s);
#   - podman kill --signal USR1 reaches the application;
#   - the image's size is reported.
# Exit 0 pass, 1 fail, 77 skip (not root, no podman, no debootstrap).
# The sidecar checks are in podman-sidecar.sh.

. "$(dirname "$0")/podman-common.sh"

# Generous: podman itself takes most of a second here, more under load; an
# init that ignored TERM would take the whole 10 s of `podman stop -t 10`.
STOP_LIMIT_MS=${CINIT_TEST_STOP_LIMIT_MS:-5000}

ensure_base_image
build_example_image

# --- the image's configuration ---------------------------------------------
note "image configuration"
ep=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$IMAGE")
[ "$ep" = '["/sbin/cinit","--"]' ] || fail "ENTRYPOINT is $ep, want [\"/sbin/cinit\",\"--\"]"
cmd=$(podman image inspect --format '{{json .Config.Cmd}}' "$IMAGE")
[ -n "$cmd" ] && [ "$cmd" != null ] && [ "$cmd" != '[]' ] || fail "no CMD"
sig=$(podman image inspect --format '{{.Config.StopSignal}}' "$IMAGE")
case $sig in SIGTERM | TERM | 15) ;; *) fail "STOPSIGNAL is '$sig', want SIGTERM" ;; esac
hc=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE")
case $hc in
  *'"/sbin/cinit","status","--live"'*) ;;
  *) fail "HEALTHCHECK is $hc, want one that runs /sbin/cinit status --live" ;;
esac
layers=$(podman image inspect --format '{{len .RootFS.Layers}}' "$IMAGE")
echo "layers: $layers"
# FROM scratch plus one COPY: a single layer, and nothing of the build stage.
[ "$layers" = 1 ] || fail "the final image has $layers layers, want 1 (FROM scratch + COPY)"
out=$(podman run --rm --no-healthcheck "${RUN_OPTS[@]}" "$IMAGE" \
  sh -c 'for f in /usr/bin/cc /usr/bin/g++ /usr/bin/cmake /usr/bin/apt-get /usr/lib /lib; do
           [ -e "$f" ] && echo "$f"; done; exit 0' 2>&1)
[ -z "$out" ] || fail "the final image holds build-stage files: $out"

# --- exit status -------------------------------------------------------------
note "exit status of the command"
check_status() { # want, command...
  local want=$1; shift
  podman run --rm --no-healthcheck "${RUN_OPTS[@]}" "$IMAGE" "$@" >"$WORK/out" 2>&1
  local got=$?
  if [ "$got" = "$want" ]; then
    echo "ok: podman run IMAGE $* -> $got"
  else
    fail "podman run IMAGE $* -> $got, want $want"
    sed 's/^/    /' "$WORK/out" >&2
  fi
}
check_status 0 true
check_status 3 sh -c 'exit 3'
check_status 1 false
check_status 143 sh -c 'kill -TERM $$'
check_status 127 /no/such/command

note "cinit is PID 1"
comm=$(podman run --rm --no-healthcheck "${RUN_OPTS[@]}" "$IMAGE" cat /proc/1/comm 2>&1)
[ "$comm" = cinit ] || fail "PID 1 is '$comm', want cinit"
podman run --rm --no-healthcheck "${RUN_OPTS[@]}" --entrypoint /sbin/cinit "$IMAGE" --version \
  >"$WORK/version" 2>&1 || fail "cinit --version in the image failed: $(cat "$WORK/version")"
echo "version: $(head -1 "$WORK/version")"

# --- the default CMD: USR1, then podman stop ----------------------------------
note "default CMD under podman run -d"
ctr=cinit-test-stop-$$
run_detached "$ctr" --no-healthcheck "$IMAGE" || fail "podman run -d failed"
wait_log "$ctr" 10 "demo: running" || fail "the default CMD did not start: $(podman logs "$ctr" 2>&1)"

podman kill --signal USR1 "$ctr" >/dev/null || fail "podman kill --signal USR1 failed"
if wait_log "$ctr" 5 "demo: got USR1"; then
  echo "ok: USR1 reached the application"
else
  fail "USR1 did not reach the application"
fi
state=$(podman inspect --format '{{.State.Status}}' "$ctr")
[ "$state" = running ] || fail "after USR1 the container is '$state', want running"

t0=$(now_ms)
stop_container "$ctr" || fail "podman stop failed"
stop_ms=$(( $(now_ms) - t0 ))
echo "podman stop took ${stop_ms} ms"
if [ "$stop_ms" -ge "$STOP_LIMIT_MS" ]; then
  # One more try on a fresh container, so that a load spike on the machine
  # does not fail the test; a slow shutdown is slow both times.
  echo "slower than ${STOP_LIMIT_MS} ms: trying once more"
  ctr2=cinit-test-stop2-$$
  run_detached "$ctr2" --no-healthcheck "$IMAGE" || fail "podman run -d failed"
  wait_log "$ctr2" 10 "demo: running" || fail "the default CMD did not start"
  t0=$(now_ms)
  stop_container "$ctr2" || fail "podman stop failed"
  stop_ms=$(( $(now_ms) - t0 ))
  echo "podman stop took ${stop_ms} ms"
  [ "$stop_ms" -lt "$STOP_LIMIT_MS" ] || fail "podman stop took ${stop_ms} ms, want < ${STOP_LIMIT_MS} ms"
fi
code=$(podman inspect --format '{{.State.ExitCode}}' "$ctr")
[ "$code" = 0 ] || fail "exit code after podman stop is $code, want 0 (the app exits 0 on TERM)"
podman logs "$ctr" 2>&1 | grep -q "demo: got TERM" || fail "TERM did not reach the application"
if [ "$FAILED" != 0 ]; then
  echo "container log:" >&2
  podman logs "$ctr" 2>&1 | sed 's/^/    /' >&2
fi

# --- size --------------------------------------------------------------------
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
bin_size=$(podman run --rm --no-healthcheck "${RUN_OPTS[@]}" "$IMAGE" wc -c /sbin/cinit 2>/dev/null | awk '{print $1}')
echo "image size: $size bytes ($(( (size + 1023) / 1024 )) KiB); /sbin/cinit: ${bin_size:-?} bytes"

finish
