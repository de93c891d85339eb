# Shared by podman.sh and podman-sidecar.sh; sourced, not run.
#
# Provides: skip, fail, note, the podman wrapper "pm", run options RUN_OPTS,
# ensure_base_image (a Debian bookworm minbase made with debootstrap and
# imported into local storage, since no registry can be reached), and
# build_example_image (podman build of Dockerfile.example from a clean copy
# of the source tree), build_runtime_image (busybox + a given cinit, FROM
# scratch, by podman import).
#
# Environment knobs:
#   CINIT_TEST_CACHE       where the debootstrap tarball is kept (/var/cache/cinit-test)
#   CINIT_TEST_MIRROR      Debian mirror for debootstrap (http://deb.debian.org/debian)
#   CINIT_TEST_BASE_IMAGE  local name of the base image (localhost/debian:bookworm-slim)
#   CINIT_TEST_IMAGE       tag of the built example image (localhost/cinit-example:test)
#   CINIT_TEST_RUNTIME     OCI runtime for podman (runc if installed)

set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; FAILED=1; }
note() { echo "--- $*"; }
FAILED=0

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE_DIR=${CINIT_TEST_CACHE:-/var/cache/cinit-test}
MIRROR=${CINIT_TEST_MIRROR:-http://deb.debian.org/debian}
BASE_IMAGE=${CINIT_TEST_BASE_IMAGE:-localhost/debian:bookworm-slim}
IMAGE=${CINIT_TEST_IMAGE:-localhost/cinit-example:test}

[ "$(id -u)" = 0 ] || skip "needs root (podman with the host's storage, debootstrap)"
command -v podman >/dev/null || skip "podman is not installed (apt-get install podman runc)"

if [ -n "${CINIT_TEST_RUNTIME:-}" ]; then
  RUNTIME=$CINIT_TEST_RUNTIME
elif command -v runc >/dev/null; then
  RUNTIME=runc # crun fails on hosts with hybrid cgroups; runc works on both
else
  RUNTIME=
fi

pm() { podman "$@"; }

# Options for every podman run/build: explicit ulimits, because the runtime
# may not raise them past the host's hard limits.
RUN_OPTS=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
[ -n "$RUNTIME" ] && RUN_OPTS+=(--runtime "$RUNTIME")

WORK=$(mktemp -d /tmp/cinit-podman-test.XXXXXX)
CONTAINERS=()
cleanup() {
  local c
  for c in "${CONTAINERS[@]}"; do
    podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Milliseconds since the epoch.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

ensure_base_image() {
  if podman image exists "$BASE_IMAGE"; then
    note "base image $BASE_IMAGE is in local storage"
    return 0
  fi
  local tarball=$CACHE_DIR/debian-bookworm-minbase.tar
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null ||
      skip "$BASE_IMAGE is missing and debootstrap is not installed (apt-get install debootstrap)"
    note "debootstrap bookworm from $MIRROR (once; cached in $tarball)"
    mkdir -p "$CACHE_DIR"
    local root=$WORK/rootfs
    if ! debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
      tail -20 "$WORK/debootstrap.log" >&2
      echo "FAIL: debootstrap failed" >&2
      exit 1
    fi
    # Like the official slim image: no package lists, no apt caches.
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
           "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
    tar --numeric-owner -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball" ||
      { echo "FAIL: could not write $tarball" >&2; exit 1; }
    rm -rf "$root"
  fi
  note "importing $tarball as $BASE_IMAGE"
  podman import --change 'CMD ["/bin/bash"]' "$tarball" "$BASE_IMAGE" >"$WORK/import.log" 2>&1 ||
    { cat "$WORK/import.log" >&2; echo "FAIL: podman import" >&2; exit 1; }
}

# Builds Dockerfile.example into $IMAGE. The context is a copy of the source
# tree without build directories and .git, as a user's fresh checkout would
# be. The layer cache makes repeated builds quick.
build_example_image() {
  local ctx=$WORK/context
  mkdir -p "$ctx"
  tar -C "$SRC_DIR" --exclude='./build*' --exclude=./.git --exclude=./.cache -cf - . |
    tar -C "$ctx" -xf -
  note "podman build -f Dockerfile.example (BASE=$BASE_IMAGE)"
  local t0; t0=$(now_ms)
  # --network host: the build stage installs Debian packages.
  # --format docker: keeps HEALTHCHECK, which the OCI format cannot hold.
  # --pull=never: the base exists only in local storage.
  if ! podman build "${RUN_OPTS[@]}" --network host --pull=never --format docker \
      --build-arg "BASE=$BASE_IMAGE" -f "$ctx/Dockerfile.example" -t "$IMAGE" \
      "$ctx" >"$WORK/build.log" 2>&1; then
    tail -40 "$WORK/build.log" >&2
    echo "FAIL: podman build of Dockerfile.example failed" >&2
    exit 1
  fi
  note "built $IMAGE in $(( $(now_ms) - t0 )) ms"
}

# A FROM scratch image of a static busybox (sh, sleep, cat as links) and the
# given static cinit as /sbin/cinit, made with podman import (no build, under
# a second): RUNTIME_IMAGE, shared by podman-init.sh and containerd.sh.
RUNTIME_IMAGE=localhost/cinit-runtimes:test
build_runtime_image() { # static-cinit
  local busybox root=$WORK/runtime-rootfs a
  busybox=$(command -v busybox || true)
  [ -n "$busybox" ] && ! readelf -lW "$busybox" 2>/dev/null | grep -q INTERP ||
    skip "no static busybox (apt-get install busybox-static)"
  readelf -lW "$1" 2>/dev/null | grep -q INTERP && skip "$1 is not static (pass the musl build)"
  mkdir -p "$root"/bin "$root"/sbin "$root"/proc "$root"/dev "$root"/sys "$root"/tmp "$root"/etc "$root"/run
  cp "$busybox" "$root/bin/busybox"
  for a in sh sleep cat tr echo true; do ln -s busybox "$root/bin/$a"; done
  cp "$1" "$root/sbin/cinit"
  tar --numeric-owner -C "$root" -cf - . | podman import - "$RUNTIME_IMAGE" >"$WORK/import.log" 2>&1 ||
    { cat "$WORK/import.log" >&2; echo "FAIL: podman import of the runtime image" >&2; exit 1; }
}

# The main and a background worker of the runtime tests: each traps TERM,
# says so and exits 0; both say when they are ready. Run as sh -c "$TWO_PROCS".
TWO_PROCS='sh -c "trap \"echo worker-term; exit 0\" TERM; echo worker-ready; while :; do sleep 0.1; done" &
trap "echo main-term; exit 0" TERM; echo main-ready; while :; do sleep 0.1; done'

# Waits up to $2 seconds (default 10) for container $1's log to contain $3.
wait_log() {
  local ctr=$1 secs=$2 pattern=$3 i
  for ((i = 0; i < secs * 20; i++)); do
    podman logs "$ctr" 2>&1 | grep -q -- "$pattern" && return 0
    sleep 0.05
  done
  return 1
}

# Runs a container detached with the common options; records it for cleanup.
run_detached() {
  local name=$1; shift
  CONTAINERS+=("$name")
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  # stderr aside: without systemd, podman logs errors about healthcheck
  # timers that do not matter here.
  podman run -d --name "$name" "${RUN_OPTS[@]}" "$@" >/dev/null 2>"$WORK/run-$name.err" ||
    { cat "$WORK/run-$name.err" >&2; return 1; }
}

# podman stop with stderr kept aside, as for run_detached.
stop_container() {
  podman stop -t 10 "$1" >/dev/null 2>"$WORK/stop-$1.err" ||
    { cat "$WORK/stop-$1.err" >&2; return 1; }
}

finish() {
  if [ "$FAILED" = 0 ]; then
    echo "PASS: $(basename "$0")"
    exit 0
  fi
  echo "FAILED: $(basename "$0")" >&2
  exit 1
}
