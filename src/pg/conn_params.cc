#include "pg/conn_params.h"

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include <cstring>

namespace locksmith::internal {
namespace {

SecretValue NulTerminated(std::string_view value) {
  SecretValue out = SecretValue::Zeroed(value.size() + 1);
  if (!value.empty()) {
    std::memcpy(out.MutableBytesUnsafe().data(), value.data(), value.size());
  }
  return out;
}

}  // namespace

Result<PgConnParams> PgConnParams::Parse(const SecretValue& dsn) {
  char* parse_error = nullptr;
  std::string text(dsn.RevealUnsafe());
  PQconninfoOption* options = PQconninfoParse(text.c_str(), &parse_error);
  OPENSSL_cleanse(text.data(), text.size());
  if (options == nullptr) {
    // libpq's message is not repeated: it quotes the DSN.
    PQfreemem(parse_error);
    return MakeError(ErrorCode::kInvalidArgument,
                     "the DSN is not a valid libpq connection string or URI");
  }
  PgConnParams params;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val != nullptr) {
      params.Set(option->keyword, option->val);
      OPENSSL_cleanse(option->val, std::strlen(option->val));
    }
  }
  PQconninfoFree(options);
  return params;
}

PgConnParams PgConnParams::Clone() const {
  PgConnParams copy;
  copy.entries_.reserve(entries_.size());
  for (const auto& [key, val] : entries_) {
    copy.entries_.emplace_back(key, val.Clone());
  }
  return copy;
}

void PgConnParams::Set(std::string_view keyword, std::string_view value) {
  for (auto& [key, val] : entries_) {
    if (key == keyword) {
      val = NulTerminated(value);
      return;
    }
  }
  entries_.emplace_back(std::string(keyword), NulTerminated(value));
}

void PgConnParams::SetDefault(std::string_view keyword, std::string_view value) {
  if (Get(keyword).empty()) {
    Set(keyword, value);
  }
}

std::string_view PgConnParams::Get(std::string_view keyword) const {
  for (const auto& [key, val] : entries_) {
    if (key == keyword) {
      std::string_view bytes = val.RevealUnsafe();
      return bytes.substr(0, bytes.size() - 1);
    }
  }
  return {};
}

std::vector<const char*> PgConnParams::Keywords() const {
  std::vector<const char*> out;
  out.reserve(entries_.size() + 1);
  for (const auto& entry : entries_) {
    out.push_back(entry.first.c_str());
  }
  out.push_back(nullptr);
  return out;
}

std::vector<const char*> PgConnParams::Values() const {
  std::vector<const char*> out;
  out.reserve(entries_.size() + 1);
  for (const auto& entry : entries_) {
    out.push_back(entry.second.RevealUnsafe().data());
  }
  out.push_back(nullptr);
  return out;
}

}  // namespace locksmith::internal
