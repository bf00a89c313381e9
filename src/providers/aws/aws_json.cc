#include "providers/aws/aws_json.h"

#include "transport/http_client.h"

namespace locksmith::internal {

void WipeAwsJson(nlohmann::json& json) {
  if (json.is_string()) {
    WipeString(json.get_ref<std::string&>());
  } else if (json.is_object() || json.is_array()) {
    for (auto& item : json) {
      WipeAwsJson(item);
    }
  }
}

}  // namespace locksmith::internal
