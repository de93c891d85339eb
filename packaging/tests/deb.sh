#!/usr/bin/env bash
# Builds cinit with the static musl toolchain, makes the packages with
# cpack -G DEB and cpack -G TGZ, and checks them:
#   - the .deb's metadata (name, version, architecture, maintainer,
#     description, section, priority, no dependencies) and its files
#     (/sbin/cinit, static and musl; /usr/share/man/man1/cinit.1.gz);
#   - dpkg -i into a throw-away root (dpkg --root), then /sbin/cinit
#     --version there (also chrooted: the root holds nothing else) and a
#     real command under it, the man page, and dpkg -r;
#   - the .tar.gz holds the same layout and its cinit runs.
# Usage: deb.sh [BUILD_DIR]   (default: a temporary directory; given one is
#        reused, so repeated runs build incrementally)
# Environment: CINIT_DEB_TOOLCHAIN=FILE|none (default packaging/musl-toolchain.cmake)
# Exit 0 pass, 1 fail, 77 skip (no cmake/dpkg, or not root for dpkg -i).
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
die() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }

for tool in cmake cpack dpkg dpkg-deb gzip tar readelf; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

work=$(mktemp -d /tmp/cinit-deb-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
build=${1:-$work/build}

toolchain=${CINIT_DEB_TOOLCHAIN:-$src/packaging/musl-toolchain.cmake}
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DCINIT_TESTS=OFF)
expect_musl=0
if [ "$toolchain" != none ] && [ -f "$toolchain" ]; then
  cmake_args+=("-DCMAKE_TOOLCHAIN_FILE=$toolchain")
  expect_musl=1
else
  echo "WARNING: no musl toolchain file ($toolchain): building with the default compiler"
fi

version=$(sed -nE 's/^project\(cinit VERSION ([0-9][0-9.]*).*/\1/p' "$src/CMakeLists.txt")
[ -n "$version" ] || die "cannot read the version from CMakeLists.txt"
arch=$(dpkg --print-architecture)

# --- build and package -------------------------------------------------------------
note "configure and build in $build"
cmake -S "$src" -B "$build" "${cmake_args[@]}" >"$work/configure.log" 2>&1 ||
  { grep -iE 'error|fatal' "$work/configure.log" | head -20 >&2; tail -15 "$work/configure.log" >&2
    die "cmake configure failed"; }
cmake --build "$build" --parallel "$(nproc)" >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log" >&2; die "cmake --build failed"; }
rm -f "$build"/cinit_*.deb "$build"/cinit-*.tar.gz
for g in DEB TGZ; do
  (cd "$build" && cpack -G "$g") >"$work/cpack-$g.log" 2>&1 ||
    { tail -30 "$work/cpack-$g.log" >&2; die "cpack -G $g failed"; }
done
deb=$build/cinit_${version}_${arch}.deb
[ -f "$deb" ] || die "no $deb; cpack made: $(ls "$build"/*.deb 2>/dev/null)"
tgz=$(ls "$build"/cinit-"$version"-*.tar.gz 2>/dev/null | head -1)
[ -n "$tgz" ] || die "no cinit-$version-*.tar.gz in $build"
echo "made $(basename "$deb") ($(stat -c %s "$deb") bytes), $(basename "$tgz") ($(stat -c %s "$tgz") bytes)"

# --- .deb metadata --------------------------------------------------------------
note "metadata"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = cinit ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', want $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)', want $arch"
[[ "$(field Maintainer)" =~ ^[^\<]+\ \<[^@\>]+@[^\>]+\>$ ]] ||
  fail "Maintainer '$(field Maintainer)' is not 'Name <address>'"
[ -n "$(field Description)" ] || fail "no Description"
[ "$(dpkg-deb -f "$deb" Description | wc -l)" -ge 3 ] || fail "Description has no long part"
[ "$(field Section)" = admin ] || fail "Section is '$(field Section)', want admin"
[ "$(field Priority)" = optional ] || fail "Priority is '$(field Priority)', want optional"
[ -n "$(field Installed-Size)" ] || fail "no Installed-Size"
[ -z "$(field Depends)" ] || fail "a static binary needs no Depends, got '$(field Depends)'"
dpkg-deb -f "$deb" | sed 's/^/    /'

note "files"
dpkg-deb -c "$deb" >"$work/contents"
sed 's/^/    /' "$work/contents"
grep -Eq '^-rwxr-xr-x root/root .* \./sbin/cinit$' "$work/contents" ||
  fail "no ./sbin/cinit, mode 0755, owned by root"
grep -Eq '^-rw-r--r-- root/root .* \./usr/share/man/man1/cinit\.1\.gz$' "$work/contents" ||
  fail "no ./usr/share/man/man1/cinit.1.gz, mode 0644, owned by root"
unexpected=$(awk '$1 !~ /^d/ {print $NF}' "$work/contents" |
  grep -Ev '^\./(sbin/cinit|usr/share/man/man1/cinit\.1\.gz|usr/share/doc/cinit/.*)$')
[ -z "$unexpected" ] || fail "unexpected files in the .deb: $unexpected"

# --- the binary: static (and musl) ------------------------------------------------
note "binary"
dpkg-deb -x "$deb" "$work/x"
bin=$work/x/sbin/cinit
if readelf -l "$bin" | grep -q INTERP; then fail "/sbin/cinit has a program interpreter: not static"; fi
if readelf -d "$bin" 2>/dev/null | grep -q NEEDED; then fail "/sbin/cinit needs shared libraries"; fi
if [ "$expect_musl" = 1 ]; then
  # glibc leaves its name in a static binary (messages, .note.ABI-tag); musl does not.
  if LC_ALL=C grep -aq -e glibc -e GLIBC "$bin" || readelf -n "$bin" | grep -q NT_GNU_ABI_TAG; then
    fail "/sbin/cinit is linked against glibc, not musl"
  else
    echo "ok: static, musl"
  fi
fi
echo "/sbin/cinit: $(stat -c %s "$bin") bytes"

# --- dpkg -i into a throw-away root ---------------------------------------------------
if [ "$(id -u)" != 0 ]; then
  [ "$failed" = 0 ] || { echo "FAILED: deb.sh" >&2; exit 1; }
  echo "SKIP: not root: dpkg -i into a throw-away root and chroot need root"
  exit 77
fi
note "dpkg --root=ROOT -i"
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
: >"$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
if dpkg --root="$root" --log=/dev/null -i "$deb" >"$work/dpkg.log" 2>&1; then
  echo "ok: installed"
else
  sed 's/^/    /' "$work/dpkg.log" >&2
  die "dpkg -i into $root failed"
fi
st=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status} ${Version}' cinit 2>&1)
[ "$st" = "install ok installed $version" ] || fail "dpkg-query says '$st'"
[ -x "$root/sbin/cinit" ] || die "the package did not install /sbin/cinit"
[ -f "$root/usr/share/man/man1/cinit.1.gz" ] || fail "the package did not install the man page"

out=$("$root/sbin/cinit" --version 2>&1) || fail "/sbin/cinit --version exited $?"
[[ "$out" == *"$version"* ]] || fail "/sbin/cinit --version says '$out', want $version in it"
echo "version: $out"
# The root holds only the package: this runs only if the binary is static.
out=$(chroot "$root" /sbin/cinit --version 2>&1) || fail "chroot ROOT /sbin/cinit --version failed: $out"

out=$("$root/sbin/cinit" -- sh -c 'echo hello from $0; exit 3' child 2>&1)
rc=$?
[ "$rc" = 3 ] || fail "/sbin/cinit -- sh -c 'exit 3' exited $rc, want 3"
[ "$out" = "hello from child" ] || fail "the command printed '$out'"
"$root/sbin/cinit" true || fail "/sbin/cinit true exited $?"
"$root/sbin/cinit" -- /no/such/program 2>/dev/null
rc=$?
[ "$rc" = 127 ] || fail "/sbin/cinit -- /no/such/program exited $rc, want 127"
[ "$failed" = 0 ] && echo "ok: /sbin/cinit runs commands and passes their status on"

if command -v groff >/dev/null; then
  w=$(gzip -dc "$root/usr/share/man/man1/cinit.1.gz" | groff -ww -z -man 2>&1)
  [ -z "$w" ] || fail "the installed man page has groff warnings: $w"
fi

dpkg --root="$root" --log=/dev/null -r cinit >"$work/dpkg-r.log" 2>&1 || fail "dpkg -r failed: $(cat "$work/dpkg-r.log")"
[ ! -e "$root/sbin/cinit" ] || fail "dpkg -r left /sbin/cinit behind"
[ ! -e "$root/usr/share/man/man1/cinit.1.gz" ] || fail "dpkg -r left the man page behind"

# --- the .tar.gz ----------------------------------------------------------------------
note "tar.gz"
tar -tzf "$tgz" >"$work/tgz-contents" || fail "cannot list $tgz"
top=$(basename "$tgz" .tar.gz)
grep -qx "$top/sbin/cinit" "$work/tgz-contents" || fail "$top/sbin/cinit is not in the tar.gz"
grep -qx "$top/usr/share/man/man1/cinit.1.gz" "$work/tgz-contents" || fail "the man page is not in the tar.gz"
mkdir -p "$work/t" && tar -C "$work/t" -xzf "$tgz"
out=$("$work/t/$top/sbin/cinit" --version 2>&1) || fail "cinit from the tar.gz: --version exited $?"
cmp -s "$work/t/$top/sbin/cinit" "$bin" || fail "the tar.gz and the .deb hold different binaries"

if [ "$failed" = 0 ]; then
  echo "PASS: deb.sh"
  exit 0
fi
echo "FAILED: deb.sh" >&2
exit 1
