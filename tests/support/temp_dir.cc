#include "support/temp_dir.h"

#include <cstdlib>
#include <string>
#include <system_error>

namespace locksmith::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "locksmith-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::abort();
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace locksmith::testing
