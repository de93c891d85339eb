// Fuzz target: the command line and its environment (ParseInvocation,
// src/cli.h), with a config file read through the same pure parser.
//
// Input: up to three sections separated by the byte 0x1e: command-line
// words, environment entries, config text. Words and entries are separated
// by NUL bytes; "cinit" is prepended as argv[0]. Everything is copied into
// exactly-sized heap blocks so ASan sees any read past a word's end.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "fuzz_check.h"

namespace {

constexpr size_t kMaxWords = 256;

std::string_view g_config;
bool g_have_config = false;

// Stands in for LoadConfigFile: the third section is the file's text.
Status LoadFromInput(const char* path, bool explicit_path, Options* opts, DeclTable* decls, Arena* arena) {
  if (!g_have_config) {
    if (explicit_path) return Status::Fail("%.100s: cannot open config file: No such file", path);
    return Ok();
  }
  return ParseConfigText(g_config, path, opts, decls, arena);
}

std::vector<std::string_view> Split(std::string_view text, char sep, size_t max) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() < max) {
    size_t at = text.find(sep, start);
    if (at == std::string_view::npos) {
      parts.push_back(text.substr(start));
      break;
    }
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  return parts;
}

// NUL-terminated copies in their own allocations, plus a NULL-terminated
// pointer array, as the kernel would hand them to main().
struct CStrings {
  std::vector<std::unique_ptr<char[]>> storage;
  std::vector<char*> ptrs;
  void Add(std::string_view s) {
    auto p = std::make_unique<char[]>(s.size() + 1);
    memcpy(p.get(), s.data(), s.size());
    p[s.size()] = '\0';
    ptrs.push_back(p.get());
    storage.push_back(std::move(p));
  }
  char** Finish() {
    ptrs.push_back(nullptr);
    return ptrs.data();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto sections = Split(input, '\x1e', 3);
  CStrings argv, envp;
  argv.Add("cinit");
  if (!sections[0].empty())
    for (auto w : Split(sections[0], '\0', kMaxWords)) argv.Add(w);
  if (sections.size() > 1 && !sections[1].empty())
    for (auto e : Split(sections[1], '\0', kMaxWords)) envp.Add(e);
  g_have_config = sections.size() > 2;
  g_config = g_have_config ? sections[2] : std::string_view();
  int argc = static_cast<int>(argv.ptrs.size());
  char** av = argv.Finish();
  char** ev = envp.Finish();

  auto opts = std::make_unique<Options>();
  auto decls = std::make_unique<DeclTable>();
  auto arena = std::make_unique<Arena>();
  Status s = ParseInvocation(argc, av, ev, LoadFromInput, opts.get(), decls.get(), arena.get());
  fuzz::CheckError(s.error);
  if (!s.ok) {
    FUZZ_REQUIRE(s.error.text[0] != '\0');  // a rejection always says why
    return 0;
  }
  fuzz::CheckOptions(*opts);
  fuzz::CheckTable(*decls, *arena);
  if (opts->mode == Mode::kRun) {
    // The command is a tail of argv: NULL-terminated, never empty.
    FUZZ_REQUIRE(opts->command != nullptr && opts->command > av && opts->command < av + argc);
    FUZZ_REQUIRE(opts->command[argc - (opts->command - av)] == nullptr);
  }
  if (opts->mode == Mode::kStatus) FUZZ_REQUIRE(!(opts->status.ready && opts->status.live));
  if (opts->mode != Mode::kStatus) FUZZ_REQUIRE(opts->config_path != nullptr);
  // Environment forms never end up in a child: the filter must agree.
  for (char** e = ev; *e; e++)
    if (strncmp(*e, "CINIT_", 6) == 0) FUZZ_REQUIRE(IsCinitVariable(*e));
  return 0;
}
