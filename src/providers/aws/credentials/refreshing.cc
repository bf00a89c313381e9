#include "providers/aws/credentials/refreshing.h"

#include <spdlog/spdlog.h>

#include "locksmith/log.h"

namespace locksmith::internal {

RefreshingCredentials::RefreshingCredentials(AwsCredentialSourcePtr source, Clock& clock,
                                             std::chrono::seconds refresh_window)
    : source_(std::move(source)), clock_(clock), refresh_window_(refresh_window) {}

Result<AwsCredentials> RefreshingCredentials::Get() {
  std::lock_guard lock(mu_);
  const auto now = clock_.WallNow();
  if (held_ && (!held_->expiration || *held_->expiration - refresh_window_ > now)) {
    return held_->Clone();
  }
  ++fetches_;
  auto fresh = source_->Fetch();
  if (!fresh.ok()) {
    if (held_ && held_->expiration && *held_->expiration > now) {
      Logger()->warn(
          "refreshing AWS credentials failed, keeping the current ones until they "
          "expire: {}",
          fresh.error().ToString());
      return held_->Clone();
    }
    held_.reset();
    return std::move(fresh).error();
  }
  held_ = std::move(fresh).value();
  return held_->Clone();
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
