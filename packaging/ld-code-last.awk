# packaging/ld-code-last.awk: rewrites GNU ld's default linker script (from
# `ld --verbose`) so that the code comes last, after the data (README
# "Decisions", file layout). Input: the script of -pie -z relro -z now
# -z separate-code. The block from the page alignment before .init to the
# page alignment after .fini (with the rodata-segment adjustment that
# follows it) moves behind DATA_SEGMENT_END, page aligned. Exits 1 when the
# script does not have that shape, so a new binutils cannot silently link
# something else.
BEGIN { state = 0; n = 0 }
state == 0 && /^  \. = ALIGN\(CONSTANT \(MAXPAGESIZE\)\);$/ { state = 1; next }
state == 1 && /^  \. = ALIGN\(CONSTANT \(MAXPAGESIZE\)\);$/ { state = 2; next }
state == 1 { code[n++] = $0; next }
state == 2 && /SEGMENT_START\("rodata-segment"/ { state = 3; next }
state == 2 { next }
state == 3 && /DATA_SEGMENT_END/ {
  print
  print "  . = ALIGN(CONSTANT (MAXPAGESIZE));"
  for (i = 0; i < n; i++) print code[i]
  state = 4
  next
}
{ print }
END { if (state != 4 || n == 0) { print "ld-code-last.awk: unexpected linker script (state " state ")" > "/dev/stderr"; exit 1 } }
