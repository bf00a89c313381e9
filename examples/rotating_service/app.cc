#include "app.h"

#include <unistd.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/connection>
#include <pqxx/transaction>
#include <span>

#include "log.h"

namespace rotating_service {
namespace {

using json = nlohmann::json;
using locksmith::Error;
using locksmith::ErrorCode;

constexpr std::size_t kMaxEmailBytes = 254;  // RFC 5321's path limit
constexpr char kCounterKey[] = "rotating_service:count";

Response Json(int status, const json& body) { return {status, body.dump()}; }

Response Fail(int status, std::string_view code, std::string_view message) {
  return Json(status, {{"error", {{"code", code}, {"message", message}}}});
}

// A library or back-end error as an answer. The error's message names only what failed (the
// library's messages never hold secrets), and it goes to the log, not to the client.
Response FromError(const Error& error, std::string_view what) {
  Log(std::string(what) + ": " + error.ToString());
  switch (error.code) {
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
      return Fail(503, std::string(what) + "_credential_refused",
                  std::string(what) + " refused the service's credential");
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded:
    case ErrorCode::kAborted:
      return Fail(503, std::string(what) + "_unavailable", std::string(what) + " is unavailable");
    case ErrorCode::kDataLoss:
      return Fail(500, "decryption_failed", "stored data could not be decrypted");
    default:
      return Fail(500, "internal", "internal error");
  }
}

std::optional<json> ParseBody(const std::string& body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return std::nullopt;
  }
  return doc;
}

std::string EmailContext(std::int64_t id) { return "users.encrypted_email." + std::to_string(id); }

// A positive user id from a JSON number or a decimal string.
std::optional<std::int64_t> UserId(const json& value) {
  if (value.is_number_integer()) {
    auto id = value.get<std::int64_t>();
    return id > 0 ? std::optional(id) : std::nullopt;
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    auto id = std::stoll(s);
    return id > 0 ? std::optional(id) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

App::App(locksmith::JwtKeyRing& jwt, locksmith::EncryptionKeyRing& keys, PgPool& db,
         RedisClient& redis, std::chrono::seconds token_ttl)
    : jwt_(jwt), keys_(keys), db_(db), redis_(redis), token_ttl_(token_ttl) {}

locksmith::Result<void> App::Migrate(PgPool& db) {
  return db.Run("creating the users table", [](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec(
        "CREATE TABLE IF NOT EXISTS users (id bigserial PRIMARY KEY, encrypted_email text NOT "
        "NULL)");
    tx.commit();
  });
}

Response App::Handle(const Request& request) {
  const std::string& m = request.method;
  const std::string& p = request.path;
  if (p == "/users") {
    return m == "POST" ? CreateUser(request) : Fail(405, "method_not_allowed", "use POST");
  }
  if (p == "/login") {
    return m == "POST" ? Login(request) : Fail(405, "method_not_allowed", "use POST");
  }
  if (p == "/me") {
    return m == "GET" ? Me(request) : Fail(405, "method_not_allowed", "use GET");
  }
  if (p == "/count") {
    return m == "POST" ? Count() : Fail(405, "method_not_allowed", "use POST");
  }
  if (p == "/healthz") {
    return m == "GET" ? Health() : Fail(405, "method_not_allowed", "use GET");
  }
  return Fail(404, "not_found", "no such endpoint");
}

Response App::CreateUser(const Request& request) {
  std::optional<json> body = ParseBody(request.body);
  if (!body || !body->contains("email") || !(*body)["email"].is_string()) {
    return Fail(400, "bad_request", "expected a JSON object with an \"email\" string");
  }
  const std::string& email = (*body)["email"].get_ref<const std::string&>();
  if (email.empty() || email.size() > kMaxEmailBytes || email.find('@') == std::string::npos) {
    return Fail(400, "bad_email", "the email must hold an '@' and at most 254 bytes");
  }
  std::int64_t id = 0;
  std::optional<Error> encrypt_error;
  // The id is drawn first: it is part of the ciphertext's context, so a ciphertext copied to
  // another row does not decrypt there.
  auto stored = db_.Run("storing a user", [&](pqxx::connection& conn) {
    encrypt_error.reset();
    pqxx::work tx(conn);
    id = tx.exec1("SELECT nextval(pg_get_serial_sequence('users', 'id'))")[0].as<std::int64_t>();
    auto sealed = keys_.EncryptText(
        std::span(reinterpret_cast<const std::uint8_t*>(email.data()), email.size()),
        EmailContext(id));
    if (!sealed.ok()) {
      encrypt_error = sealed.error();
      return;  // the transaction rolls back
    }
    tx.exec_params("INSERT INTO users (id, encrypted_email) VALUES ($1, $2)", id, *sealed);
    tx.commit();
  });
  if (!stored.ok()) {
    return FromError(stored.error(), "database");
  }
  if (encrypt_error) {
    return FromError(*encrypt_error, "encryption");
  }
  return Json(201, {{"id", id}});
}

Response App::Login(const Request& request) {
  std::optional<json> body = ParseBody(request.body);
  std::optional<std::int64_t> id;
  if (body && body->contains("user_id")) {
    id = UserId((*body)["user_id"]);
  }
  if (!id) {
    return Fail(400, "bad_request", "expected a JSON object with a positive \"user_id\"");
  }
  bool exists = false;
  auto looked_up = db_.Run("looking up a user", [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    exists = !tx.exec_params("SELECT 1 FROM users WHERE id = $1", *id).empty();
  });
  if (!looked_up.ok()) {
    return FromError(looked_up.error(), "database");
  }
  if (!exists) {
    return Fail(404, "user_not_found", "no such user");
  }
  auto token = jwt_.Sign(json{{"sub", std::to_string(*id)}}.dump(), token_ttl_);
  if (!token.ok()) {
    return FromError(token.error(), "signing");
  }
  return Json(200, {{"token", *token}});
}

Response App::Me(const Request& request) {
  constexpr std::string_view kBearer = "Bearer ";
  const std::string& auth = request.authorization;
  if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0) {
    return Fail(401, "unauthenticated", "expected Authorization: Bearer <token>");
  }
  auto verified = jwt_.Verify(std::string_view(auth).substr(kBearer.size()));
  if (!verified.ok()) {
    // The library's message names the failed check ("jwt: expired"), never the token.
    return Fail(401, "invalid_token", verified.error().message);
  }
  std::optional<json> claims = ParseBody(verified->claims_json);
  std::optional<std::int64_t> id;
  if (claims && claims->contains("sub")) {
    id = UserId((*claims)["sub"]);
  }
  if (!id) {
    return Fail(401, "invalid_token", "the token names no user");
  }
  std::optional<std::string> sealed;
  auto read = db_.Run("reading a user", [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    pqxx::result rows = tx.exec_params("SELECT encrypted_email FROM users WHERE id = $1", *id);
    sealed.reset();
    if (!rows.empty()) {
      sealed = rows[0][0].as<std::string>();
    }
  });
  if (!read.ok()) {
    return FromError(read.error(), "database");
  }
  if (!sealed) {
    return Fail(404, "user_not_found", "no such user");
  }
  auto email = keys_.DecryptText(*sealed, EmailContext(*id));
  if (!email.ok()) {
    return FromError(email.error(), "decryption");
  }
  return Json(200, {{"id", *id}, {"email", std::string(email->RevealUnsafe())}});
}

Response App::Count() {
  auto count = redis_.Incr(kCounterKey);
  if (!count.ok()) {
    return FromError(count.error(), "redis");
  }
  return Json(200, {{"count", *count}});
}

Response App::Health() {
  return Json(200, {{"pid", static_cast<long long>(::getpid())},
                    {"jwt_signing_kid", jwt_.SigningKid()},
                    {"jwt_verifying_kids", jwt_.VerifyingKids()},
                    {"encryption_key_id", keys_.PrimaryKeyId()}});
}

}  // namespace rotating_service
