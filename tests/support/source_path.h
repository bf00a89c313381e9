// Where tests find the repository's own files (test servers, scripts, test data). Paths are
// relative to the source root, where ctest runs every test (tests/CMakeLists.txt); to run a test
// binary by hand from elsewhere, set LOCKSMITH_SOURCE_DIR to the source root. Not a
// compile-time path (__FILE__ or -D...): ccache rewrites those relative to the build directory and
// they would tie cached objects to one checkout.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

namespace locksmith::testing {

inline std::string SourcePath(std::string_view relative) {
  const char* root = std::getenv("LOCKSMITH_SOURCE_DIR");
  std::string path = root != nullptr && *root != '\0' ? std::string(root) + "/" : std::string();
  path += relative;
  return path;
}

}  // namespace locksmith::testing
