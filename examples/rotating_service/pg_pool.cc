#include "pg_pool.h"

#include <pqxx/connection>
#include <pqxx/except>
#include <utility>

#include "log.h"

namespace rotating_service {
namespace {

using locksmith::Error;
using locksmith::ErrorCode;
using locksmith::MakeError;

// A libpq keyword/value connection string value: quoted, with ' and \ escaped.
void AppendQuoted(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += "='";
  for (char c : value) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += "' ";
}

// The server's words for a refused credential (a failed connection carries no SQLSTATE in
// libpq; these are the texts of 28P01 and 28000). The text itself is never repeated.
bool IsAuthFailureText(std::string_view text) {
  return text.find("authentication failed") != std::string_view::npos ||
         text.find("no pg_hba.conf entry") != std::string_view::npos ||
         (text.find("role") != std::string_view::npos &&
          text.find("does not exist") != std::string_view::npos);
}

// The exception being handled, as an error that names `doing` and at most the SQLSTATE.
Error CurrentError(std::string_view doing) {
  const std::string what(doing);
  try {
    throw;
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    if (state.rfind("28", 0) == 0) {
      return MakeError(ErrorCode::kUnauthenticated,
                       what + ": credential refused (SQLSTATE " + state + ")");
    }
    if (state.rfind("08", 0) == 0 || state.rfind("57", 0) == 0) {
      return MakeError(ErrorCode::kUnavailable,
                       what + ": connection failure (SQLSTATE " + state + ")");
    }
    return MakeError(ErrorCode::kInternal,
                     what + ": database error (SQLSTATE " + (state.empty() ? "?" : state) + ")");
  } catch (const pqxx::broken_connection& e) {
    if (IsAuthFailureText(e.what())) {
      return MakeError(ErrorCode::kUnauthenticated, what + ": the server refused the credential");
    }
    return MakeError(ErrorCode::kUnavailable, what + ": cannot reach the database");
  } catch (const pqxx::in_doubt_error&) {
    // Not kUnavailable: the commit may have happened, so the request is not retried.
    return MakeError(ErrorCode::kAborted, what + ": connection lost during commit");
  } catch (const std::exception&) {
    return MakeError(ErrorCode::kInternal, what + ": unexpected database failure");
  }
}

}  // namespace

struct PgPool::Pooled {
  std::unique_ptr<pqxx::connection> conn;
  std::uint64_t generation = 0;
};

PgPool::PgPool(locksmith::SecretsManager& secrets, std::string secret_name, DbDefaults defaults,
               PgPoolOptions options)
    : secrets_(secrets),
      secret_name_(std::move(secret_name)),
      defaults_(std::move(defaults)),
      options_(options) {}

PgPool::~PgPool() { subscription_.reset(); }

locksmith::Result<std::unique_ptr<PgPool>> PgPool::Create(locksmith::SecretsManager& secrets,
                                                          std::string secret_name,
                                                          DbDefaults defaults,
                                                          PgPoolOptions options) {
  if (options.size == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "pool size must be at least 1");
  }
  std::unique_ptr<PgPool> pool(
      new PgPool(secrets, std::move(secret_name), std::move(defaults), options));
  LOCKSMITH_ASSIGN_OR_RETURN(locksmith::SecretValue secret, secrets.Get(pool->secret_name_));
  LOCKSMITH_RETURN_IF_ERROR(pool->Install(secret, "start"));
  PgPool* self = pool.get();
  pool->subscription_ =
      secrets.Subscribe(pool->secret_name_, [self](const locksmith::SecretUpdate& update) {
        // Runs on the manager's refresh thread: only swaps the credential; connections open on
        // the next request.
        auto installed =
            self->Install(update.value, "rotation to version " + update.version.version_id);
        if (!installed.ok()) {
          Log("database credential not changed: " + installed.error().ToString());
        }
      });
  // Check the credential now (with the one refresh-and-retry of any request).
  LOCKSMITH_RETURN_IF_ERROR(pool->Run("connecting to PostgreSQL", [](pqxx::connection&) {}));
  return pool;
}

locksmith::Result<void> PgPool::Install(const locksmith::SecretValue& secret,
                                        std::string_view why) {
  LOCKSMITH_ASSIGN_OR_RETURN(DbCredential parsed,
                             ParseDbCredential(secret_name_, secret, defaults_));
  auto next = std::make_shared<const DbCredential>(std::move(parsed));
  std::vector<std::unique_ptr<Pooled>> closing;
  {
    std::lock_guard lock(mu_);
    if (credential_ && credential_->username == next->username &&
        credential_->password == next->password && credential_->host == next->host &&
        credential_->port == next->port && credential_->dbname == next->dbname) {
      return locksmith::OkResult();  // same credential (e.g. a refresh found nothing new)
    }
    const bool first = credential_ == nullptr;
    credential_ = std::move(next);
    ++generation_;
    closing.swap(idle_);
    open_ -= closing.size();
    if (!first) {
      Log("database credential changed (" + std::string(why) + "): user '" + credential_->username +
          "', " + std::to_string(closing.size()) + " idle connection(s) closed, pool rebuilt");
    }
  }
  freed_.notify_all();
  return locksmith::OkResult();  // `closing` disconnects here, outside the lock
}

locksmith::Result<void> PgPool::RefreshCredential() {
  LOCKSMITH_ASSIGN_OR_RETURN(locksmith::SecretValue secret, secrets_.Refresh(secret_name_));
  return Install(secret, "refreshed after an authentication failure");
}

locksmith::Result<std::unique_ptr<PgPool::Pooled>> PgPool::Acquire(bool* reused) {
  Credential credential;
  std::uint64_t generation = 0;
  {
    std::unique_lock lock(mu_);
    if (!freed_.wait_for(lock, options_.acquire_timeout,
                         [this] { return !idle_.empty() || open_ < options_.size; })) {
      return MakeError(ErrorCode::kUnavailable, "all database connections are busy");
    }
    if (!idle_.empty()) {
      std::unique_ptr<Pooled> conn = std::move(idle_.back());
      idle_.pop_back();
      *reused = true;
      return conn;
    }
    ++open_;
    credential = credential_;
    generation = generation_;
  }
  *reused = false;
  std::string dsn;
  AppendQuoted(dsn, "host", credential->host);
  if (!credential->port.empty()) {
    AppendQuoted(dsn, "port", credential->port);
  }
  AppendQuoted(dsn, "dbname", credential->dbname);
  AppendQuoted(dsn, "user", credential->username);
  AppendQuoted(dsn, "password", credential->password.RevealUnsafe());
  AppendQuoted(dsn, "connect_timeout", std::to_string(options_.connect_timeout.count()));
  AppendQuoted(dsn, "application_name", "rotating_service");
  auto pooled = std::make_unique<Pooled>();
  pooled->generation = generation;
  locksmith::Result<void> connected = [&]() -> locksmith::Result<void> {
    try {
      pooled->conn = std::make_unique<pqxx::connection>(dsn);
      return locksmith::OkResult();
    } catch (...) {
      return CurrentError("connecting to PostgreSQL");
    }
  }();
  WipeString(dsn);
  if (!connected.ok()) {
    {
      std::lock_guard lock(mu_);
      --open_;
    }
    freed_.notify_one();
    return std::move(connected).error();
  }
  return pooled;
}

void PgPool::Release(std::unique_ptr<Pooled> conn) {
  std::unique_ptr<Pooled> closing;
  {
    std::lock_guard lock(mu_);
    if (conn && conn->conn && conn->conn->is_open() && conn->generation == generation_) {
      idle_.push_back(std::move(conn));
    } else {
      closing = std::move(conn);  // an old credential's connection, or a broken one
      --open_;
    }
  }
  freed_.notify_one();
}

locksmith::Result<void> PgPool::Attempt(std::string_view doing,
                                        const std::function<void(pqxx::connection&)>& fn,
                                        bool* reused) {
  LOCKSMITH_ASSIGN_OR_RETURN(std::unique_ptr<Pooled> conn, Acquire(reused));
  locksmith::Result<void> result = [&]() -> locksmith::Result<void> {
    try {
      fn(*conn->conn);
      return locksmith::OkResult();
    } catch (...) {
      return CurrentError(doing);
    }
  }();
  if (!result.ok() && result.error().code != ErrorCode::kInternal) {
    conn->conn.reset();  // not returned to the pool
  }
  Release(std::move(conn));
  return result;
}

locksmith::Result<void> PgPool::Run(std::string_view doing,
                                    const std::function<void(pqxx::connection&)>& fn) {
  bool refreshed = false;
  bool reconnected = false;
  for (;;) {
    bool reused = false;
    locksmith::Result<void> result = Attempt(doing, fn, &reused);
    if (result.ok()) {
      return result;
    }
    const ErrorCode code = result.error().code;
    if (code == ErrorCode::kUnauthenticated && !refreshed) {
      // The password may have changed in the server before the secret's new version became
      // current here: read it again once, then retry.
      refreshed = true;
      Log("database refused the credential; reading '" + secret_name_ + "' again");
      if (auto again = RefreshCredential(); !again.ok()) {
        Log("refreshing '" + secret_name_ + "' failed: " + again.error().ToString());
        return result;
      }
      continue;
    }
    if (code == ErrorCode::kUnavailable && reused && !reconnected) {
      // A pooled connection that died while idle (server restart, killed session): the
      // statement did not run (a lost commit is kAborted, never retried). Once more, on a
      // fresh connection.
      reconnected = true;
      continue;
    }
    return result;
  }
}

}  // namespace rotating_service
