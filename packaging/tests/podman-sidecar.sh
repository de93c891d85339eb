#!/usr/bin/env bash
# Sidecars in the image of Dockerfile.example (SPEC §4-§6):
#   - a sidecar declared with CINIT_SIDECAR_1 runs beside the application;
#   - cinit status / status --ready / status --live work inside the container,
#     and so does the image's HEALTHCHECK (podman healthcheck run);
#   - podman stop takes well under the 10 s of `podman stop -t 10` (limit 5 s), and the sidecar is stopped only
#     after the application has exited;
#   - the container's exit status is the application's.
# Exit 0 pass, 1 fail, 77 skip (not root, no podman, no debootstrap).

. "$(dirname "$0")/podman-common.sh"

# Generous: podman itself takes most of a second here, more under load; an
# init that ignored TERM would take the whole 10 s of `podman stop -t 10`.
STOP_LIMIT_MS=${CINIT_TEST_STOP_LIMIT_MS:-5000}

ensure_base_image
build_example_image

# Both processes append to /shared/events, so the order of the lines is the
# order of the events. The application takes 100 ms to exit after TERM; a
# sidecar stopped too early would log its TERM before "app: exit".
sidecar="side ready=file:/tmp/side.ready -- sh -c 'trap \"echo side: TERM >>/shared/events; exit 0\" TERM; echo side: up >>/shared/events; touch /tmp/side.ready; while :; do sleep 3600 & wait \$!; done'"
app='trap "echo app: TERM >>/shared/events; sleep 0.1; echo app: exit >>/shared/events; exit 0" TERM
echo app: up >>/shared/events
while :; do sleep 3600 & wait $!; kill $! 2>/dev/null; done'

# start_pair NAME DIR: runs the application with the sidecar in container
# NAME, with DIR as /shared, and waits until the application has started.
start_pair() {
  local name=$1 dir=$2 i
  mkdir -p "$dir" && chmod 0777 "$dir"
  # --health-interval disable: no timer (podman wants systemd for one); the
  # check is run by hand below.
  run_detached "$name" --health-interval disable -v "$dir:/shared" \
    -e "CINIT_SIDECAR_1=$sidecar" "$IMAGE" sh -c "$app" || return 1
  for ((i = 0; i < 200; i++)); do
    grep -q "app: up" "$dir/events" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

note "podman run -d with CINIT_SIDECAR_1"
ctr=cinit-test-sidecar-$$
shared=$WORK/shared
if start_pair "$ctr" "$shared"; then
  echo "ok: application started"
else
  fail "the application did not start"
fi
grep -q "side: up" "$shared/events" 2>/dev/null || fail "the sidecar did not start before the application"

note "cinit status inside the container"
podman exec "$ctr" /sbin/cinit status >"$WORK/status" 2>&1 || fail "cinit status exited $?"
sed 's/^/    /' "$WORK/status"
grep -q side "$WORK/status" || fail "cinit status does not list the sidecar 'side'"
ready=1
for ((i = 0; i < 100; i++)); do
  podman exec "$ctr" /sbin/cinit status --ready >/dev/null 2>&1 && { ready=0; break; }
  sleep 0.05
done
[ "$ready" = 0 ] || fail "cinit status --ready did not succeed within 5s"
podman exec "$ctr" /sbin/cinit status --live >/dev/null 2>&1 || fail "cinit status --live failed"
podman exec "$ctr" /sbin/cinit status --ready side >/dev/null 2>&1 || fail "cinit status --ready side failed"
if podman healthcheck run "$ctr" >"$WORK/health" 2>&1; then
  echo "ok: HEALTHCHECK (cinit status --live) passes"
else
  fail "podman healthcheck run: $(cat "$WORK/health")"
fi

note "podman stop"
t0=$(now_ms)
stop_container "$ctr" || fail "podman stop failed"
stop_ms=$(( $(now_ms) - t0 ))
echo "podman stop took ${stop_ms} ms"
if [ "$stop_ms" -ge "$STOP_LIMIT_MS" ]; then
  # One more try on a fresh pair, so that a load spike on the machine does
  # not fail the test; a slow shutdown is slow both times.
  echo "slower than ${STOP_LIMIT_MS} ms: trying once more"
  ctr2=cinit-test-sidecar2-$$
  start_pair "$ctr2" "$WORK/shared2" || fail "the application did not start"
  t0=$(now_ms)
  stop_container "$ctr2" || fail "podman stop failed"
  stop_ms=$(( $(now_ms) - t0 ))
  echo "podman stop took ${stop_ms} ms"
  [ "$stop_ms" -lt "$STOP_LIMIT_MS" ] || fail "podman stop took ${stop_ms} ms, want < ${STOP_LIMIT_MS} ms"
fi
code=$(podman inspect --format '{{.State.ExitCode}}' "$ctr")
[ "$code" = 0 ] || fail "exit code is $code, want the application's 0"

echo "events:"
sed 's/^/    /' "$shared/events"
order=$(grep -E '^(app: exit|side: TERM)$' "$shared/events" | tr '\n' ',')
[ "$order" = "app: exit,side: TERM," ] ||
  fail "want 'app: exit' and then 'side: TERM' in the events, got '$order'"

if [ "$FAILED" != 0 ]; then
  echo "container log:" >&2
  podman logs "$ctr" 2>&1 | sed 's/^/    /' >&2
fi

finish
