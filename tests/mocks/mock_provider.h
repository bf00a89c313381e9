// MockProvider: a GMock Provider. Kind() returns "mock" unless told otherwise. Result<T> is
// move-only for secrets, so give Get actions as lambdas (or Return(ByMove(...))).
#pragma once

#include <gmock/gmock.h>

#include <string>
#include <string_view>
#include <vector>

#include "locksmith/provider.h"

namespace locksmith::testing {

class MockProvider : public Provider {
 public:
  MockProvider() {
    ON_CALL(*this, Kind()).WillByDefault(::testing::Return(std::string_view("mock")));
    // By default a batch is what Provider's default makes of it: one Get per name.
    ON_CALL(*this, GetCurrentBatch).WillByDefault([this](const std::vector<std::string>& names) {
      return this->Provider::GetCurrentBatch(names);
    });
    ON_CALL(*this, StatusDetails).WillByDefault([this] { return this->Provider::StatusDetails(); });
  }

  MOCK_METHOD(std::string_view, Kind, (), (const, override));
  MOCK_METHOD(Result<Secret>, Get, (std::string_view name, const VersionSelector& selector),
              (override));
  MOCK_METHOD(Result<SecretDescription>, Describe, (std::string_view name), (override));
  MOCK_METHOD(Result<std::vector<std::string>>, List, (std::string_view prefix), (override));
  MOCK_METHOD(Result<VersionInfo>, Put,
              (std::string_view name, const SecretValue& value, Stage stage), (override));
  MOCK_METHOD(Result<void>, PromoteToCurrent, (std::string_view name, std::string_view version_id),
              (override));
  MOCK_METHOD(Result<BatchResult>, GetCurrentBatch, (const std::vector<std::string>& names),
              (override));
  MOCK_METHOD(Result<StatusDetailList>, StatusDetails, (), (override));
};

}  // namespace locksmith::testing
