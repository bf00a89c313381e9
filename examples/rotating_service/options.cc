#include "options.h"

#include <charconv>
#include <cstdlib>
#include <map>
#include <string_view>

namespace rotating_service {
namespace {

using locksmith::ErrorCode;
using locksmith::MakeError;

constexpr char kUsage[] =
    "usage: rotating_service [--listen=ADDR:PORT] [--pg-host=H] [--pg-port=P] [--pg-db=D]\n"
    "       [--pg-user=U] [--pg-pool-size=N] [--redis-socket=PATH | --redis-host=H:P]\n"
    "       [--redis-user=U] [--threads=N]\n"
    "Secrets (database-password, redis-password, jwt-secret, db-encryption-key) come from the\n"
    "back end named by SECRETS_BACKEND (see examples/rotating_service/README.md).\n";

struct Flag {
  const char* env;
  const char* fallback;
};

const std::map<std::string_view, Flag>& Flags() {
  static const std::map<std::string_view, Flag> flags = {
      {"listen", {"LISTEN_ADDRESS", "127.0.0.1:0"}},
      {"pg-host", {"PG_HOST", "/var/run/postgresql"}},
      {"pg-port", {"PG_PORT", "5432"}},
      {"pg-db", {"PG_DATABASE", "app"}},
      {"pg-user", {"PG_USER", "app"}},
      {"pg-pool-size", {"PG_POOL_SIZE", "4"}},
      {"redis-socket", {"REDIS_SOCKET", ""}},
      {"redis-host", {"REDIS_HOST", "127.0.0.1:6379"}},
      {"redis-user", {"REDIS_USER", "default"}},
      {"threads", {"HTTP_THREADS", "4"}},
  };
  return flags;
}

locksmith::Result<long> Number(std::string_view flag, std::string_view text, long min, long max) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--" + std::string(flag) + ": expected a number from " + std::to_string(min) +
                         " to " + std::to_string(max));
  }
  return value;
}

// "host:port" or "[v6]:port".
locksmith::Result<std::pair<std::string, long>> HostPort(std::string_view flag,
                                                         std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--" + std::string(flag) + ": expected HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  LOCKSMITH_ASSIGN_OR_RETURN(long port, Number(flag, text.substr(colon + 1), 0, 65535));
  return std::pair(std::string(host), port);
}

}  // namespace

locksmith::Result<Options> ParseOptions(int argc, char** argv) {
  std::map<std::string_view, std::string> values;
  for (const auto& [name, flag] : Flags()) {
    const char* env = std::getenv(flag.env);
    values[name] = env != nullptr && *env != '\0' ? env : flag.fallback;
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      return MakeError(ErrorCode::kFailedPrecondition, kUsage);
    }
    const std::size_t eq = arg.find('=');
    if (arg.substr(0, 2) != "--" || eq == std::string_view::npos ||
        !Flags().contains(arg.substr(2, eq - 2))) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "unknown argument '" + std::string(arg) + "' (flags are --name=value)");
    }
    values[arg.substr(2, eq - 2)] = std::string(arg.substr(eq + 1));
  }
  Options options;
  LOCKSMITH_ASSIGN_OR_RETURN(auto listen, HostPort("listen", values["listen"]));
  options.listen_address = listen.first;
  options.listen_port = static_cast<std::uint16_t>(listen.second);
  options.db = {values["pg-host"], values["pg-port"], values["pg-db"], values["pg-user"]};
  LOCKSMITH_ASSIGN_OR_RETURN(long pool, Number("pg-pool-size", values["pg-pool-size"], 1, 64));
  options.pg_pool_size = static_cast<std::size_t>(pool);
  options.redis.socket = values["redis-socket"];
  LOCKSMITH_ASSIGN_OR_RETURN(auto redis, HostPort("redis-host", values["redis-host"]));
  options.redis.host = redis.first;
  options.redis.port = static_cast<int>(redis.second);
  options.redis.default_username = values["redis-user"];
  LOCKSMITH_ASSIGN_OR_RETURN(long threads, Number("threads", values["threads"], 1, 64));
  options.threads = static_cast<int>(threads);
  return options;
}

}  // namespace rotating_service
