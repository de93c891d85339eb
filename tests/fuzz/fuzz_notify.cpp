// Fuzz target: the sd_notify datagram parser (ParseNotify in src/notify.h),
// compared with a plain reference written from notify.h's wording and
// sd_notify(3), not from the code:
//   a datagram is lines split at '\n' (the last may lack its newline);
//   it is refused when empty, when it holds a NUL byte, or when a
//   non-empty line has no '=' or nothing before it; empty lines and
//   unknown keys are ignored. READY=1 or STOPPING=1 on any line counts
//   (as systemd reads them); of several STATUS= lines the last one wins.
// A refused datagram leaves nothing behind; STATUS= text points into the
// datagram and never spans a newline.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "notify.h"

namespace {

struct Reference {
  bool ok = false, ready = false, stopping = false, has_status = false;
  std::string_view status;
};

Reference Parse(std::string_view d) {
  Reference r;
  if (d.empty() || d.find('\0') != std::string_view::npos) return r;
  size_t start = 0;
  while (start <= d.size()) {
    size_t nl = d.find('\n', start);
    if (nl == std::string_view::npos) nl = d.size();
    std::string_view line = d.substr(start, nl - start);
    start = nl + 1;
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) return Reference{};
    if (line == "READY=1") r.ready = true;
    if (line == "STOPPING=1") r.stopping = true;
    if (line.substr(0, 7) == "STATUS=") r.has_status = true, r.status = line.substr(7);
  }
  r.ok = true;
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > static_cast<size_t>(kNotifyMaxDatagram)) return 0;
  // A copy of exactly the datagram's bytes, so ASan catches a read past it.
  std::vector<char> d(data, data + size);
  std::string_view text(d.data(), size);
  NotifyMessage m;
  m.ready = m.stopping = m.has_status = true;  // must be reset either way
  bool ok = ParseNotify(d.data(), static_cast<int>(size), &m);
  Reference want = Parse(text);
  FUZZ_REQUIRE(ok == want.ok);
  FUZZ_REQUIRE(m.ready == want.ready);
  FUZZ_REQUIRE(m.stopping == want.stopping);
  FUZZ_REQUIRE(m.has_status == want.has_status);
  if (m.has_status) {
    FUZZ_REQUIRE(m.status.data() >= d.data() && m.status.data() + m.status.size() <= d.data() + size);
    FUZZ_REQUIRE(m.status.find('\n') == std::string_view::npos);
    FUZZ_REQUIRE(m.status.data() == want.status.data() && m.status.size() == want.status.size());
  } else {
    FUZZ_REQUIRE(m.status.empty());
  }
  return 0;
}
