// A template file rendered from secrets with Google ctemplate (Debian libctemplate-dev): parsed
// once, asked which secrets it names, then expanded as often as those secrets rotate. Values are
// written verbatim (ctemplate escapes only where a template asks, with a modifier such as :h or
// :o or an AUTOESCAPE pragma). Why ctemplate, and the variable naming rules: docs/agent.md,
// "Templates".
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace ctemplate {
class TemplateCache;
}

namespace locksmith {

// The secret reference a template variable stands for. ctemplate allows only [A-Za-z0-9_] in a
// name, so a variable is named as a `.env` variable is (SecretNameForDotenvVariable:
// DB_PASSWORD -> database-password, STRIPE_KEY -> stripe-key), and a double underscore selects a
// field of a JSON secret, the field kept as written: DATABASE__password -> database#password.
// kInvalidArgument for a name that gives no valid reference (an empty part around "__").
Result<std::string> SecretRefForTemplateVariable(std::string_view variable);

// Values by reference, as SecretTemplate::Render takes them.
using TemplateValues = std::map<std::string, SecretValue, std::less<>>;

// Thread-compatible: Render may run on one thread at a time.
class SecretTemplate {
 public:
  inline static constexpr std::size_t kMaxTemplateSize = 1024 * 1024;

  // Reads and parses `source`. Errors name the file (and the line where it can be found), never
  // a value: kNotFound (missing), kPermissionDenied, kInvalidArgument (not a regular file, over
  // kMaxTemplateSize, a ctemplate syntax error such as an unclosed {{ or an unbalanced section, a
  // section or include marker, which locksmith templates do not use, or a variable that names
  // no valid secret reference).
  static Result<std::unique_ptr<SecretTemplate>> Load(const std::filesystem::path& source);
  // The same from text; `source` only names it in messages.
  static Result<std::unique_ptr<SecretTemplate>> FromText(const std::filesystem::path& source,
                                                          std::string_view text);
  ~SecretTemplate();
  SecretTemplate(const SecretTemplate&) = delete;
  SecretTemplate& operator=(const SecretTemplate&) = delete;

  // The secret references the template uses, sorted, each once.
  const std::vector<std::string>& refs() const { return refs_; }
  const std::filesystem::path& source() const { return source_; }

  // The expanded text. `values` must hold every reference in refs(); a missing one is
  // kNotFound naming it. Nothing is returned on any error, so no half-rendered text exists.
  Result<SecretValue> Render(const TemplateValues& values) const;

 private:
  SecretTemplate(std::filesystem::path source, std::unique_ptr<ctemplate::TemplateCache> cache);

  std::filesystem::path source_;
  std::unique_ptr<ctemplate::TemplateCache> cache_;
  std::map<std::string, std::string, std::less<>> ref_of_variable_;
  std::vector<std::string> refs_;
};

}  // namespace locksmith
