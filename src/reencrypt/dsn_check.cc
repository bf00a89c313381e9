#include "reencrypt/dsn_check.h"

#include <libpq-fe.h>

#include <cstring>
#include <string>

namespace locksmith::internal {

Result<bool> DsnHasPassword(std::string_view dsn) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(dsn).c_str(), &parse_error);
  if (options == nullptr) {
    // libpq's message is not repeated: it quotes the DSN.
    PQfreemem(parse_error);
    return MakeError(ErrorCode::kInvalidArgument,
                     "the DSN is not a valid libpq connection string or URI");
  }
  bool has_password = false;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (std::strcmp(option->keyword, "password") == 0 && option->val != nullptr &&
        option->val[0] != '\0') {
      has_password = true;
    }
  }
  PQconninfoFree(options);
  return has_password;
}

}  // namespace locksmith::internal
