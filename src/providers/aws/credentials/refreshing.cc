#include "providers/aws/credentials/refreshing.h"

#include <spdlog/spdlog.h>

#include "locksmith/log.h"

namespace locksmith::internal {

RefreshingCredentials::RefreshingCredentials(AwsCredentialSourcePtr source, Clock& clock,
                                             CredentialRefreshTimes times)
    : source_(std::move(source)), clock_(clock), times_(times) {}

RefreshingCredentials::Need RefreshingCredentials::NeedLocked(
    std::chrono::system_clock::time_point now) const {
  if (!held_) {
    return Need::kMandatory;
  }
  if (!held_->expiration || *held_->expiration - now >= times_.advisory) {
    return Need::kNone;
  }
  return *held_->expiration - now >= times_.mandatory ? Need::kAdvisory : Need::kMandatory;
}

Result<AwsCredentials> RefreshingCredentials::Get() {
  Need need;
  {
    std::lock_guard lock(mu_);
    need = NeedLocked(clock_.WallNow());
    if (need == Need::kNone) {
      return held_->Clone();
    }
  }
  if (need == Need::kAdvisory) {
    // As botocore: in the advisory window only one caller refreshes, the others go on with the
    // held credentials.
    std::unique_lock refresh(refresh_mu_, std::try_to_lock);
    if (!refresh.owns_lock()) {
      std::lock_guard lock(mu_);
      if (held_) {
        return held_->Clone();
      }
      // Invalidated meanwhile: wait for the refresh like everyone else.
    } else {
      return Refresh();
    }
  }
  std::lock_guard refresh(refresh_mu_);
  return Refresh();
}

// Called with refresh_mu_ held.
Result<AwsCredentials> RefreshingCredentials::Refresh() {
  Need need;
  {
    std::lock_guard lock(mu_);
    need = NeedLocked(clock_.WallNow());
    if (need == Need::kNone) {
      return held_->Clone();  // another caller refreshed while this one waited
    }
    ++fetches_;
  }
  auto fresh = source_->Fetch();
  std::lock_guard lock(mu_);
  const auto now = clock_.WallNow();
  if (fresh.ok() && fresh->expiration && *fresh->expiration <= now) {
    fresh = MakeError(ErrorCode::kUnauthenticated,
                      "AWS credentials from " + fresh->source + " were refreshed but are expired");
  }
  if (fresh.ok()) {
    held_ = std::move(fresh).value();
    warned_ = false;
    return held_->Clone();
  }
  Error error = std::move(fresh).error();
  if (error.code == ErrorCode::kNotFound) {
    error.code = ErrorCode::kUnauthenticated;
  }
  if (need == Need::kAdvisory && held_) {
    if (!warned_) {
      warned_ = true;
      Logger()->warn(
          "refreshing AWS credentials failed, keeping the current ones (they expire in {} s; "
          "refresh becomes mandatory {} s before): {}",
          std::chrono::duration_cast<std::chrono::seconds>(*held_->expiration - now).count(),
          times_.mandatory.count(), error.ToString());
    }
    return held_->Clone();
  }
  if (held_ && held_->expiration && *held_->expiration <= now) {
    held_.reset();  // nothing expired is kept
  }
  if (held_) {
    error.message =
        "AWS credentials expire in " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(*held_->expiration - now).count()) +
        " s and could not be refreshed: " + error.message;
  }
  return error;
}

void RefreshingCredentials::Invalidate() {
  std::lock_guard lock(mu_);
  held_.reset();
}

int RefreshingCredentials::fetch_count() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

}  // namespace locksmith::internal
