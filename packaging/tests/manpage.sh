#!/usr/bin/env bash
# Checks packaging/cinit.1:
#   1. groff -ww -z reads it without a single warning;
#   2. it documents everything the behaviour contract names: every option of
#      SPEC §1 and §4, the environment forms, exit codes, the config file and
#      cinit status;
#   3. every option, CINIT_ variable and SPEC key printed by `cinit --help`
#      appears in it (extracted generically from the help text).
# Usage: manpage.sh [PATH/TO/cinit]   (or CINIT_BIN=...)
# Without a binary, 1 and 2 run and the script exits 77 (SKIP) after them.
# Exit 0 pass, 1 fail, 77 skip.
set -u

here=$(cd "$(dirname "$0")" && pwd)
page=${CINIT_MANPAGE:-$here/../cinit.1}
cinit=${1:-${CINIT_BIN:-}}
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

command -v groff >/dev/null || { echo "SKIP: groff is not installed (apt-get install groff-base)"; exit 77; }
[ -r "$page" ] || { echo "FAIL: no man page at $page" >&2; exit 1; }

# --- 1. no warnings ------------------------------------------------------------
warnings=$(groff -ww -z -man "$page" 2>&1)
if [ -n "$warnings" ]; then
  fail "groff -ww -z -man reports:"
  printf '%s\n' "$warnings" | sed 's/^/    /' >&2
fi
# Also through man's own formatter path, if man-db is there: catches what
# only shows at a given width (e.g. "cannot adjust line").
if command -v man >/dev/null; then
  warnings=$(MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
  [ -z "$warnings" ] || { fail "man --warnings -l reports:"; printf '%s\n' "$warnings" | sed 's/^/    /' >&2; }
fi

# The page as a reader sees it: plain ASCII, without overstriking, so that
# "\-\-grace" becomes "--grace".
text=$(groff -man -Tascii -P-c -P-b -P-u "$page" 2>/dev/null | sed 's/.\x08//g')
[ -n "$text" ] || { echo "FAIL: groff rendered nothing" >&2; exit 1; }

# Whole-word match: "-g" must not be satisfied by "--grace" or "a-g".
has_word() {
  local w=$1 re
  re=$(printf '%s' "$w" | sed 's/[][\.*^$+?(){}|/]/\\&/g')
  printf '%s\n' "$text" | grep -Eq -- "(^|[^A-Za-z0-9_-])${re}([^A-Za-z0-9_-]|\$)"
}
has_text() { printf '%s\n' "$text" | grep -Fq -- "$1"; }

# --- 2. what the contract names ---------------------------------------------------
# SPEC §1: options (short and long), compatibility flags, `cinit status`.
for w in -g --pgroup -r --rewrite -e --remap-exit -p --pdeathsig -t --timeout \
         --grace -u --user --sidecar --init --config --log-prefix -v --verbose -w \
         -s -l -h --help --version -V -c --single-child --ready --live; do
  has_word "$w" || fail "option $w is not documented"
done
# SPEC §4: SPEC keys and readiness forms.
for w in restart= always on-failure never ok-codes= ready= tcp: http:// exec: file: fd: \
         ready-timeout= critical stop-signal= stop-timeout= backoff= backoff-max= \
         max-restarts= user= cwd= env= log= prefix inherit; do
  has_text "$w" || fail "SPEC key or value '$w' is not documented"
done
# Environment forms.
for w in CINIT_PGROUP CINIT_REWRITE CINIT_REMAP_EXIT CINIT_PDEATHSIG CINIT_TIMEOUT \
         CINIT_GRACE CINIT_USER CINIT_CONFIG CINIT_LOG_PREFIX CINIT_VERBOSE \
         CINIT_WARN_REAPED CINIT_SIDECAR_ CINIT_INIT_ CINIT_STATE_DIR; do
  has_text "$w" || fail "environment variable $w is not documented"
done
# Exit codes, config file, status, sections.
for w in 124 125 126 127 128+N /etc/cinit.conf "cinit status" "sidecar SPEC" "init SPEC" \
         "key = value" /run/cinit; do
  has_text "$w" || fail "'$w' is not documented"
done
for s in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT "EXIT STATUS" "CONFIGURATION FILE" \
         STATUS "SEE ALSO"; do
  printf '%s\n' "$text" | grep -q "^$s\$" || fail "section $s is missing"
done

# --- 3. against cinit --help --------------------------------------------------------
if [ -z "$cinit" ]; then
  [ "$failed" = 0 ] || { echo "FAILED: manpage.sh" >&2; exit 1; }
  echo "SKIP: no cinit binary given (manpage.sh PATH/TO/cinit): --help not compared"
  exit 77
fi
help=$("$cinit" --help 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "$cinit --help exited $rc"
[ -n "$help" ] || fail "$cinit --help printed nothing"

# Options: a dash or two and a letter, at the start of a word.
opts=$(printf '%s\n' "$help" |
  grep -oE '(^|[[:space:],;|/([])--?[A-Za-z0-9][A-Za-z0-9-]*' |
  sed -E 's/^[^-]*//' | sort -u)
[ "$(printf '%s\n' "$opts" | grep -c .)" -ge 10 ] ||
  fail "found only $(printf '%s\n' "$opts" | grep -c .) options in --help; the extraction is broken"
n=0
for o in $opts; do
  n=$((n + 1))
  has_word "$o" || fail "option $o (from cinit --help) is not in the man page"
done
# Environment variables named in the help.
envs=$(printf '%s\n' "$help" | grep -oE 'CINIT_[A-Z][A-Z_]*[A-Z]' | sort -u)
for e in $envs; do
  has_text "$e" || fail "variable $e (from cinit --help) is not in the man page"
done
# SPEC keys ("restart=", "ok-codes=") named in the help.
keys=$(printf '%s\n' "$help" | grep -oE '(^|[[:space:],[])[a-z][a-z-]*=' | sed -E 's/^[^a-z]*//' | sort -u)
for k in $keys; do
  has_text "$k" || fail "SPEC key $k (from cinit --help) is not in the man page"
done
echo "compared $n options, $(printf '%s\n' "$envs" | grep -c .) variables and" \
  "$(printf '%s\n' "$keys" | grep -c .) SPEC keys from cinit --help"

if [ "$failed" = 0 ]; then
  echo "PASS: manpage.sh"
  exit 0
fi
echo "FAILED: manpage.sh" >&2
exit 1
