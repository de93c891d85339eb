#include "relro.h"

#include <elf.h>
#include <gtest/gtest.h>

namespace {

ElfW(Phdr) Load(uintptr_t vaddr, uintptr_t memsz) {
  ElfW(Phdr) p{};
  p.p_type = PT_LOAD;
  p.p_vaddr = vaddr;
  p.p_memsz = memsz;
  return p;
}

ElfW(Phdr) Relro(uintptr_t vaddr, uintptr_t memsz) {
  ElfW(Phdr) p = Load(vaddr, memsz);
  p.p_type = PT_GNU_RELRO;
  return p;
}

constexpr uintptr_t k4K = 4096, k64K = 65536;

// The release layout (packaging/ld-code-last.awk) on aarch64: RELRO is a
// segment of its own, from a fresh 64 KiB page on, ending on 4 KiB; the
// code follows on the next 64 KiB page.
const ElfW(Phdr) kCodeLast[] = {
    Load(0x0, 0x6804), Load(0x16808, 0x293ae0), Load(0x2b7b00, 0x500),
    Load(0x2c8000, 0x1240c), Relro(0x2b7b00, 0x500),
};

TEST(Relro, OwnPageOn4KiBKernelIsExactlyItsPages) {
  RelroPages p = FindRelroPages(kCodeLast, 5, k4K);
  EXPECT_EQ(p.start, 0x2b7000u);
  EXPECT_EQ(p.end, 0x2b8000u);
}

TEST(Relro, OwnPageOn64KiBKernelIsRoundedUpNotLost) {
  // Rounded down, the end would equal the start: nothing protected.
  RelroPages p = FindRelroPages(kCodeLast, 5, k64K);
  EXPECT_EQ(p.start, 0x2b0000u);
  EXPECT_EQ(p.end, 0x2c0000u);
}

TEST(Relro, DataAfterRelroInItsPageIsNotMadeReadOnly) {
  // ld's own layout: .data and .bss follow RELRO in the same segment.
  const ElfW(Phdr) ph[] = {Load(0x0, 0x910), Load(0x10000, 0x16784), Load(0x4fa90, 0x294040),
                           Relro(0x4fa90, 0x570)};
  RelroPages p64 = FindRelroPages(ph, 4, k64K);
  EXPECT_EQ(p64.start, 0x40000u);
  EXPECT_EQ(p64.end, 0x50000u);
  RelroPages p4 = FindRelroPages(ph, 4, k4K);
  EXPECT_EQ(p4.start, 0x4f000u);
  EXPECT_EQ(p4.end, 0x50000u);
}

TEST(Relro, NextSegmentInTheSamePageStopsTheRoundingUp) {
  const ElfW(Phdr) ph[] = {Load(0x1000, 0x800), Load(0x1800, 0x100), Relro(0x1000, 0x800)};
  RelroPages p = FindRelroPages(ph, 3, k4K);
  EXPECT_EQ(p.start, 0x1000u);
  EXPECT_EQ(p.end, 0x1000u);  // nothing: the page also holds the next segment
}

TEST(Relro, NoRelroSegmentIsNothingToDo) {
  const ElfW(Phdr) ph[] = {Load(0x0, 0x1000)};
  RelroPages p = FindRelroPages(ph, 1, k4K);
  EXPECT_EQ(p.start, p.end);
}

}  // namespace
