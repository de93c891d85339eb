// address.cpp: ready=tcp: hosts are parsed by cinit itself (no inet_pton in the static
// binary): every form must give the same bytes as the C library's parser,
// and malformed ones must be rejected as it rejects them.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "spec.h"

namespace {

bool Parse(const std::string& host, ReadyCheck* out) {
  static Arena arena;
  arena.used = 0;
  Decl d;
  d.kind = DeclKind::kSidecar;
  Status s = ParseDecl("x ready=tcp:" + host + ":80 -- true", DeclKind::kSidecar, &arena, &d);
  *out = d.ready;
  return s.ok;
}

TEST(SpecAddress, SameBytesAsTheCLibrary) {
  for (std::string v6 : {"::1", "::", "2001:db8::1", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8", "::ffff:10.0.0.1",
                         "1::", "1:2:3:4:5:6::8", "0:0:0:0:0:0:0:1", "ABCD:ef01::", "64:ff9b::192.0.2.33"}) {
    ReadyCheck r;
    ASSERT_TRUE(Parse("[" + v6 + "]", &r)) << v6;
    uint8_t want[16];
    ASSERT_EQ(1, inet_pton(AF_INET6, v6.c_str(), want)) << v6;
    EXPECT_TRUE(r.ipv6);
    EXPECT_EQ(0, memcmp(want, r.addr, 16)) << v6;
  }
  for (std::string v4 : {"127.0.0.1", "0.0.0.0", "255.255.255.255", "10.1.2.3"}) {
    ReadyCheck r;
    ASSERT_TRUE(Parse(v4, &r)) << v4;
    uint8_t want[4];
    ASSERT_EQ(1, inet_pton(AF_INET, v4.c_str(), want));
    EXPECT_FALSE(r.ipv6);
    EXPECT_EQ(0, memcmp(want, r.addr, 4)) << v4;
  }
}

TEST(SpecAddress, MalformedHostsAreRejected) {
  for (std::string bad : {"[1::2::3]", "[12345::]", "[::1:]", "[:1]", "[1:2:3:4:5:6:7:8:9]", "[1:2:3:4:5:6:7]",
                          "[::ffff:1.2.3]", "[g::1]", "[]", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3",
                          "a.b.c.d", "example.com"}) {
    ReadyCheck r;
    EXPECT_FALSE(Parse(bad, &r)) << bad;
  }
}

}  // namespace
