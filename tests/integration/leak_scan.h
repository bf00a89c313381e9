// The leak scans' common step: no planted value in any captured text, nor in the argv of any
// child process spawned so far (secrets travel only in the environment, files and stdin).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "integration/child_process.h"

namespace locksmith::testing {

// EXPECTs that no needle occurs; returns how many bytes of captured text were scanned, so the
// caller can check the scan looked at real output.
inline std::size_t ExpectNoNeedleLeaked(const std::vector<std::string>& captured,
                                        const std::vector<std::string>& needles) {
  std::size_t scanned = 0;
  for (const std::string& text : captured) {
    scanned += text.size();
    for (const std::string& needle : needles) {
      EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr(needle)));
    }
  }
  for (const auto& argv : SpawnedArgvs()) {
    for (const std::string& arg : argv) {
      for (const std::string& needle : needles) {
        EXPECT_THAT(arg, ::testing::Not(::testing::HasSubstr(needle)));
      }
    }
  }
  return scanned;
}

}  // namespace locksmith::testing
