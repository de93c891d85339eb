// Read-only after relocation (RELRO) for the static PIE (README "Hardening").
// A dynamic loader turns PT_GNU_RELRO read-only once it has relocated a
// program, and glibc's static start code does the same; musl's static PIE
// start (rcrt1.o) relocates but leaves that to nobody, so the GOT and the
// other relocated tables would stay writable. cinit does it itself, first
// thing in main, when every relocation has been applied.
#pragma once

#include <cstdint>
#include <link.h>

struct RelroPages {
  uintptr_t start = 0;  // addresses relative to the load base
  uintptr_t end = 0;    // start == end: nothing to protect
};

// The pages of PT_GNU_RELRO among the n program headers ph, for pages of
// page bytes. The start is rounded down, like a dynamic loader does. The
// end is rounded up when no segment has memory in the rest of that page,
// else down: the release layout ends RELRO on a 4 KiB boundary on a
// MAXPAGESIZE page of its own (README "Decisions", file layout), so on a
// 16 or 64 KiB page kernel rounding down would protect nothing, while
// with ld's layout, where .data follows RELRO, rounding up would make
// data read-only.
RelroPages FindRelroPages(const ElfW(Phdr)* ph, int n, uintptr_t page);

// mprotect(PROT_READ) of the pages FindRelroPages gives for this program.
// Returns 0, or errno of a failed mprotect (cinit goes on: it is only
// hardening). Nothing to do, and 0, if the program has no RELRO segment.
int ProtectRelro();
