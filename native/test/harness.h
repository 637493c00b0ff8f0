// The native tests' shared tally: expect() counts a check and prints it when it fails;
// finish() prints "N passed, N failed" and gives main's exit status.
#pragma once
#include <cstdio>
#include <string>

namespace neurite_test {

inline int g_passed = 0, g_failed = 0;

inline void expect(bool ok, const std::string& name, const std::string& detail = "") {
  if (ok) {
    ++g_passed;
  } else {
    ++g_failed;
    std::printf("FAIL %s%s%s\n", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  }
}

inline int finish() {
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

}  // namespace neurite_test
