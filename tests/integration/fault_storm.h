// Support for the fault-injection (Fault*) and storm (Storm*) tests: ways to
// start cinit in a hostile environment, and to measure it from outside.
//
// Helper programs. Some scenarios need a program no shell can be: a wrapper
// that takes resources away from cinit right before exec'ing it (a tiny
// RLIMIT_NOFILE, a pids cgroup, a hidden /etc/passwd, a read-only state
// directory), or a main that makes 50,000 orphans or counts 100,000
// signals. Rather than add build targets, the integration test binary is
// itself the helper: started with HARDEN_HELPER=1 in its environment and a
// helper name as argv[1], it runs that helper before gtest ever starts
// (fault_helpers_test.cpp describes each).
//
// Measurements come from /proc: VmRSS and the entries of /proc/PID/fd of
// the cinit process, as the test sees it (its real pid, not 1).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness.h"

namespace cinit_test {
namespace hard {

// The environment entry that turns the test binary into a helper.
inline const char kHelperEnv[] = "HARDEN_HELPER=1";

// This test binary, for running it as a helper.
std::string SelfPath();

// True if the cinit under test was built with ASan/UBSan (tests/sanitize):
// its runtime needs descriptors, threads and address space of its own, so
// tests that starve cinit of exactly those skip themselves.
bool CinitIsSanitized();

// Starts cinit through the "wrap" helper, which applies wrapper_options
// (see kWrapUsage in fault_helpers_test.cpp: --nofile N, --nproc N,
// --uid N, --cgroup DIR, --tmpfs DIR, --ro-tmpfs DIR, --bind SRC DST,
// --mkdir DIR, --symlink TARGET LINK, --stdout FILE, --nice N) in the order given and
// then execs the real cinit with options.args. mode, env and the rest of
// options work as usual; HARDEN_HELPER=1 is added to the environment.
std::unique_ptr<Cinit> StartWrapped(Options options, const std::vector<std::string>& wrapper_options);
RunResult RunWrapped(Options options, const std::vector<std::string>& wrapper_options,
                     Ms timeout = kDefaultTimeout);

// The value of ASAN_OPTIONS for a cinit that may not start threads (LSan's
// leak check at exit clones one): the caller's options plus detect_leaks=0.
std::string AsanOptionsWithoutLeakCheck();

// Resident memory of pid in kB (VmRSS), -1 if it is gone.
long RssKb(pid_t pid);
// Open descriptors of pid, -1 if it is gone.
int FdCount(pid_t pid);
// Waits until cinit sleeps in its one blocking call (ppoll(2), or read(2)
// on the signalfd when that is all it waits for), i.e. it has finished the
// loop pass it was in: state file written, output pumped. For the few
// checks that need "cinit has done all it will do for now"; no event exists.
bool WaitIdle(pid_t pid, Ms timeout = kDefaultTimeout);
// Lines of text that contain needle.
int CountLines(const std::string& text, const std::string& needle);
// What the kernel's pid counter may still hand out, system-wide.
long FreePids();

// A pids cgroup of our own (cgroup v1 "pids" hierarchy, or a cgroup v2
// child with the pids controller), removed with everything in it.
class PidsCgroup {
 public:
  PidsCgroup();
  ~PidsCgroup();
  PidsCgroup(const PidsCgroup&) = delete;
  PidsCgroup& operator=(const PidsCgroup&) = delete;

  // False (with why()) when this system offers no writable pids cgroup.
  bool ok() const { return !path_.empty(); }
  const std::string& why() const { return why_; }
  const std::string& path() const { return path_; }
  bool SetMax(const std::string& value) const;  // "max" or a number
  long Current() const;                         // pids.current
  long ForkFailures() const;                    // "max" in pids.events
  std::vector<pid_t> Procs() const;

 private:
  std::string path_;
  std::string why_;
};

// Prints a figure for the README ("STORM signals: ...") and records it as
// a test property, so it shows in the log and in --gtest_output=xml.
void Report(const std::string& key, const std::string& text);

}  // namespace hard
}  // namespace cinit_test
