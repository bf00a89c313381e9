#pragma once

// FUZZ_CHECK(condition, what): a property a fuzz target asserts beyond "no crash" (a round trip,
// agreement with a second implementation). A failure prints `what` and aborts, which libFuzzer
// records as a crash with its input. The message names the property, never the input's bytes.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                         \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", what, __FILE__, __LINE__); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)
