// Fuzz target: the config file parser (ParseConfigText, src/config.h).
//
// Input: the file's text, parsed twice into the same tables (as if two
// sources declared the same names), which exercises replacement in place.
// Properties: an accepted file leaves valid options and declarations
// (fuzz::CheckOptions, fuzz::CheckTable); every error names "PATH:LINE: ".
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "config.h"
#include "fuzz_check.h"

namespace {
constexpr char kPath[] = "/fuzz/cinit.conf";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto opts = std::make_unique<Options>();
  auto decls = std::make_unique<DeclTable>();
  auto arena = std::make_unique<Arena>();
  for (int pass = 0; pass < 2; pass++) {
    Status s = ParseConfigText(text, kPath, opts.get(), decls.get(), arena.get());
    fuzz::CheckError(s.error);
    if (!s.ok) {
      FUZZ_REQUIRE(strncmp(s.error.text, kPath, sizeof kPath - 1) == 0 && s.error.text[sizeof kPath - 1] == ':');
      break;
    }
    fuzz::CheckOptions(*opts);
    fuzz::CheckTable(*decls, *arena);
    for (int i = 0; i < decls->count; i++)
      FUZZ_REQUIRE(strncmp(decls->decls[i].origin.text, kPath, sizeof kPath - 1) == 0);
  }
  return 0;
}
