# Shared by tests/bench/run and tests/bench/size-check. Source it; it defines
# functions only. Every message goes to stderr; functions that find a binary
# print its path on stdout.
#
# Environment:
#   CINIT_MUSL        a static musl cinit to use instead of building one
#   CINIT_GLIBC       a static glibc cinit to use instead of building one
#   CINIT_BENCH_DIR   where builds and results go (default: <repo>/build-bench)

bench_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench_root="$(cd "$bench_here/../.." && pwd)"
bench_dir="${CINIT_BENCH_DIR:-$bench_root/build-bench}"

bench_say() { printf '%s: %s\n' "${bench_prog:-bench}" "$*" >&2; }

# Installs Debian's tini (for tini-static), dumb-init and catatonit when they
# are missing and we are root. Never fails: a peer that cannot be had is left
# out of the table with a note.
bench_install_peers() {
    local missing=() pkg bin
    for pair in tini:/usr/bin/tini-static dumb-init:/usr/bin/dumb-init catatonit:/usr/bin/catatonit; do
        pkg="${pair%%:*}"
        bin="${pair#*:}"
        [[ -x "$bin" ]] || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
        bench_say "warning: missing ${missing[*]} and cannot apt-get install (not root or no apt): those columns are skipped"
        return 0
    fi
    bench_say "installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
        apt-get update -qq >&2 || true
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
            bench_say "warning: apt-get install ${missing[*]} failed: those columns are skipped"
    fi
}

# bench_cmake_build DIR LOG [CMAKE ARGS...]: configures and builds the cinit
# target; prints DIR/cinit.
bench_cmake_build() {
    local dir="$1" log="$2"
    shift 2
    mkdir -p "$(dirname "$log")"
    if cmake -S "$bench_root" -B "$dir" -DCINIT_TESTS=OFF -DCMAKE_BUILD_TYPE=Release "$@" >"$log" 2>&1 &&
        cmake --build "$dir" --target cinit -j "$(nproc)" >>"$log" 2>&1 && [[ -x "$dir/cinit" ]]; then
        printf '%s\n' "$dir/cinit"
        return 0
    fi
    bench_say "building cinit in $dir failed; last lines of $log:"
    tail -n 20 "$log" >&2
    return 1
}

# Prints the path of a static musl cinit: $CINIT_MUSL, or a fresh build in
# <repo>/build-bench-musl with packaging/musl-toolchain.cmake.
bench_cinit_musl() {
    if [[ -n "${CINIT_MUSL:-}" ]]; then
        [[ -x "$CINIT_MUSL" ]] || { bench_say "CINIT_MUSL=$CINIT_MUSL is not an executable file"; return 1; }
        printf '%s\n' "$CINIT_MUSL"
        return 0
    fi
    local tc="$bench_root/packaging/musl-toolchain.cmake"
    if [[ ! -f "$tc" ]]; then
        bench_say "no $tc: cannot build the static musl cinit (set CINIT_MUSL to use a prebuilt one)"
        return 1
    fi
    bench_say "building static musl cinit in $bench_root/build-bench-musl"
    bench_cmake_build "$bench_root/build-bench-musl" "$bench_dir/build-musl.log" -DCMAKE_TOOLCHAIN_FILE="$tc"
}

# Prints the path of a static glibc cinit: $CINIT_GLIBC, or a fresh default
# build in <repo>/build-bench-glibc.
bench_cinit_glibc() {
    if [[ -n "${CINIT_GLIBC:-}" ]]; then
        [[ -x "$CINIT_GLIBC" ]] || { bench_say "CINIT_GLIBC=$CINIT_GLIBC is not an executable file"; return 1; }
        printf '%s\n' "$CINIT_GLIBC"
        return 0
    fi
    bench_say "building static glibc cinit in $bench_root/build-bench-glibc"
    bench_cmake_build "$bench_root/build-bench-glibc" "$bench_dir/build-glibc.log"
}

# bench_stripped SRC DEST: copies SRC to DEST without symbols (what a package
# would ship); a file strip cannot handle is copied as it is.
bench_stripped() {
    mkdir -p "$(dirname "$2")"
    rm -f "$2"
    strip -o "$2" "$1" 2>/dev/null || cp "$1" "$2"
    chmod 755 "$2"
    printf '%s\n' "$2"
}

# bench_is_static FILE: true when FILE needs no dynamic loader and no shared
# library (static or static-pie).
bench_is_static() {
    local headers
    headers="$(readelf -lW "$1" 2>/dev/null)" || return 1
    ! grep -q 'INTERP' <<<"$headers" && ! readelf -dW "$1" 2>/dev/null | grep -q '(NEEDED)'
}
