#include "cli/secret_template.h"

#include <ctemplate/template.h>
#include <ctemplate/template_cache.h>
#include <ctemplate/template_dictionary_interface.h>
#include <ctemplate/template_emitter.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <set>
#include <sstream>

#include "core/private_file.h"
#include "locksmith/naming.h"

namespace locksmith {
namespace {

constexpr char kTemplateCacheKey[] = "locksmith-template";
constexpr std::string_view kFieldSeparator = "__";
constexpr std::size_t kMaxParseMessage = 200;

// ctemplate's built-in variables, answered as its own global dictionary would.
bool BuiltInTemplateVariable(std::string_view name, std::string_view& value) {
  if (name == "BI_SPACE") {
    value = " ";
    return true;
  }
  if (name == "BI_NEWLINE") {
    value = "\n";
    return true;
  }
  return false;
}

std::string_view NameOf(const ctemplate::TemplateString& text) {
  return {text.data(), text.size()};
}

// The dictionary ctemplate expands against. Without `values` it records what the template asks
// for (variables, sections, includes) and answers empty strings; with them it answers each
// variable from its reference's value. Sections are hidden and includes never loaded, so a
// template cannot make ctemplate read another file.
class SecretDictionary final : public ctemplate::TemplateDictionaryInterface {
 public:
  explicit SecretDictionary(const std::map<std::string, std::string, std::less<>>* ref_of_variable,
                            const TemplateValues* values)
      : ref_of_variable_(ref_of_variable), values_(values) {}

  // What the expansion asked for; written from ctemplate's const calls.
  mutable std::set<std::string, std::less<>> variables;
  mutable std::vector<std::string> structure_markers;  // sections, includes ("#NAME", ">NAME")
  mutable std::string missing_ref;                     // a reference without a value

 protected:
  ctemplate::TemplateString GetValue(const ctemplate::TemplateString& variable) const override {
    std::string_view name = NameOf(variable);
    std::string_view built_in;
    if (BuiltInTemplateVariable(name, built_in)) {
      return {built_in.data(), built_in.size()};
    }
    if (values_ == nullptr) {
      variables.emplace(name);
      return {"", 0};
    }
    auto ref = ref_of_variable_->find(name);
    auto value = ref == ref_of_variable_->end() ? values_->end() : values_->find(ref->second);
    if (value == values_->end()) {
      if (missing_ref.empty()) {
        missing_ref = ref == ref_of_variable_->end() ? std::string(name) : ref->second;
      }
      return {"", 0};
    }
    std::string_view bytes = value->second.RevealUnsafe();
    return {bytes.data(), bytes.size()};
  }
  bool IsHiddenSection(const ctemplate::TemplateString& name) const override {
    structure_markers.push_back("#" + std::string(NameOf(name)));
    return true;
  }
  bool IsUnhiddenSection(const ctemplate::TemplateString&) const override { return false; }
  bool IsHiddenTemplate(const ctemplate::TemplateString& name) const override {
    structure_markers.push_back(">" + std::string(NameOf(name)));
    return true;
  }
  const char* GetIncludeTemplateName(const ctemplate::TemplateString&, int) const override {
    return "";
  }
  Iterator* CreateTemplateIterator(const ctemplate::TemplateString&) const override {
    return nullptr;
  }
  Iterator* CreateSectionIterator(const ctemplate::TemplateString&) const override {
    return nullptr;
  }
  void DumpToString(std::string* out, int) const override { *out += "(secret dictionary)"; }

 private:
  const std::map<std::string, std::string, std::less<>>* ref_of_variable_;
  const TemplateValues* values_;
};

// Collects the expansion in memory that is wiped when it grows and when it is dropped, so the
// rendered secrets leave no copies in freed blocks (ctemplate's StringEmitter would).
class WipedEmitter final : public ctemplate::ExpandEmitter {
 public:
  void Emit(char c) override { Emit(&c, 1); }
  void Emit(const std::string& s) override { Emit(s.data(), s.size()); }
  void Emit(const char* s) override { Emit(s, std::strlen(s)); }
  void Emit(const char* s, size_t slen) override {
    if (size_ + slen > buffer_.size()) {
      SecretValue bigger = SecretValue::Zeroed(std::max(buffer_.size() * 2, size_ + slen + 256));
      std::memcpy(bigger.MutableBytesUnsafe().data(), buffer_.RevealUnsafe().data(), size_);
      buffer_ = std::move(bigger);  // the old block is wiped
    }
    std::memcpy(buffer_.MutableBytesUnsafe().data() + size_, s, slen);
    size_ += slen;
  }
  SecretValue Take() const { return SecretValue(buffer_.RevealUnsafe().substr(0, size_)); }

 private:
  SecretValue buffer_;
  std::size_t size_ = 0;
};

// ctemplate reports parse errors on std::cerr; this collects them for our error instead. Only
// loading a template runs under it (at start-up, before the agent serves), and only ctemplate
// writes to std::cerr (our logs go through spdlog's own sink).
class CerrCapture {
 public:
  CerrCapture() : old_(std::cerr.rdbuf(captured_.rdbuf())) {}
  ~CerrCapture() { std::cerr.rdbuf(old_); }
  CerrCapture(const CerrCapture&) = delete;
  CerrCapture& operator=(const CerrCapture&) = delete;
  // ctemplate's first message, without its "ERROR: Template : ERROR: " prefixes.
  std::string FirstMessage() const {
    std::string text = captured_.str();
    std::size_t end = text.find("\nWARNING");
    text = text.substr(0, end);
    for (std::string_view prefix : {"ERROR: ", "Template : ", "ERROR: "}) {
      if (text.starts_with(prefix)) {
        text.erase(0, prefix.size());
      }
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
      text.pop_back();
    }
    std::replace(text.begin(), text.end(), '\n', ' ');
    if (text.size() > kMaxParseMessage) {
      text = text.substr(0, kMaxParseMessage) + "...'";  // it may quote the rest of the file
    }
    return text.empty() ? "cannot be parsed" : text;
  }

 private:
  std::ostringstream captured_;
  std::streambuf* old_;
};

bool IsTemplateNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The 1-based line of the first "{{NAME" marker in `text` (NAME not followed by a name
// character), or 0.
std::size_t LineOfMarker(std::string_view text, std::string_view name) {
  std::string needle = "{{" + std::string(name);
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + 1)) {
    std::size_t after = at + needle.size();
    if (after >= text.size() || !IsTemplateNameChar(text[after])) {
      return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + at, '\n'));
    }
  }
  return 0;
}

// The last '...'-quoted fragment of a ctemplate message ("Illegal name in template 'a-b'").
std::string_view QuotedFragment(std::string_view message) {
  std::size_t close = message.rfind('\'');
  if (close == std::string_view::npos || close == 0) {
    return {};
  }
  std::size_t open = message.rfind('\'', close - 1);
  if (open == std::string_view::npos) {
    return {};
  }
  // ctemplate quotes the rest of an unclosed marker: its first word is the name.
  std::string_view fragment = message.substr(open + 1, close - open - 1);
  return fragment.substr(0, fragment.find(' '));
}

Error TemplateError(ErrorCode code, const std::filesystem::path& source, std::size_t line,
                    std::string_view problem) {
  std::string where = "template '" + source.string() + "'";
  if (line > 0) {
    where += " line " + std::to_string(line);
  }
  return MakeError(code, where + ": " + std::string(problem));
}

}  // namespace

Result<std::string> SecretRefForTemplateVariable(std::string_view variable) {
  std::size_t separator = variable.find(kFieldSeparator);
  std::string_view name_part = variable.substr(0, separator);
  if (name_part.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "variable '" + std::string(variable) + "' names no secret");
  }
  std::string ref = SecretNameForDotenvVariable(name_part);
  if (separator != std::string_view::npos) {
    std::string_view field = variable.substr(separator + kFieldSeparator.size());
    if (field.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "variable '" + std::string(variable) + "' has no field after '__'");
    }
    ref += "#" + std::string(field);
  }
  if (auto parsed = ParseSecretRef(ref); !parsed.ok()) {
    return MakeError(ErrorCode::kInvalidArgument, "variable '" + std::string(variable) +
                                                      "' stands for '" + ref +
                                                      "': " + parsed.error().message);
  }
  return ref;
}

SecretTemplate::SecretTemplate(std::filesystem::path source,
                               std::unique_ptr<ctemplate::TemplateCache> cache)
    : source_(std::move(source)), cache_(std::move(cache)) {}

SecretTemplate::~SecretTemplate() = default;

Result<std::unique_ptr<SecretTemplate>> SecretTemplate::Load(const std::filesystem::path& source) {
  internal::SecretFileRules rules;
  rules.private_to_owner = false;  // a template holds no secret: any readable file
  rules.max_size = kMaxTemplateSize;
  LOCKSMITH_ASSIGN_OR_RETURN(SecretValue text,
                             internal::ReadSecretFile(source, "template file", rules));
  return FromText(source, text.RevealUnsafe());
}

Result<std::unique_ptr<SecretTemplate>> SecretTemplate::FromText(
    const std::filesystem::path& source, std::string_view text) {
  auto cache = std::make_unique<ctemplate::TemplateCache>();
  {
    CerrCapture capture;
    if (!cache->StringToTemplateCache(kTemplateCacheKey, text.data(), text.size(),
                                      ctemplate::DO_NOT_STRIP)) {
      std::string message = capture.FirstMessage();
      std::string_view fragment = QuotedFragment(message);
      std::size_t line = fragment.empty() ? 0 : LineOfMarker(text, fragment);
      if (message.find("Illegal name") != std::string::npos) {
        message +=
            " (names are letters, digits and '_': a secret is named as its .env variable, "
            "DATABASE_PASSWORD, and a field as DATABASE__password)";
      }
      return TemplateError(ErrorCode::kInvalidArgument, source, line, message);
    }
  }
  cache->Freeze();  // nothing is ever loaded from disk behind our back
  std::unique_ptr<SecretTemplate> tmpl(new SecretTemplate(source, std::move(cache)));

  // One expansion that records what the template asks for.
  SecretDictionary recorder(nullptr, nullptr);
  WipedEmitter ignored;
  {
    CerrCapture capture;
    if (!tmpl->cache_->ExpandNoLoad(kTemplateCacheKey, ctemplate::DO_NOT_STRIP, &recorder, nullptr,
                                    &ignored)) {
      return TemplateError(ErrorCode::kInvalidArgument, source, 0,
                           "cannot be expanded: " + capture.FirstMessage());
    }
  }
  if (!recorder.structure_markers.empty()) {
    const std::string& marker = recorder.structure_markers.front();
    std::string kind = marker[0] == '#' ? "section" : "include";
    return TemplateError(
        ErrorCode::kInvalidArgument, source, LineOfMarker(text, marker),
        kind + " marker {{" + marker + "}}: locksmith templates use variables only");
  }
  std::set<std::string> refs;
  for (const std::string& variable : recorder.variables) {
    auto ref = SecretRefForTemplateVariable(variable);
    if (!ref.ok()) {
      return TemplateError(ErrorCode::kInvalidArgument, source, LineOfMarker(text, variable),
                           ref.error().message);
    }
    refs.insert(*ref);
    tmpl->ref_of_variable_.emplace(variable, *ref);
  }
  tmpl->refs_.assign(refs.begin(), refs.end());
  return tmpl;
}

Result<SecretValue> SecretTemplate::Render(const TemplateValues& values) const {
  for (const std::string& ref : refs_) {
    if (values.find(ref) == values.end()) {
      return TemplateError(ErrorCode::kNotFound, source_, 0, "no value for '" + ref + "'");
    }
  }
  SecretDictionary dictionary(&ref_of_variable_, &values);
  WipedEmitter out;
  if (!cache_->ExpandNoLoad(kTemplateCacheKey, ctemplate::DO_NOT_STRIP, &dictionary, nullptr,
                            &out)) {
    return TemplateError(ErrorCode::kInternal, source_, 0, "cannot be expanded");
  }
  if (!dictionary.missing_ref.empty()) {
    return TemplateError(ErrorCode::kNotFound, source_, 0,
                         "no value for '" + dictionary.missing_ref + "'");
  }
  return out.Take();
}

}  // namespace locksmith
