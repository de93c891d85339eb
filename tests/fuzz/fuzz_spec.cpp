// Fuzz target: the SPEC word splitter and the declaration parser
// (SplitWords, ParseDecl in src/spec.h).
//
// Input: one control byte, then the text. Control bit 0: init task or
// sidecar; bits 1-6: max_words for SplitWords; bit 7: start with the arena
// nearly full, to reach the exhaustion paths.
//
// Properties checked beyond "no crash":
//  - SplitWords: at most max_words words, each NUL-terminated inside the
//    arena; on failure the arena is left as it was.
//  - Round trip: the words, each re-quoted in single quotes (a ' written as
//    '\''), split again into the same words.
//  - ParseDecl: a declaration it accepts satisfies fuzz::CheckDecl; a
//    rejected one leaves no words behind in the arena.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.h"

namespace {

constexpr int kWordsCap = 64;

std::string Requote(const char* const* words, int n) {
  std::string out;
  for (int i = 0; i < n; i++) {
    if (i) out += ' ';
    out += '\'';
    for (const char* c = words[i]; *c; c++) {
      if (*c == '\'') out += "'\\''";
      else out += *c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t control = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  DeclKind kind = (control & 1) ? DeclKind::kInit : DeclKind::kSidecar;
  int max_words = (control >> 1) & 63;
  bool nearly_full = (control & 0x80) != 0;
  bool has_nul = text.find('\0') != std::string_view::npos;

  auto arena = std::make_unique<Arena>();
  if (nearly_full) arena->used = kArenaSize - 200;
  int mark = arena->used;
  const char* words[kWordsCap + 1] = {};
  Result<int> n = SplitWords(text, arena.get(), words, max_words);
  fuzz::CheckError(n.error);
  if (!n.ok) {
    FUZZ_REQUIRE(arena->used == mark);
  } else {
    FUZZ_REQUIRE(n.value >= 0 && n.value <= max_words);
    FUZZ_REQUIRE(arena->used <= kArenaSize);
    for (int i = 0; i < n.value; i++) FUZZ_REQUIRE(fuzz::InArena(*arena, words[i]));
    if (!has_nul) {
      // Same byte count in the arena, so a fresh arena with the same start
      // has room for the re-split.
      std::string quoted = Requote(words, n.value);
      auto again = std::make_unique<Arena>();
      again->used = mark;
      const char* words2[kWordsCap + 1] = {};
      Result<int> m = SplitWords(quoted, again.get(), words2, max_words);
      FUZZ_REQUIRE(m.ok);
      FUZZ_REQUIRE(m.value == n.value);
      for (int i = 0; i < n.value; i++) FUZZ_REQUIRE(strcmp(words[i], words2[i]) == 0);
    }
  }

  auto decl_arena = std::make_unique<Arena>();
  if (nearly_full) decl_arena->used = kArenaSize - 200;
  int decl_mark = decl_arena->used;
  auto d = std::make_unique<Decl>();
  d->kind = kind;
  snprintf(d->origin.text, sizeof d->origin.text, "fuzz");
  Status s = ParseDecl(text, kind, decl_arena.get(), d.get());
  fuzz::CheckError(s.error);
  FUZZ_REQUIRE(d->kind == kind);
  FUZZ_REQUIRE(strcmp(d->origin.text, "fuzz") == 0);
  if (!s.ok) {
    FUZZ_REQUIRE(decl_arena->used == decl_mark);
    FUZZ_REQUIRE(s.error.text[0] != '\0');
    return 0;
  }
  fuzz::CheckDecl(*d, *decl_arena);
  // A declaration with NUL bytes cannot come from argv, the environment or
  // the config file (which rejects them), so only check the rest.
  if (!has_nul) {
    auto table = std::make_unique<DeclTable>();
    FUZZ_REQUIRE(AddOrReplace(table.get(), *d).ok);
    FUZZ_REQUIRE(AddOrReplace(table.get(), *d).ok);  // same name: replaced in place
    FUZZ_REQUIRE(table->count == 1);
  }
  return 0;
}
