#!/usr/bin/env bash
# packaging/tests/canary.sh BINARY SYMBOLS [BINARY SYMBOLS]...: fails unless
# the stack protector's canary of each running BINARY is random: read from
# the live process, it differs between two runs and is not zero.
# (hardening.sh checks only that the canaries are compiled in.)
#
# SYMBOLS is the unstripped linker output of BINARY (cinit.unstripped beside
# the build's cinit; the shipped binary keeps one symbol only). The script
# first checks that SYMBOLS belongs to BINARY: the same program headers and
# the same bytes in every PT_LOAD past the ELF header (stripping changes
# neither).
#
# Method. musl's start code (__init_ssp) copies the canary from the kernel's
# AT_RANDOM bytes into the global __stack_chk_guard (on 64-bit with its
# second byte zeroed, so that string functions stop at it) and from there
# into the thread's control block. aarch64 and 32-bit ARM code compares
# with __stack_chk_guard itself; x86, ppc64le and s390x with the copy in
# the thread control block. For each run: start `BINARY -- sleep 100`, wait
# for the sleep, and read __stack_chk_guard from /proc/PID/mem at the
# binary's load address (the mapping of file offset 0 in /proc/PID/maps)
# plus the symbol's offset. A foreign binary runs under qemu-user: its
# memory is qemu's, and /proc/PID/maps of qemu shows where it mapped the
# binary, so the same arithmetic holds.
#
# Why it fails on a constant canary, shown rather than assumed:
#  - control read: 8 bytes at __stack_chk_fail (code) read the same way must
#    equal the file's bytes there, in both runs, so the address arithmetic
#    reads the binary's own memory, and a constant is seen as constant;
#  - natively: the guard must equal the AT_RANDOM bytes of /proc/PID/auxv
#    (so not musl's fallback when AT_RANDOM is missing, which derives from
#    the guard's address), and on x86 the canary in the thread control block
#    (%fs:0x28 on x86_64, %gs:0x14 on i386; musl's static TCB builtin_tls,
#    found by its self pointer) must equal the guard;
#  - under qemu-user: the negative test. QEMU_RAND_SEED makes qemu's
#    AT_RANDOM (so the canary) the same on every run; two such runs must be
#    reported as "the same in both runs", or this check could not see it.
# Exit 0 pass, 1 fail, 77 skip (no binary could be checked, for example
# not allowed to read /proc/PID/mem: run as root).
set -uo pipefail
[ $# -gt 0 ] && [ $(($# % 2)) = 0 ] || { echo "usage: canary.sh BINARY SYMBOLS [BINARY SYMBOLS]..." >&2; exit 2; }
command -v readelf >/dev/null || { echo "canary: SKIP: readelf not found (apt-get install binutils)"; exit 77; }
failed=0 checked=0
# A seed from the caller's environment would fix the canary of foreign runs.
unset QEMU_RAND_SEED

# Hex bytes ("8c 00 c9 ...") of N bytes of process PID's memory at ADDR.
# (od cannot skip to ADDR in /proc/PID/mem itself: it reads to skip.)
mem() { # pid addr n
  local b
  b=$(dd if="/proc/$1/mem" bs="$3" count=1 iflag=skip_bytes skip="$2" 2>/dev/null | od -An -v -tx1)
  echo $b
}
# Hex bytes of N bytes of FILE at OFFSET.
filebytes() { # file offset n
  local b
  b=$(od -An -v -tx1 -j "$2" -N "$3" "$1")
  echo $b
}
# LE = the little-endian word of the hex bytes given (no subshell: it runs
# in loops).
le() { local r="" b; for b in "$@"; do r=$b$r; done; LE=$((0x$r)); }

# One run: starts BINARY, waits for its child, sets GUARD and CONTROL (hex
# bytes), NATIVE (1 if the kernel runs it itself), RANDOM_BYTES and TCB
# (native only; TCB empty when not found). Returns 1 (with WHY) when the
# run or a read fails.
run_once() { # bin (extra environment in RUN_ENV)
  local bin=$1 pid base i kids="" tls
  GUARD="" CONTROL="" NATIVE=0 RANDOM_BYTES="" TCB="" WHY=""
  env "${RUN_ENV[@]}" "$bin" -- sleep 100 2>/dev/null &
  pid=$!
  # Poll (deadline 20 s: qemu under load) until cinit started its child:
  # by then its start code has set the canary.
  for ((i = 0; i < 1000; i++)); do
    read -r kids <"/proc/$pid/task/$pid/children" 2>/dev/null || [ -e "/proc/$pid/task/$pid" ] || break
    [ -n "$kids" ] && break
    sleep 0.02
  done
  if [ -z "$kids" ]; then
    WHY="\`$bin -- sleep 100\` did not start its child within 20 s"
  else
    base=$(awk -v b="$bin" '$6 == b && $3 ~ /^0+$/ {split($1, a, "-"); print a[1]; exit}' "/proc/$pid/maps" 2>/dev/null)
    if [ -z "$base" ]; then
      WHY="no mapping of $bin in /proc/$pid/maps"
    else
      base=$((0x$base - LOAD0))
      GUARD=$(mem "$pid" $((base + GUARD_AT)) "$W")
      CONTROL=$(mem "$pid" $((base + CONTROL_AT)) 8)
      [ -n "$GUARD" ] || WHY="cannot read /proc/$pid/mem (needs root or ptrace access)"
      if [ "$(readlink "/proc/$pid/exe")" = "$bin" ]; then
        NATIVE=1
        # AT_RANDOM (25) in the auxiliary vector: pairs of words.
        local aux=($(od -An -v -tx1 -w"$((2 * W))" "/proc/$pid/auxv")) at=""
        for ((i = 0; i + 2 * W <= ${#aux[@]}; i += 2 * W)); do
          le "${aux[@]:i:W}"
          if ((LE == 25)); then le "${aux[@]:i+W:W}"; at=$LE; break; fi
        done
        [ -n "$at" ] && RANDOM_BYTES=$(mem "$pid" $((at)) "$W")
        if [ -n "$TLS_AT" ]; then
          # The word that holds its own address is the TCB's self pointer;
          # the canary is 5 words further (x86_64 0x28, i386 0x14).
          tls=($(mem "$pid" $((base + TLS_AT)) "$TLS_SIZE"))
          for ((i = 0; i + 6 * W <= ${#tls[@]}; i += W)); do
            le "${tls[@]:i:W}"
            if ((LE == base + TLS_AT + i)); then
              TCB="${tls[*]:i+5*W:W}"; break
            fi
          done
        fi
      fi
    fi
  fi
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ -z "$WHY" ]
}

while [ $# -gt 0 ]; do
  bin=$(realpath "$1"); syms=$2; shift 2
  name=$(basename "$bin")
  bad=()
  if [ ! -x "$bin" ] || [ ! -f "$syms" ]; then
    echo "FAIL: $name: $bin or its symbols file $syms is missing (build it: packaging/release, or cmake --build)"
    failed=1; continue
  fi
  # SYMBOLS must describe BINARY: same program headers, same loaded bytes.
  l=$(readelf -lW "$bin")
  if [ "$l" != "$(readelf -lW "$syms")" ]; then
    echo "FAIL: $name: $syms has other program headers than $bin: not its unstripped build (rebuild both)"
    failed=1; continue
  fi
  # (The ELF header itself differs: it says where the section headers are.)
  ehsize=$(readelf -hW "$bin" | awk '/Size of this header:/ {print $5}')
  same=1
  while read -r off fsz; do
    off=$((off)) fsz=$((fsz))
    (( off < ehsize )) && { fsz=$((fsz - (ehsize - off))); off=$ehsize; }
    cmp -s -n "$fsz" -i "$off:$off" "$bin" "$syms" || same=""
  done < <(awk '$1 == "LOAD" {print $2, $5}' <<<"$l")
  if [ -z "$same" ]; then
    echo "FAIL: $name: the loaded bytes of $syms differ from $bin: not its unstripped build (rebuild both)"
    failed=1; continue
  fi
  h=$(readelf -hW "$bin")
  grep -q 'Class: *ELF64' <<<"$h" && W=8 || W=4
  machine=$(awk -F: '/Machine:/ {gsub(/^ +/, "", $2); print $2}' <<<"$h")
  s=$(readelf -sW "$syms")
  sym() { awk -v n="$1" '$8 == n {print "0x" $2, $3; exit}' <<<"$s"; }
  read -r GUARD_AT _ <<<"$(sym __stack_chk_guard)"
  read -r CONTROL_AT _ <<<"$(sym __stack_chk_fail)"
  if [ -z "$GUARD_AT" ] || [ -z "$CONTROL_AT" ]; then
    echo "FAIL: $name: no __stack_chk_guard or __stack_chk_fail in $syms (not a musl build with -fstack-protector-strong?)"
    failed=1; continue
  fi
  GUARD_AT=$((GUARD_AT)); CONTROL_AT=$((CONTROL_AT))
  TLS_AT="" TLS_SIZE=""
  case $machine in
    *X86-64* | *80386*) read -r TLS_AT TLS_SIZE <<<"$(sym builtin_tls)" ;;
  esac
  # The first PT_LOAD (file offset 0) is mapped at the load address plus
  # its page-aligned address.
  LOAD0=$(( $(awk '$1 == "LOAD" {print $3; exit}' <<<"$l") & ~4095 ))
  # The file's bytes at __stack_chk_fail, for the control read.
  cfile=""
  while read -r off va fsz; do
    (( CONTROL_AT >= va && CONTROL_AT + 8 <= va + fsz )) && cfile=$((CONTROL_AT - va + off))
  done < <(awk '$1 == "LOAD" {print $2, $3, $5}' <<<"$l")
  want_control=$(filebytes "$bin" "$cfile" 8)

  RUN_ENV=()
  runs=() why=""
  for r in 1 2; do
    if run_once "$bin"; then
      runs+=("$GUARD")
      [ "$CONTROL" = "$want_control" ] ||
        bad+=("run $r: the bytes at __stack_chk_fail read from memory ($CONTROL) are not the file's ($want_control): the address arithmetic is wrong, so is the guard read")
      if [ "$NATIVE" = 1 ]; then
        want=$RANDOM_BYTES
        [ "$W" = 8 ] && want=$(awk '{$2 = "00"; print}' <<<"$want")
        [ -n "$RANDOM_BYTES" ] && [ "$GUARD" = "$want" ] ||
          bad+=("run $r: the guard ($GUARD) is not the kernel's AT_RANDOM bytes (${want:-none found})")
        if [ -n "$TLS_AT" ]; then
          if [ -z "$TCB" ]; then
            echo "note: $name: the thread control block is not in builtin_tls: its canary copy is not compared"
          elif [ "$TCB" != "$GUARD" ]; then
            bad+=("run $r: the canary in the thread control block ($TCB) is not the guard ($GUARD)")
          fi
        fi
      fi
    else
      why=$WHY; break
    fi
  done
  if [ -n "$why" ]; then
    echo "SKIP: $name: $why"
    continue
  fi
  checked=1
  nonzero=$(tr -d ' 0' <<<"${runs[0]}")
  [ -n "$nonzero" ] || bad+=("the canary is zero")
  [ "${runs[0]}" != "${runs[1]}" ] || bad+=("the canary is the same in both runs (${runs[0]})")
  how="natively"; [ "$NATIVE" = 1 ] || how="under qemu-user"
  # The negative test under qemu-user: a fixed seed must be caught.
  if [ "$NATIVE" = 0 ] && [ ${#bad[@]} = 0 ]; then
    RUN_ENV=(QEMU_RAND_SEED=1)
    if run_once "$bin" && seeded=$GUARD && run_once "$bin"; then
      if [ "$seeded" = "$GUARD" ]; then
        how="$how; with QEMU_RAND_SEED=1 the same ($GUARD) both times, as it must be"
      else
        bad+=("with QEMU_RAND_SEED=1 the guard still differs between runs ($seeded, $GUARD): it is not read from qemu's AT_RANDOM")
      fi
    else
      bad+=("a run with QEMU_RAND_SEED=1 failed: $WHY")
    fi
  fi
  if [ ${#bad[@]} = 0 ]; then
    extra=""; [ "$NATIVE" = 1 ] && extra=", = AT_RANDOM"; [ -n "$TCB" ] && extra="$extra, = the TCB's copy"
    echo "ok: $name: canary ${runs[0]} / ${runs[1]} in two runs ($how$extra)"
  else
    for b in "${bad[@]}"; do echo "FAIL: $name: $b"; done
    failed=1
  fi
done
[ "$failed" = 0 ] && [ "$checked" = 0 ] && { echo "canary: SKIP: no binary could be checked"; exit 77; }
exit $failed
