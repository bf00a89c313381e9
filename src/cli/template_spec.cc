#include "cli/template_spec.h"

#include <set>

#include "core/shell_words.h"

namespace locksmith {
namespace {

Error TemplateSpecError(std::string_view text, std::string_view problem) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "--template '" + std::string(text) + "': " + std::string(problem));
}

// Octal digits only ("0640", "640"), at most 0777: no setuid, setgid or sticky bits.
bool ParseOctalMode(std::string_view text, mode_t& mode) {
  if (text.empty() || text.size() > 4) {
    return false;
  }
  mode_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '7') {
      return false;
    }
    value = value * 8 + static_cast<mode_t>(c - '0');
  }
  if (value > 0777) {
    return false;
  }
  mode = value;
  return true;
}

}  // namespace

Result<TemplateSpec> ParseTemplateSpec(std::string_view text) {
  std::size_t first = text.find(':');
  if (first == std::string_view::npos) {
    return TemplateSpecError(text, "expected SRC:DEST[:MODE[:COMMAND]]");
  }
  std::size_t second = text.find(':', first + 1);
  std::string_view source = text.substr(0, first);
  std::string_view destination = text.substr(
      first + 1, second == std::string_view::npos ? std::string_view::npos : second - first - 1);
  std::string_view mode_text;
  std::string_view command_text;
  if (second != std::string_view::npos) {
    std::string_view rest = text.substr(second + 1);
    std::size_t third = rest.find(':');
    mode_text = rest.substr(0, third);
    if (third != std::string_view::npos) {
      command_text = rest.substr(third + 1);
    }
  }
  if (source.empty()) {
    return TemplateSpecError(text, "the template file (SRC) is empty");
  }
  if (destination.empty()) {
    return TemplateSpecError(text, "the destination file (DEST) is empty");
  }
  TemplateSpec spec;
  spec.source = std::string(source);
  spec.destination = std::string(destination);
  if (!spec.destination.has_filename()) {
    return TemplateSpecError(text, "the destination must be a file, not a directory");
  }
  if (!mode_text.empty() && !ParseOctalMode(mode_text, spec.mode)) {
    return TemplateSpecError(text, "MODE must be octal permission bits from 0 to 0777, e.g. 0640");
  }
  if (!command_text.empty()) {
    auto words = internal::SplitShellWords(command_text);
    if (!words.ok()) {
      return TemplateSpecError(text, "COMMAND: " + words.error().message);
    }
    spec.command = std::move(words).value();
  }
  return spec;
}

Result<std::vector<TemplateSpec>> ParseTemplateSpecs(const std::vector<std::string>& texts) {
  std::vector<TemplateSpec> specs;
  std::set<std::filesystem::path> destinations;
  for (const std::string& text : texts) {
    LOCKSMITH_ASSIGN_OR_RETURN(TemplateSpec spec, ParseTemplateSpec(text));
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(spec.destination, ec);
    if (ec) {
      absolute = spec.destination;
    }
    if (!destinations.insert(absolute.lexically_normal()).second) {
      return MakeError(ErrorCode::kInvalidArgument, "two --template flags write the same file '" +
                                                        spec.destination.string() + "'");
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace locksmith
