// The config file (SPEC §4): "sidecar SPEC", "init SPEC" and "key = value"
// lines, full-line '#' comments and blank lines. The lowest-precedence
// source: the environment and the command line are applied after it.
#pragma once

#include <string_view>

#include "cli.h"
#include "result.h"
#include "spec.h"

constexpr char kDefaultConfigPath[] = "/etc/cinit.conf";
constexpr int kMaxConfigSize = 64 * 1024;

// Reads path (kDefaultConfigPath when nullptr) and applies it. A missing file
// is fine unless explicit_path; every error reads "PATH:LINE: message".
// Matches ConfigLoader in cli.h.
Status LoadConfigFile(const char* path, bool explicit_path, Options* opts, DeclTable* decls, Arena* arena);

// The pure part: parses text as if read from path (used in messages and in
// each Decl's origin "PATH:LINE"). Stops at the first error.
Status ParseConfigText(std::string_view text, const char* path, Options* opts, DeclTable* decls, Arena* arena);
