// TakeSecretEnvVar: secret-bearing variables moved out of the process environment (see
// secret_env.h).
#include "core/secret_env.h"

#include <string.h>  // explicit_bzero
#include <unistd.h>  // environ

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace locksmith::internal {
namespace {

constexpr std::array<std::string_view, 7> kSecretBearingVars = {
    "VAULT_TOKEN",
    "VAULT_SECRET_ID",
    "LOCKSMITH_MASTER_KEY",
    "LOCKSMITH_AGENT_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
};

// The block of "NAME=value" strings the kernel copied onto the stack at exec: what
// /proc/PID/environ shows for the life of the process, whatever setenv and unsetenv do later.
struct EnvironmentBlock {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
  bool Holds(const char* entry) const {
    const auto at = reinterpret_cast<std::uintptr_t>(entry);
    return at >= begin && at < end;
  }
};

// env_start and env_end, fields 50 and 51 of /proc/self/stat (Linux 3.5+). An empty block when
// /proc cannot be read: the variables are still unset, their original bytes stay.
EnvironmentBlock ReadEnvironmentBlock() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Field 2, the command name, may hold spaces and ')': count fields after its last ')'.
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return {};
  }
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  EnvironmentBlock block;
  for (int number = 3; fields >> field; ++number) {
    if (number == 50) {
      block.begin = std::strtoull(field.c_str(), nullptr, 10);
    } else if (number == 51) {
      block.end = std::strtoull(field.c_str(), nullptr, 10);
      return block;
    }
  }
  return {};
}

struct TakenVars {
  std::mutex mu;
  std::map<std::string, SecretValue, std::less<>> values;  // guarded by mu
};

TakenVars& Taken() {
  static TakenVars taken;
  return taken;
}

}  // namespace

bool IsSecretBearingEnvVar(std::string_view name) {
  for (std::string_view secret : kSecretBearingVars) {
    if (name == secret) {
      return true;
    }
  }
  return false;
}

std::optional<SecretValue> TakeSecretEnvVar(std::string_view name) {
  static const EnvironmentBlock kBlock = ReadEnvironmentBlock();
  TakenVars& taken = Taken();
  std::lock_guard lock(taken.mu);
  const std::string key(name);
  // Every "NAME=" entry: an environment may hold a name twice, and unsetenv removes them all.
  std::vector<char*> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    if (std::string_view(*entry).starts_with(key + "=")) {
      entries.push_back(*entry);
    }
  }
  if (!entries.empty()) {
    const char* value = std::getenv(key.c_str());  // the entry getenv would have answered
    taken.values.insert_or_assign(key, SecretValue(value != nullptr ? value : ""));
    ::unsetenv(key.c_str());
    // Nothing points at the entries any more. Only those in the exec-time block are written:
    // a string given to putenv may be read-only, and setenv's copies are not in /proc/PID/environ.
    for (char* entry : entries) {
      if (kBlock.Holds(entry)) {
        explicit_bzero(entry, std::strlen(entry));
      }
    }
  }
  auto found = taken.values.find(name);
  if (found == taken.values.end()) {
    return std::nullopt;
  }
  return found->second.Clone();
}

void TakeAllSecretEnvVars() {
  for (std::string_view name : kSecretBearingVars) {
    (void)TakeSecretEnvVar(name);
  }
}

}  // namespace locksmith::internal
