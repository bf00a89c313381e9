// The associated data of each re-encrypted value: a template such as "{table}.{column}.{id}"
// with the table and column filled in once and the row id per row.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"

namespace locksmith::internal {

class ContextTemplate {
 public:
  // kInvalidArgument for an unknown "{name}", an unclosed "{", or a template without "{id}"
  // (every row would share one context, so a value copied between rows would still decrypt).
  static Result<ContextTemplate> Parse(std::string_view text, std::string_view table,
                                       std::string_view column);

  std::string Expand(std::string_view id) const;

 private:
  // Literal text between the {id} placeholders: parts_.size() == placeholders + 1.
  std::vector<std::string> parts_;
};

}  // namespace locksmith::internal
