# packaging/ld-code-last.awk: rewrites GNU ld's default linker script (from
# `ld --verbose`) for a smaller file with the same hardening (README
# "Decisions", file layout). Input: the script of -pie -z relro -z now
# -z separate-code, whose order is headers, code, read-only data, RELRO
# data, data, .bss: with separate code, three boundaries padded in the
# file to a MAXPAGESIZE page (64 KiB on aarch64 and ppc64le). Output order:
#   headers and read-only data                     R
#   [code, with -v place=before-data (ppc64le)]    R E  (from a 4 KiB boundary)
#   data and .bss                                  RW
#   RELRO data, ending on a COMMONPAGESIZE page    RW
#   code, last (default)                           R E  (from that boundary)
# Every segment starts on a fresh MAXPAGESIZE page in memory, at the offset
# within the page where the file has got to: no two segments share a page
# on any kernel, and the file is padded only to COMMONPAGESIZE (4 KiB),
# where code begins or ends, and where RELRO ends. The RELRO block is ld's
# own (DATA_SEGMENT_ALIGN ... DATA_SEGMENT_RELRO_END), moved behind .bss,
# in a segment of its own, so no page of it holds writable data. Exits 1
# when the script does not have the expected shape, so a new binutils
# cannot silently link something else.
BEGIN {
  state = 0; n = 0; r = 0
  next_page = "  . = ALIGN(CONSTANT (MAXPAGESIZE)) + (. & (CONSTANT (MAXPAGESIZE) - 1));"
  common_page = "  . = ALIGN(CONSTANT (COMMONPAGESIZE));"
  code_before_data = (place == "before-data")
}
state == 0 && /^  \. = ALIGN\(CONSTANT \(MAXPAGESIZE\)\);$/ { state = 1; next }
state == 1 && /^  \. = ALIGN\(CONSTANT \(MAXPAGESIZE\)\);$/ { state = 2; next }
state == 1 { code[n++] = $0; next }
state == 2 && /SEGMENT_START\("rodata-segment"/ { state = 3; next }
state == 2 { next }
state == 3 && /DATA_SEGMENT_ALIGN/ {
  # The data (after the RELRO block) starts on the next page, at the same
  # offset within the page: a new segment without padding in the file.
  if (code_before_data) {
    print next_page; print common_page
    for (i = 0; i < n; i++) print code[i]
    print next_page; print common_page
  } else print next_page
  # ld ends RELRO on a MAXPAGESIZE boundary, in memory and so in the file:
  # up to 64 KiB of zeros on aarch64. On a fresh MAXPAGESIZE page of its
  # own, RELRO only needs to end on a COMMONPAGESIZE boundary.
  if (sub(/DATA_SEGMENT_ALIGN \(CONSTANT \(MAXPAGESIZE\), CONSTANT \(COMMONPAGESIZE\)\)/, "DATA_SEGMENT_ALIGN (CONSTANT (COMMONPAGESIZE), CONSTANT (COMMONPAGESIZE))")) dsa = 1
  relro[r++] = $0; state = 4; next
}
state == 4 { relro[r++] = $0; if ($0 ~ /DATA_SEGMENT_RELRO_END/) state = 5; next }
# ld gives an input section to the first rule that matches it: .data's
# `.data.*` now comes before the RELRO block's .data.rel.ro and would take
# the .data.rel.ro* sections out of RELRO. Every .data.* but those.
state == 5 && $0 ~ /^    \*\(\.data \.data\.\* \.gnu\.linkonce\.d\.\*\)$/ {
  print "    *(.data .data. .data.[!r]* .data.r .data.r[!e]* .data.re .data.re[!l]* .data.rel .data.rel[!.]* .data.rel. .data.rel.[!r]* .data.rel.r .data.rel.r[!o]* .gnu.linkonce.d.*)"
  datarule = 1
  next
}
state == 5 && /DATA_SEGMENT_END/ {
  # RELRO from a fresh page on, at _edata's offset within it (the end of
  # the data in the file, as .bss takes no room there).
  print "  . = ALIGN(CONSTANT (MAXPAGESIZE)) + (_edata & (CONSTANT (MAXPAGESIZE) - 1));"
  for (i = 0; i < r; i++) print relro[i]
  print
  if (!code_before_data) {
    print next_page
    for (i = 0; i < n; i++) print code[i]
  }
  state = 6
  next
}
{ print }
END { if (state != 6 || n == 0 || r < 2 || !datarule || !dsa) { print "ld-code-last.awk: unexpected linker script (state " state ")" > "/dev/stderr"; exit 1 } }
