#!/usr/bin/env bash
# packaging/tests/hardening.sh BINARY...: fails unless every binary has each
# hardening item of README "Hardening", read from its ELF headers:
#   static PIE      ELF type DYN (position independent), no PT_INTERP, no NEEDED
#   full RELRO      a PT_GNU_RELRO segment, and BIND_NOW (FLAGS) or NOW (FLAGS_1)
#   separate code   an R+X PT_LOAD, a read-only PT_LOAD, none both writable and executable,
#                   and no 4 KiB page of the file mapped by the code and by another PT_LOAD;
#                   and loadable with pages as large as the segments' alignment
#   NX stack        PT_GNU_STACK present and not executable
#   stack canaries  __stack_chk_fail in the symbol table (the one symbol kept)
# For a binary this machine runs natively it also checks that RELRO is
# applied at run time: the page of its relocated data is read-only in
# /proc/PID/maps while cinit runs (musl's static start leaves that to cinit).
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: hardening.sh BINARY..." >&2; exit 2; }
command -v readelf >/dev/null || { echo "hardening: SKIP: readelf not found (apt-get install binutils)"; exit 77; }
failed=0
for bin in "$@"; do
  bad=()
  h=$(readelf -hW "$bin" 2>&1) || { echo "FAIL: $bin: not an ELF file"; failed=1; continue; }
  l=$(readelf -lW "$bin"); d=$(readelf -dW "$bin"); s=$(readelf -sW "$bin")
  grep -Eq 'Type: +DYN' <<<"$h" || bad+=("not a PIE (ELF type is not DYN)")
  grep -q 'INTERP' <<<"$l" && bad+=("has an ELF interpreter (not static)")
  grep -q '(NEEDED)' <<<"$d" && bad+=("needs shared libraries (not static)")
  grep -q 'GNU_RELRO' <<<"$l" || bad+=("no PT_GNU_RELRO (no RELRO)")
  grep -Eq '\(FLAGS\) +.*BIND_NOW|\(FLAGS_1\) +.*\bNOW\b' <<<"$d" || bad+=("no BIND_NOW / FLAGS_1 NOW (partial RELRO only)")
  loads=$(awk '$1=="LOAD" {f=""; for (i=7;i<NF;i++) f=f $i; print f}' <<<"$l")
  grep -qx 'RE' <<<"$loads" || bad+=("no R+X PT_LOAD of its own (code not separate)")
  grep -qx 'R' <<<"$loads" || bad+=("no read-only PT_LOAD (read-only data mapped with the code)")
  grep -Eq 'W.*E|RWE' <<<"$loads" && bad+=("a PT_LOAD is writable and executable")
  # No 4 KiB page of the file is mapped both by the code and by another
  # segment (4 KiB: the smallest page of every architecture's kernels;
  # README "Decisions", file layout). And each segment may be loaded with
  # pages as large as its alignment (64 KiB on aarch64 and ppc64le): its
  # offset and address agree modulo the alignment, and no two segments
  # share a page of that size in memory (the later mapping would replace
  # part of the earlier one, with its own permissions).
  segs=(); while read -r off va fsz msz al fl; do segs+=("$((off)) $((va)) $((fsz)) $((msz)) $((al)) $fl"); done \
    < <(awk '$1=="LOAD" {f=""; for (i=7;i<NF;i++) f=f $i; print $2, $3, $5, $6, $NF, f}' <<<"$l")
  shared=""; congruent=1; overlap=""
  for c in "${segs[@]}"; do
    read -r coff cva csz cmsz cal cfl <<<"$c"
    (( coff % cal == cva % cal )) || congruent=""
    for o in "${segs[@]}"; do
      [ "$o" = "$c" ] && continue
      read -r ooff ova osz omsz _ ofl <<<"$o"
      (( (ova + omsz - 1) / cal >= cva / cal && ova / cal <= (cva + cmsz - 1) / cal )) && overlap=1
      [[ "$cfl" == *E* ]] && [ "$osz" != 0 ] || continue
      (( (ooff + osz - 1) / 4096 >= coff / 4096 && ooff / 4096 <= (coff + csz - 1) / 4096 )) && shared=1
    done
  done
  [ -z "$shared" ] || bad+=("a 4 KiB page of the file is mapped both as code and as data (not separate code)")
  [ -n "$congruent" ] || bad+=("a PT_LOAD's offset and address differ modulo its alignment (does not load)")
  # aarch64 and ppc64le kernels may use 64 KiB pages.
  case "$(awk '/Machine:/ {print $2}' <<<"$h")" in
    AArch64 | PowerPC64)
      for c in "${segs[@]}"; do read -r _ _ _ _ cal _ <<<"$c"; ((cal >= 65536)) || { bad+=("a PT_LOAD aligned for pages of $cal bytes: does not load on a 64 KiB-page kernel"); break; }; done ;;
  esac
  [ -z "$overlap" ] || bad+=("two PT_LOADs share a page of their alignment in memory (would not load on a kernel with pages that large)")
  stack=$(awk '$1=="GNU_STACK" {f=""; for (i=7;i<NF;i++) f=f $i; print f}' <<<"$l")
  [ -n "$stack" ] || bad+=("no PT_GNU_STACK (the stack would be executable)")
  [[ "$stack" == *E* ]] && bad+=("PT_GNU_STACK is executable")
  grep -q ' __stack_chk_fail$' <<<"$s" || bad+=("no __stack_chk_fail symbol (built without -fstack-protector-strong?)")
  # RELRO at run time, where the binary runs natively.
  if [ ${#bad[@]} = 0 ] && [ "$(readelf -hW "$bin" | awk '/Machine:/ {print $2}')" = "$(readelf -hW /bin/sh | awk '/Machine:/ {print $2}')" ]; then
    # The mapping that starts at the page of RELRO's address: the load base
    # (the start of the mapping of file offset 0) plus that page.
    vaddr=$(awk '$1=="GNU_RELRO" {print $3}' <<<"$l")
    page=$(( vaddr & ~($(getconf PAGESIZE) - 1) ))
    maps=$("$(realpath "$bin")" -- sh -c 'cat /proc/$PPID/maps' 2>/dev/null)
    mine=$(grep -F "$(realpath "$bin")" <<<"$maps")
    base=$(awk '$3=="00000000" {split($1, a, "-"); print a[1]; exit}' <<<"$mine")
    want=$(printf '%x' $(( 0x${base:-0} + page )))
    row=$(awk -v w="$want" '{split($1, a, "-"); sub(/^0+/, "", a[1]); if (a[1] == w) print $2}' <<<"$mine")
    [ "$row" = "r--p" ] || bad+=("RELRO not applied at run time: the mapping at $(printf '0x%x' $page) past the load base is '${row:-missing}', not r--p")
  fi
  if [ ${#bad[@]} = 0 ]; then
    echo "ok: $bin: static PIE, full RELRO, separate code, NX stack, stack protector"
  else
    for b in "${bad[@]}"; do echo "FAIL: $bin: $b"; done
    failed=1
  fi
done
exit $failed
