#include "relro.h"

#include <cerrno>
#include <cstdint>
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

// The linker defines __ehdr_start at this program's ELF header; in a PIE,
// whose first segment starts at address 0, that is also the load base.
extern "C" const ElfW(Ehdr) __ehdr_start;

int ProtectRelro() {
  const auto* base = reinterpret_cast<const unsigned char*>(&__ehdr_start);
  const auto* ph = reinterpret_cast<const ElfW(Phdr)*>(base + __ehdr_start.e_phoff);
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  for (int i = 0; i < __ehdr_start.e_phnum; i++) {
    if (ph[i].p_type != PT_GNU_RELRO) continue;
    // Like a dynamic loader: the start rounded down, the end rounded down
    // too, so that no page holding writable data beyond RELRO turns
    // read-only (the linker ends RELRO on a page boundary).
    uintptr_t start = reinterpret_cast<uintptr_t>(base) + ph[i].p_vaddr;
    uintptr_t end = (start + ph[i].p_memsz) & ~(page - 1);
    start &= ~(page - 1);
    if (end > start && mprotect(reinterpret_cast<void*>(start), end - start, PROT_READ) != 0) return errno;
  }
  return 0;
}
