// EnvReader: reads configuration variables through an EnvLookup and collects every problem it
// finds, so LoadConfig can report them all at once in one kInvalidArgument. Values of non-secret
// variables are quoted in problems (short and printable); secret-bearing ones never are.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/config.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

class EnvReader {
 public:
  explicit EnvReader(const EnvLookup& env) : env_(env) {}

  // A non-secret variable, trimmed; unset and empty are the same.
  std::optional<std::string> Text(std::string_view name);
  // A secret-bearing variable, trimmed: the copy the lookup made is wiped.
  std::optional<SecretValue> Secret(std::string_view name);

  // These leave `out` as it is when the variable is unset, and record a problem when it is
  // malformed or out of range.
  void Bool(std::string_view name, bool& out);
  void Duration(std::string_view name, std::chrono::milliseconds& out,
                std::chrono::milliseconds min);
  void Fraction(std::string_view name, double& out, double min, double max);
  void Int(std::string_view name, int& out, int min, int max);

  // "NAME='value' is invalid: expected ...", for non-secret variables only.
  void Invalid(std::string_view name, std::string_view value, std::string_view expected);
  // For secret-bearing variables and rules between variables: no value is quoted.
  void Problem(std::string text);

  // OK, or one kInvalidArgument naming every problem.
  Result<void> Status() const;

 private:
  const EnvLookup& env_;
  std::vector<std::string> problems_;
};

}  // namespace locksmith::internal
