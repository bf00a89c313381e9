// ParseSecretRef and the name checks (core/naming.cc, core/logical_name.cc): "name#field"
// references as services, the CLI and the agent pass them. Properties: any text parses or is
// refused with a short printable kInvalidArgument; a parsed reference formats back to exactly
// the input and parses equal; ValidateLogicalName accepts exactly the references without a field;
// for a valid name and a valid prefix (the field, when it is a name), StripSecretPrefix undoes
// JoinSecretPath; EnvVarNameFor / SecretNameForEnvVar round-trip a lower-case name of letters,
// digits and '-'.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/logical_name.h"
#include "fuzz_check.h"
#include "locksmith/naming.h"

namespace {

void CheckRefRefusal(const locksmith::Error& error) {
  FUZZ_CHECK(error.code == locksmith::ErrorCode::kInvalidArgument, "a refusal is kInvalidArgument");
  FUZZ_CHECK(!error.message.empty() && error.message.size() <= 256,
             "a refusal has a short message");
  for (char c : error.message) {
    FUZZ_CHECK(std::isprint(static_cast<unsigned char>(c)) != 0, "a refusal is printable text");
  }
}

std::string FormatRef(const locksmith::SecretRef& ref) {
  return ref.field.empty() ? ref.name : ref.name + "#" + ref.field;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto ref = locksmith::ParseSecretRef(input);
  auto logical = locksmith::internal::ValidateLogicalName(input);
  if (!ref.ok()) {
    CheckRefRefusal(ref.error());
    FUZZ_CHECK(!logical.ok(), "a refused reference is not a logical name");
    return 0;
  }
  FUZZ_CHECK(FormatRef(*ref) == input, "a parsed reference formats back to the input");
  auto again = locksmith::ParseSecretRef(FormatRef(*ref));
  FUZZ_CHECK(again.ok() && again->name == ref->name && again->field == ref->field,
             "a formatted reference parses equal");
  FUZZ_CHECK(locksmith::ValidateSecretName(ref->name).ok(), "a parsed name is valid");
  FUZZ_CHECK(logical.ok() == ref->field.empty(),
             "a logical name is exactly a reference without a field");
  if (!logical.ok()) {
    CheckRefRefusal(logical.error());
  }
  if (!ref->field.empty() && locksmith::ValidateSecretName(ref->field).ok()) {
    const std::string path = locksmith::JoinSecretPath(ref->field, ref->name);
    FUZZ_CHECK(locksmith::StripSecretPrefix(ref->field, path) == ref->name,
               "StripSecretPrefix undoes JoinSecretPath");
  }
  bool simple = true;
  for (char c : ref->name) {
    simple = simple && (std::islower(static_cast<unsigned char>(c)) != 0 ||
                        std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '-');
  }
  if (simple) {
    FUZZ_CHECK(locksmith::SecretNameForEnvVar(locksmith::EnvVarNameFor(ref->name)) == ref->name,
               "a simple name round-trips through its environment variable name");
  }
  return 0;
}
