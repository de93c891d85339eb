#include "relro.h"

#include <cerrno>
#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

// The linker defines __ehdr_start at this program's ELF header; in a PIE,
// whose first segment starts at address 0, that is also the load base.
extern "C" const ElfW(Ehdr) __ehdr_start;

RelroPages FindRelroPages(const ElfW(Phdr)* ph, int n, uintptr_t page) {
  RelroPages pages;
  for (int i = 0; i < n; i++) {
    if (ph[i].p_type != PT_GNU_RELRO) continue;
    uintptr_t end = ph[i].p_vaddr + ph[i].p_memsz;
    uintptr_t up = (end + page - 1) & ~(page - 1);
    for (int j = 0; j < n; j++) {
      if (ph[j].p_type != PT_LOAD || ph[j].p_memsz == 0) continue;
      uintptr_t from = ph[j].p_vaddr, to = ph[j].p_vaddr + ph[j].p_memsz;
      if (from < up && to > end) up = end & ~(page - 1);
    }
    pages.start = ph[i].p_vaddr & ~(page - 1);
    pages.end = up > pages.start ? up : pages.start;
    break;
  }
  return pages;
}

int ProtectRelro() {
  const auto* base = reinterpret_cast<const unsigned char*>(&__ehdr_start);
  const auto* ph = reinterpret_cast<const ElfW(Phdr)*>(base + __ehdr_start.e_phoff);
  RelroPages pages = FindRelroPages(ph, __ehdr_start.e_phnum, static_cast<uintptr_t>(sysconf(_SC_PAGESIZE)));
  if (pages.end > pages.start && mprotect(const_cast<unsigned char*>(base) + pages.start, pages.end - pages.start, PROT_READ) != 0) return errno;
  return 0;
}
