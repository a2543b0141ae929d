/* SPDX-License-Identifier: Apache-2.0 */
// A fuzz invariant: a violated one stops the run like a crash would.
#ifndef FERRY_TESTS_FUZZ_FUZZ_CHECK_H_
#define FERRY_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                 \
  do {                                                                   \
    if (!(cond)) {                                                       \
      std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #cond, \
                   __FILE__, __LINE__);                                  \
      std::abort();                                                      \
    }                                                                    \
  } while (0)

// Text ferry shows people: printable ASCII only, no line breaks.
inline bool Printable(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return false;
  }
  return true;
}

#endif  // FERRY_TESTS_FUZZ_FUZZ_CHECK_H_
