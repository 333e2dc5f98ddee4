// PreParseCommandLine: the first pass over argv, before absl::ParseCommandLine sees it.
//
// 1. Takes out the options that repeat: -H/--header, -I/--import_path and --proto. Abseil
//    keeps only a flag's last value and has no short options, so they are collected here, in
//    every form: "-H v", "-Hv", "-H=v", "--header v", "--header=v" (and likewise -I, --proto).
// 2. Checks every other flag against Abseil's registry: an unknown flag, a missing value or a
//    value that does not parse is a FAILED_PRECONDITION (usage error, exit 2) here, where
//    absl::ParseCommandLine would print its own error and exit 1, the code for a failed call.
//
// What is left (argv[0], the other flags, the positional arguments) goes to
// absl::ParseCommandLine. Arguments after "--" are positional and left alone.
//
// Threads: call once, from main, after the flags are registered (static initialisation).
#ifndef TANDEM_TOOLS_CLI_COMMAND_LINE_H_
#define TANDEM_TOOLS_CLI_COMMAND_LINE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tandem::cli {

struct PreParsedCommandLine {
  std::vector<std::string> headers;       // -H, --header
  std::vector<std::string> import_paths;  // -I, --import_path
  std::vector<std::string> protos;        // --proto
  std::vector<char*> rest;                // points into argv
};

absl::StatusOr<PreParsedCommandLine> PreParseCommandLine(int argc, char** argv);

}  // namespace tandem::cli

#endif  // TANDEM_TOOLS_CLI_COMMAND_LINE_H_
