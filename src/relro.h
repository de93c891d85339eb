// Read-only after relocation (RELRO) for the static PIE (README "Hardening").
// A dynamic loader turns PT_GNU_RELRO read-only once it has relocated a
// program, and glibc's static start code does the same; musl's static PIE
// start (rcrt1.o) relocates but leaves that to nobody, so the GOT and the
// other relocated tables would stay writable. cinit does it itself, first
// thing in main, when every relocation has been applied.
#pragma once

// mprotect(PROT_READ) of the whole pages of this program's PT_GNU_RELRO.
// Returns 0, or errno of a failed mprotect (cinit goes on: it is only
// hardening). Nothing to do, and 0, if the program has no RELRO segment.
int ProtectRelro();
