#include "providers/vault/vault_auth.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "core/private_file.h"
#include "locksmith/log.h"

namespace locksmith::internal {
namespace {

using std::chrono::seconds;

// A file holding a credential (token or secret id), trailing whitespace trimmed. Often written
// by Vault Agent or mounted by an orchestrator, so no owner or mode rules; read into wiped memory.
Result<SecretValue> ReadCredentialFile(const std::filesystem::path& path, std::string_view what) {
  SecretFileRules rules;
  rules.private_to_owner = false;
  rules.max_size = 64 * 1024;
  Result<SecretValue> text = ReadSecretFile(path, "the " + std::string(what) + " file", rules);
  if (!text.ok()) {
    return MakeError(ErrorCode::kUnauthenticated, text.error().message);
  }
  std::string_view bytes = text->RevealUnsafe();
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r' || bytes.back() == ' ' ||
                            bytes.back() == '\t')) {
    bytes.remove_suffix(1);
  }
  SecretValue value(bytes);
  if (value.empty()) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "the " + std::string(what) + " file '" + path.string() + "' is empty");
  }
  return value;
}

const nlohmann::json* Field(const nlohmann::json& json, const char* key) {
  if (!json.is_object()) {
    return nullptr;
  }
  auto it = json.find(key);
  return it == json.end() ? nullptr : &*it;
}

std::int64_t IntField(const nlohmann::json& json, const char* key) {
  const auto* f = Field(json, key);
  return (f != nullptr && f->is_number_integer()) ? f->get<std::int64_t>() : 0;
}

bool BoolField(const nlohmann::json& json, const char* key) {
  const auto* f = Field(json, key);
  return f != nullptr && f->is_boolean() && f->get<bool>();
}

}  // namespace

VaultAuth::VaultAuth(const VaultApi& api, VaultAuthOptions options, Clock& clock, Random& random)
    : api_(api), options_(std::move(options)), clock_(clock), random_(random) {}

Result<std::unique_ptr<VaultAuth>> VaultAuth::Create(const VaultApi& api, VaultAuthOptions options,
                                                     Clock& clock, Random& random) {
  bool has_approle = !options.role_id.empty();
  if (has_approle && !options.secret_id.has_value() && options.secret_id_file.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "VAULT_ROLE_ID is set but there is no secret id (VAULT_SECRET_ID or a secret "
                     "id file)");
  }
  if (!has_approle && !options.token.has_value() && options.token_file.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no Vault credentials: set VAULT_ROLE_ID and VAULT_SECRET_ID, or VAULT_TOKEN");
  }
  std::unique_ptr<VaultAuth> auth(new VaultAuth(api, std::move(options), clock, random));
  {
    std::lock_guard op(auth->op_mu_);
    LOCKSMITH_RETURN_IF_ERROR(auth->LoginLocked());
  }
  if (auth->options_.background) {
    auth->thread_ = std::thread([raw = auth.get()] { raw->BackgroundLoop(); });
  }
  return auth;
}

VaultAuth::~VaultAuth() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool VaultAuth::CanLogin() const {
  return !options_.role_id.empty() || !options_.token_file.empty();
}

Result<void> VaultAuth::LoginLocked() {
  if (options_.role_id.empty()) {
    SecretValue token;
    if (!options_.token_file.empty()) {
      LOCKSMITH_ASSIGN_OR_RETURN(token, ReadCredentialFile(options_.token_file, "Vault token"));
    } else {
      token = options_.token->Clone();
    }
    {
      std::lock_guard lock(mu_);
      token_ = std::move(token);
      ++generation_;
    }
    return LookupInitialLocked();
  }

  SecretValue secret_id;
  if (options_.secret_id.has_value()) {
    secret_id = options_.secret_id->Clone();
  } else {
    LOCKSMITH_ASSIGN_OR_RETURN(secret_id,
                               ReadCredentialFile(options_.secret_id_file, "Vault secret id"));
  }
  nlohmann::json body = {{"role_id", options_.role_id},
                         {"secret_id", std::string(secret_id.RevealUnsafe())}};
  std::string text = DumpJsonWiping(body);
  WipeJsonStrings(body);
  auto reply =
      api_.Call("POST", "auth/" + options_.approle_mount + "/login", nullptr, std::move(text));
  if (!reply.ok()) {
    return std::move(reply).error();
  }
  if (reply->status == 400 || reply->status == 403 || reply->status == 401) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "vault: AppRole login rejected (invalid role or secret ID, HTTP " +
                         std::to_string(reply->status) + ")");
  }
  if (reply->status != 200) {
    return VaultError(*reply, "logging in with AppRole", BackendText::kOmit);
  }
  const auto* auth = Field(reply->json, "auth");
  const auto* client_token = auth != nullptr ? Field(*auth, "client_token") : nullptr;
  if (client_token == nullptr || !client_token->is_string()) {
    return MakeError(ErrorCode::kUnavailable, "vault: malformed AppRole login answer");
  }
  seconds lease(IntField(*auth, "lease_duration"));
  bool renewable = BoolField(*auth, "renewable");
  {
    std::lock_guard lock(mu_);
    token_ = SecretValue(client_token->get_ref<const std::string&>());
    ++generation_;
    requested_ttl_ = lease;
  }
  logins_++;
  Logger()->info("vault: logged in with AppRole (token TTL {}s, renewable {})", lease.count(),
                 renewable);
  ScheduleLocked(lease, renewable, /*capped=*/false);
  return OkResult();
}

Result<void> VaultAuth::LookupInitialLocked() {
  SecretValue token;
  {
    std::lock_guard lock(mu_);
    token = token_.Clone();
  }
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply, api_.Call("GET", "auth/token/lookup-self", &token));
  if (reply.status == 401 || VaultSaysInvalidToken(reply)) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "vault: token rejected (expired, revoked or mistyped)");
  }
  if (reply.status == 403) {
    // The token works but may not look itself up (a policy without Vault's default one): its TTL
    // is unknown, so it is used as it is, never renewed or replaced ahead of time. A token that is
    // in fact dead (on a Vault too old to say "invalid token") fails at its first read.
    if (!lookup_denied_warned_.exchange(true)) {
      Logger()->warn(
          "vault: the token may not read auth/token/lookup-self (permission denied): its TTL is "
          "unknown, so it will not be renewed or replaced before it expires; grant read on "
          "auth/token/lookup-self and update on auth/token/renew-self (Vault's default policy "
          "does) to keep it alive");
    }
    ScheduleLocked(seconds(0), /*renewable=*/false, /*capped=*/false);
    return OkResult();
  }
  if (reply.status != 200) {
    return VaultError(reply, "looking up the token", BackendText::kOmit);
  }
  const auto* data = Field(reply.json, "data");
  if (data == nullptr) {
    return MakeError(ErrorCode::kUnavailable, "vault: malformed lookup-self answer");
  }
  seconds ttl(IntField(*data, "ttl"));
  seconds creation_ttl(IntField(*data, "creation_ttl"));
  {
    std::lock_guard lock(mu_);
    requested_ttl_ = creation_ttl.count() > 0 ? creation_ttl : ttl;
  }
  ScheduleLocked(ttl, BoolField(*data, "renewable"), /*capped=*/false);
  return OkResult();
}

Result<void> VaultAuth::RenewLocked() {
  SecretValue token;
  seconds requested{0};
  {
    std::lock_guard lock(mu_);
    token = token_.Clone();
    requested = requested_ttl_;
  }
  nlohmann::json body = {{"increment", std::to_string(requested.count()) + "s"}};
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply,
                             api_.Call("POST", "auth/token/renew-self", &token, body.dump()));
  if (reply.status == 403 && CanLogin()) {
    Logger()->warn("vault: token renewal refused (token expired or revoked); logging in again");
    return LoginLocked();
  }
  if (reply.status != 200) {
    return VaultError(reply, "renewing the token", BackendText::kOmit);
  }
  const auto* auth = Field(reply.json, "auth");
  if (auth == nullptr) {
    return MakeError(ErrorCode::kUnavailable, "vault: malformed renew-self answer");
  }
  seconds lease(IntField(*auth, "lease_duration"));
  bool capped = lease < requested;
  renewals_++;
  if (capped) {
    Logger()->info(
        "vault: token renewed for {}s, less than the {}s asked (max TTL near); will log in again "
        "before it expires",
        lease.count(), requested.count());
  }
  ScheduleLocked(lease, BoolField(*auth, "renewable"), capped);
  return OkResult();
}

std::chrono::steady_clock::duration VaultAuth::Jittered(std::chrono::steady_clock::duration d) {
  // Up to 10% earlier, so a fleet started together does not renew in lockstep.
  auto permille = static_cast<std::int64_t>(random_.Uniform(1000));
  return d - d * permille / 10000;
}

void VaultAuth::ScheduleLocked(seconds lease, bool renewable, bool capped) {
  auto now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    if (lease.count() <= 0) {
      expires_at_.reset();
      next_action_at_.reset();
      next_action_ = Action::kNone;
    } else {
      expires_at_ = now + lease;
      auto due =
          now +
          Jittered(std::chrono::duration_cast<std::chrono::steady_clock::duration>(lease * 2 / 3));
      if (renewable && !capped) {
        next_action_ = Action::kRenew;
        next_action_at_ = due;
      } else if (CanLogin()) {
        next_action_ = Action::kLogin;
        next_action_at_ = due;
      } else {
        next_action_ = Action::kNone;
        next_action_at_.reset();
        Logger()->warn(
            "vault: the token expires in {}s and cannot be renewed or replaced (no AppRole or "
            "token file configured)",
            lease.count());
      }
    }
  }
  cv_.notify_all();
}

void VaultAuth::ScheduleRetryLocked() {
  auto now = clock_.Now();
  std::lock_guard lock(mu_);
  std::chrono::steady_clock::duration delay = seconds(30);
  if (expires_at_.has_value()) {
    auto remaining = *expires_at_ - now;
    if (remaining <= std::chrono::steady_clock::duration::zero()) {
      if (CanLogin()) {
        next_action_ = Action::kLogin;
      }
    } else {
      delay =
          std::max<std::chrono::steady_clock::duration>(std::min(delay, remaining / 2), seconds(1));
    }
  }
  if (next_action_ == Action::kNone && CanLogin()) {
    next_action_ = Action::kLogin;
  }
  next_action_at_ = now + delay;
}

void VaultAuth::RunDue() {
  std::lock_guard op(op_mu_);
  Action action = Action::kNone;
  {
    std::lock_guard lock(mu_);
    if (!next_action_at_.has_value() || clock_.Now() < *next_action_at_) {
      return;
    }
    action = next_action_;
  }
  Result<void> done = OkResult();
  if (action == Action::kRenew) {
    done = RenewLocked();
  } else if (action == Action::kLogin) {
    done = LoginLocked();
  }
  if (!done.ok()) {
    Logger()->warn("vault: token {} failed, will retry: {}",
                   action == Action::kRenew ? "renewal" : "login", done.error().ToString());
    ScheduleRetryLocked();
  }
}

std::optional<std::chrono::steady_clock::time_point> VaultAuth::NextActionAt() const {
  std::lock_guard lock(mu_);
  return next_action_at_;
}

void VaultAuth::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void VaultAuth::BackgroundLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    std::chrono::steady_clock::duration wait = std::chrono::hours(1);
    if (next_action_at_.has_value()) {
      wait = std::max(*next_action_at_ - clock_.Now(), std::chrono::steady_clock::duration::zero());
    }
    if (wait > std::chrono::steady_clock::duration::zero()) {
      // Real time is what the thread can wait on; the injected clock decides what is due.
      cv_.wait_for(lock, wait, [this] { return stop_ || woken_; });
    }
    woken_ = false;
    if (stop_) {
      break;
    }
    lock.unlock();
    RunDue();
    lock.lock();
  }
}

Result<VaultAuth::Token> VaultAuth::Current() {
  bool expired = false;
  {
    std::lock_guard lock(mu_);
    expired = expires_at_.has_value() && clock_.Now() >= *expires_at_;
  }
  if (expired && CanLogin()) {
    std::lock_guard op(op_mu_);
    bool still_expired = false;
    {
      std::lock_guard lock(mu_);
      still_expired = expires_at_.has_value() && clock_.Now() >= *expires_at_;
    }
    if (still_expired) {
      LOCKSMITH_RETURN_IF_ERROR(LoginLocked());
    }
  }
  std::lock_guard lock(mu_);
  return Token{token_.Clone(), generation_};
}

Result<bool> VaultAuth::RecoverFromForbidden(std::uint64_t generation) {
  std::lock_guard op(op_mu_);
  SecretValue token;
  {
    std::lock_guard lock(mu_);
    if (generation_ != generation) {
      return true;  // another caller already logged in again
    }
    token = token_.Clone();
  }
  if (!CanLogin()) {
    return false;
  }
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply, api_.Call("GET", "auth/token/lookup-self", &token));
  if (reply.status == 200) {
    return false;  // the token is alive: a real permission denial
  }
  if (reply.status != 403 && reply.status != 401) {
    return false;
  }
  Logger()->warn("vault: token no longer valid (expired or revoked); logging in again");
  LOCKSMITH_RETURN_IF_ERROR(LoginLocked());
  return true;
}

Result<VaultTokenInfo> VaultAuth::LookupSelf() {
  LOCKSMITH_ASSIGN_OR_RETURN(Token token, Current());
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply,
                             api_.Call("GET", "auth/token/lookup-self", &token.value));
  if (reply.status != 200) {
    return VaultError(reply, "looking up the token", BackendText::kOmit);
  }
  const auto* data = Field(reply.json, "data");
  if (data == nullptr) {
    return MakeError(ErrorCode::kUnavailable, "vault: malformed lookup-self answer");
  }
  VaultTokenInfo info;
  info.ttl = seconds(IntField(*data, "ttl"));
  info.renewable = BoolField(*data, "renewable");
  if (const auto* policies = Field(*data, "policies"); policies && policies->is_array()) {
    for (const auto& p : *policies) {
      if (p.is_string()) {
        info.policies.push_back(p.get<std::string>());
      }
    }
  }
  if (const auto* expire = Field(*data, "expire_time"); expire && expire->is_string()) {
    info.expire_time = expire->get<std::string>();
  }
  return info;
}

}  // namespace locksmith::internal
