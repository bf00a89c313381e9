// RotateCredential: what state the secret is in (a pending version? a previous credential still
// valid on the server?), then the steps that are left. Every read goes to the back end
// (RefreshVersion), never the cache: a rerun must see what the crashed run wrote.
#include "locksmith/credential_rotation.h"

#include <openssl/crypto.h>

#include <optional>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "rotation/protocol/credential_document.h"

namespace locksmith {
namespace {

using internal::CredentialDocument;

std::string Quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

// `bytes` random bytes as base64url without padding.
Result<SecretValue> NewPassword(Random& random, std::size_t bytes) {
  if (bytes < 16 || bytes > 512) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a generated password needs between 16 and 512 random bytes");
  }
  std::vector<std::uint8_t> raw(bytes);
  LOCKSMITH_RETURN_IF_ERROR(random.Fill(raw));
  std::string text = internal::Base64UrlEncode(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  SecretValue password(text);
  OPENSSL_cleanse(text.data(), text.size());
  return password;
}

class Rotation {
 public:
  Rotation(SecretsManager& manager, std::string_view name, CredentialServer& server, Random& random,
           Clock& clock, const CredentialRotationOptions& options)
      : manager_(manager),
        name_(name),
        server_(server),
        random_(random),
        clock_(clock),
        options_(options) {}

  Result<CredentialRotationReport> Run() {
    LOCKSMITH_ASSIGN_OR_RETURN(Secret current_secret,
                               manager_.RefreshVersion(name_, VersionSelector::Current()));
    LOCKSMITH_ASSIGN_OR_RETURN(CredentialDocument current, Parse(current_secret));

    LOCKSMITH_ASSIGN_OR_RETURN(std::optional<Secret> pending_secret, ReadStage(Stage::kPending));
    if (pending_secret && pending_secret->version.version_id != current_secret.version.version_id) {
      // A rotation a crashed run left after its create step: finish it with its password.
      report_.resumed = true;
      LOCKSMITH_ASSIGN_OR_RETURN(CredentialDocument pending, Parse(*pending_secret));
      return SetTestFinish(current.ToCredential(), pending.ToCredential());
    }

    LOCKSMITH_ASSIGN_OR_RETURN(std::optional<Secret> previous_secret, ReadStage(Stage::kPrevious));
    if (previous_secret) {
      auto previous = CredentialDocument::Parse(*previous_secret, options_.username);
      // A previous version that is no credential (the secret's history before it held one) has
      // nothing to retire.
      if (previous.ok()) {
        const Credential old = previous->ToCredential();
        const Credential now = current.ToCredential();
        LOCKSMITH_ASSIGN_OR_RETURN(bool still_valid, server_.PreviousStillValid(old, now));
        if (still_valid) {
          // The last rotation was promoted but its old credential never retired.
          report_.resumed = true;
          report_.version_id = current_secret.version.version_id;
          report_.username = now.username;
          LOCKSMITH_RETURN_IF_ERROR(Retire(old, now, current_secret.version.created));
          return std::move(report_);
        }
      }
    }

    LOCKSMITH_RETURN_IF_ERROR(Step(RotationStep::kCreate));
    const Credential now = current.ToCredential();
    LOCKSMITH_ASSIGN_OR_RETURN(std::string username, server_.NextUsername(now));
    if (username.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "secret " + Quoted(name_) +
                           " names no user: store it as JSON with \"username\", or give the user");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(SecretValue password, NewPassword(random_, options_.password_bytes));
    LOCKSMITH_ASSIGN_OR_RETURN(SecretValue next, current.WithNewCredential(username, password));
    LOCKSMITH_ASSIGN_OR_RETURN(VersionInfo staged, manager_.Put(name_, next, Stage::kPending));
    if (!staged.HasStage(Stage::kPending)) {
      return MakeError(ErrorCode::kInternal, "the back end did not stage the new version of " +
                                                 Quoted(name_) + " as pending");
    }
    return SetTestFinish(now, Credential{username, std::move(password), staged.version_id});
  }

 private:
  Result<CredentialDocument> Parse(const Secret& secret) {
    return CredentialDocument::Parse(secret, options_.username);
  }

  // The version at `stage`, or nullopt when there is none (or the back end has no such stage).
  Result<std::optional<Secret>> ReadStage(Stage stage) {
    auto secret = manager_.RefreshVersion(name_, VersionSelector::AtStage(stage));
    if (secret.ok()) {
      return std::optional<Secret>(std::move(secret).value());
    }
    if (secret.error().code == ErrorCode::kNotFound) {
      return std::optional<Secret>();
    }
    return std::move(secret).error();
  }

  Result<void> Step(RotationStep step) {
    if (options_.before_step && !options_.before_step(step)) {
      return MakeError(ErrorCode::kAborted,
                       "rotation of " + Quoted(name_) + " stopped before its " +
                           std::string(RotationStepName(step)) + " step; run it again to finish");
    }
    report_.steps.push_back(step);
    return OkResult();
  }

  Result<CredentialRotationReport> SetTestFinish(const Credential& current,
                                                 const Credential& pending) {
    LOCKSMITH_RETURN_IF_ERROR(Step(RotationStep::kSet));
    LOCKSMITH_RETURN_IF_ERROR(server_.Set(current, pending));
    LOCKSMITH_RETURN_IF_ERROR(Step(RotationStep::kTest));
    LOCKSMITH_RETURN_IF_ERROR(server_.Test(pending));
    LOCKSMITH_RETURN_IF_ERROR(Step(RotationStep::kFinish));
    LOCKSMITH_RETURN_IF_ERROR(manager_.PromoteToCurrent(name_, pending.version_id));
    // Read back: some back ends promote by writing a new version (Vault), whose id and creation
    // time are what the retire wait is measured from.
    LOCKSMITH_ASSIGN_OR_RETURN(Secret promoted,
                               manager_.RefreshVersion(name_, VersionSelector::Current()));
    report_.version_id = promoted.version.version_id;
    report_.username = pending.username;
    LOCKSMITH_ASSIGN_OR_RETURN(bool still_valid, server_.PreviousStillValid(current, pending));
    if (still_valid) {
      LOCKSMITH_RETURN_IF_ERROR(Retire(current, pending, promoted.version.created));
    }
    return std::move(report_);
  }

  // Waits until retire_after has passed since `promoted_at`, then ends `previous`.
  Result<void> Retire(const Credential& previous, const Credential& current,
                      std::chrono::system_clock::time_point promoted_at) {
    const auto retire_at =
        promoted_at +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(options_.retire_after);
    if (!options_.wait_to_retire) {
      report_.retire_at = retire_at;
      return OkResult();
    }
    const auto now = clock_.WallNow();
    if (retire_at > now) {
      if (options_.before_retire_wait) {
        options_.before_retire_wait(retire_at);
      }
      clock_.SleepFor(retire_at - now);
    }
    LOCKSMITH_RETURN_IF_ERROR(Step(RotationStep::kRetire));
    return server_.RetirePrevious(previous, current);
  }

  SecretsManager& manager_;
  const std::string name_;
  CredentialServer& server_;
  Random& random_;
  Clock& clock_;
  const CredentialRotationOptions& options_;
  CredentialRotationReport report_;
};

}  // namespace

std::string_view RotationStepName(RotationStep step) {
  switch (step) {
    case RotationStep::kCreate:
      return "create";
    case RotationStep::kSet:
      return "set";
    case RotationStep::kTest:
      return "test";
    case RotationStep::kFinish:
      return "finish";
    case RotationStep::kRetire:
      return "retire";
  }
  return "unknown";
}

Result<CredentialRotationReport> RotateCredential(SecretsManager& manager, std::string_view name,
                                                  CredentialServer& server, Random& random,
                                                  Clock& clock,
                                                  const CredentialRotationOptions& options) {
  if (name.empty() || name.find('#') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "rotate: give the secret's name without a #field (the whole credential "
                     "rotates)");
  }
  return Rotation(manager, name, server, random, clock, options).Run();
}

}  // namespace locksmith
