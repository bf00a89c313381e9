// `locksmith agent --template SRC:DEST[:MODE[:COMMAND]]`: one rendered file's description, parsed
// and checked before anything is rendered (docs/agent.md, "Templates").
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"

namespace locksmith {

inline constexpr mode_t kDefaultTemplateFileMode = 0600;

struct TemplateSpec {
  std::filesystem::path source;       // the ctemplate file
  std::filesystem::path destination;  // the rendered file, replaced atomically
  mode_t mode = kDefaultTemplateFileMode;
  // Run after each render that changed the file: argv split as a POSIX shell would (no shell
  // runs it), empty for none.
  std::vector<std::string> command;
};

// "SRC:DEST", "SRC:DEST:0640", "SRC:DEST::systemctl reload app" or "SRC:DEST:640:CMD" (the
// command is everything after the third ':', so it may contain ':' itself; SRC and DEST may not).
// MODE is octal, 0 to 0777 (empty: 0600). Errors (kInvalidArgument) quote the flag's text: it
// names files and a command, never a value.
Result<TemplateSpec> ParseTemplateSpec(std::string_view text);

// Every spec parsed, then refused as a set if two write the same DEST (compared as absolute,
// normalised paths).
Result<std::vector<TemplateSpec>> ParseTemplateSpecs(const std::vector<std::string>& texts);

}  // namespace locksmith
