#include "tools/cli/command_line.h"

#include <optional>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tandem::cli {
namespace {

struct Repeatable {
  absl::string_view short_name;  // "-H", or empty
  absl::string_view long_name;   // "--header"
  std::vector<std::string> PreParsedCommandLine::*values;
};

constexpr Repeatable kRepeatables[] = {
    {"-H", "--header", &PreParsedCommandLine::headers},
    {"-I", "--import_path", &PreParsedCommandLine::import_paths},
    {"", "--proto", &PreParsedCommandLine::protos},
};

// If argv[*i] is one of kRepeatables, stores its value (taking the next argument if needed),
// advances *i past what it used and returns true.
absl::StatusOr<bool> TakeRepeatable(int argc, char** argv, int* i, PreParsedCommandLine* out) {
  const absl::string_view arg = argv[*i];
  for (const Repeatable& option : kRepeatables) {
    for (absl::string_view name : {option.short_name, option.long_name}) {
      absl::string_view value = arg;
      if (name.empty() || !absl::ConsumePrefix(&value, name)) continue;
      // A long name must end where the argument or its "=" does ("--proto" vs "--protox").
      if (!value.empty() && value[0] != '=' && name == option.long_name) continue;
      if (absl::ConsumePrefix(&value, "=") || !value.empty()) {
        (out->*option.values).emplace_back(value);
      } else if (*i + 1 < argc) {
        (out->*option.values).emplace_back(argv[++*i]);
      } else {
        return absl::FailedPreconditionError(absl::StrCat(name, " needs a value"));
      }
      ++*i;
      return true;
    }
  }
  return false;
}

// Checks a flag absl will parse. Advances *i past it (and its value, if that is separate).
absl::Status CheckFlag(int argc, char** argv, int* i) {
  absl::string_view arg = argv[*i];
  if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
  std::optional<absl::string_view> value;
  if (const size_t equals = arg.find('='); equals != absl::string_view::npos) {
    value = arg.substr(equals + 1);
    arg = arg.substr(0, equals);
  }
  ++*i;
  // absl::ParseCommandLine handles these itself; they are not in the registry.
  for (absl::string_view usage_flag : {"help", "helpfull", "helpshort", "helppackage", "version",
                                       "only_check_args", "helpon", "helpmatch"}) {
    if (arg == usage_flag) return absl::OkStatus();
  }
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(arg);
  if (flag == nullptr) {
    // --nofoo turns the bool flag --foo off.
    absl::string_view negated = arg;
    absl::CommandLineFlag* positive =
        absl::ConsumePrefix(&negated, "no") ? absl::FindCommandLineFlag(negated) : nullptr;
    if (positive != nullptr && positive->IsOfType<bool>() && !value.has_value()) {
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(absl::StrCat("unknown flag --", arg));
  }
  if (!value.has_value()) {
    if (flag->IsOfType<bool>()) return absl::OkStatus();
    if (*i >= argc) return absl::FailedPreconditionError(absl::StrCat("--", arg, " needs a value"));
    value = argv[(*i)++];
  }
  // Parsing sets the flag, as absl::ParseCommandLine will do again with the same value.
  std::string error;
  if (!flag->ParseFrom(*value, &error)) {
    return absl::FailedPreconditionError(absl::StrCat("--", arg, ": ", error));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PreParsedCommandLine> PreParseCommandLine(int argc, char** argv) {
  PreParsedCommandLine out;
  if (argc > 0) out.rest.push_back(argv[0]);
  int i = 1;
  while (i < argc) {
    const absl::string_view arg = argv[i];
    if (arg == "--") {
      for (; i < argc; ++i) out.rest.push_back(argv[i]);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {  // Positional, "-" included.
      out.rest.push_back(argv[i++]);
      continue;
    }
    absl::StatusOr<bool> taken = TakeRepeatable(argc, argv, &i, &out);
    if (!taken.ok()) return taken.status();
    if (*taken) continue;
    const int first = i;
    if (absl::Status checked = CheckFlag(argc, argv, &i); !checked.ok()) return checked;
    for (int j = first; j < i; ++j) out.rest.push_back(argv[j]);
  }
  return out;
}

}  // namespace tandem::cli
