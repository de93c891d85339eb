// USER[:GROUP] to numeric credentials, read from /etc/passwd and /etc/group
// directly: a static binary has no NSS, and containers rarely have it set up.
// A name gets the supplementary groups /etc/group lists it in (as Docker's
// USER does); a bare number gets none.
#pragma once

#include <string_view>
#include <sys/types.h>

#include "result.h"

constexpr int kMaxGroups = 32;

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  gid_t groups[kMaxGroups] = {};
  int group_count = 0;
};

// Pure: resolves spec against the text of the two files.
Result<Credentials> ResolveUserIn(std::string_view spec, std::string_view passwd, std::string_view group);

// Reads the files (passwd_path, group_path; normally /etc/...) into fixed
// buffers and resolves. Called before any child is started.
Result<Credentials> ResolveUser(std::string_view spec, const char* passwd_path = "/etc/passwd",
                                const char* group_path = "/etc/group");

// setgroups, setgid, setuid, in that order (dropping the ability to change
// groups last would leave root's groups behind). Returns errno or 0.
int ApplyCredentials(const Credentials& c);
