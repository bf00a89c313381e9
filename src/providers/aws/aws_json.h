// JSON helpers for the AWS back end: wiping parsed documents (they may hold secret values).
#pragma once

#include <nlohmann/json.hpp>

namespace locksmith::internal {

// Overwrites every string value in `json` (keys are left alone).
void WipeAwsJson(nlohmann::json& json);

// Wipes a JSON document when it goes out of scope.
class JsonWiper {
 public:
  explicit JsonWiper(nlohmann::json& json) : json_(json) {}
  JsonWiper(const JsonWiper&) = delete;
  JsonWiper& operator=(const JsonWiper&) = delete;
  ~JsonWiper() { WipeAwsJson(json_); }

 private:
  nlohmann::json& json_;
};

}  // namespace locksmith::internal
