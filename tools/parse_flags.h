// ParseFlags: the command line of a Tandem program, through Abseil's flags library.
//
//   ABSL_FLAG(int, port, 0, "the port to listen on");
//   int main(int argc, char** argv) {
//     std::vector<char*> args = tandem::ParseFlags(argc, argv, "Serves the greeter example.");
//
// `--help` prints `usage` and the program's own flags (those defined outside Abseil); unknown
// flags and bad values end the program with Abseil's one-line error. Returns the positional
// arguments, the program's name first. Call once, at the start of main, before any thread.
#ifndef TANDEM_TOOLS_PARSE_FLAGS_H_
#define TANDEM_TOOLS_PARSE_FLAGS_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace tandem {

std::vector<char*> ParseFlags(int argc, char** argv, absl::string_view usage);

}  // namespace tandem

#endif  // TANDEM_TOOLS_PARSE_FLAGS_H_
