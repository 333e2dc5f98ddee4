// tandem: a command-line client for gRPC servers, JSON in and JSON out.
//
//   tandem list HOST:PORT
//   tandem describe HOST:PORT SYMBOL
//   tandem call HOST:PORT package.Service/Method [REQUEST]
//   tandem methods HOST:PORT
//
// The schema comes from the server's reflection service, or from --proto files (with -I
// import paths) for servers without one. `methods` asks a Tandem server's admin service
// instead (methods.h). Calls go through gRPC's generic stub with
// DynamicMessages (json_call.h). Every failure is one line on stderr and an exit code by kind
// (exit_code.h; the table is also in kUsage below, which --help prints).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "tools/cli/call_settings.h"
#include "tools/cli/channel.h"
#include "tools/cli/command_line.h"
#include "tools/cli/descriptor_source.h"
#include "tools/cli/exit_code.h"
#include "tools/cli/json_call.h"
#include "tools/cli/methods.h"
#include "tools/cli/status_report.h"
#include "tools/parse_flags.h"

// Repeatable: PreParseCommandLine collects every occurrence (absl would keep the last) and
// main stores them all here.
ABSL_FLAG(std::vector<std::string>, header, {},
          "metadata key:value to send, repeatable; short form -H key:value. A key ending in "
          "-bin takes a base64 value");
ABSL_FLAG(std::vector<std::string>, proto, {},
          ".proto file to read the schema from instead of server reflection, repeatable");
ABSL_FLAG(std::vector<std::string>, import_path, {},
          "directory to resolve --proto files and their imports in, repeatable; short form "
          "-I DIR. Default: the current directory");

ABSL_FLAG(absl::Duration, deadline, absl::InfiniteDuration(),
          "deadline for the whole command, reflection included, e.g. 5s, 250ms, 1m");
ABSL_FLAG(bool, json, false,
          "call: after the responses, print the final status and the response metadata as "
          "one JSON object on stdout (instead of a `CODE: message` line on stderr); methods: "
          "print the server's answer as one JSON object instead of the table");
ABSL_FLAG(bool, tls, false, "connect with TLS (grpc::SslCredentials)");
ABSL_FLAG(std::string, ca_file, "", "TLS: PEM root certificates (default: gRPC's roots)");
ABSL_FLAG(std::string, cert_file, "", "TLS: PEM client certificate chain (with --key_file)");
ABSL_FLAG(std::string, key_file, "", "TLS: PEM client private key (with --cert_file)");
ABSL_FLAG(std::string, server_name_override, "",
          "TLS: the name to check the server's certificate against");

namespace tandem::cli {
namespace {

constexpr char kUsage[] = R"(a command-line client for gRPC servers, JSON in and JSON out.

  tandem [flags] list HOST:PORT
      Services and their methods.
  tandem [flags] describe HOST:PORT SYMBOL
      A service, method (package.Service/Method) or message, in .proto form.
  tandem [flags] call HOST:PORT package.Service/Method [REQUEST]
      Calls the method and prints each response as one line of JSON.
      Unary and server-streaming: REQUEST is one JSON object; without it, all of stdin is
      read as one (empty stdin: {}).
      Client-streaming and bidi: one JSON request per line, from REQUEST or else from stdin,
      sent as they are read; responses print as they arrive.
  tandem [flags] methods HOST:PORT
      A Tandem server's methods: each one's handler style, executor and call counts, and its
      one-way and shadow results (from its tandem.admin.v1.ServerAdmin service; --json: as
      JSON).

The schema comes from the server's reflection service, or with --proto FILE (-I DIR) from
.proto files. Metadata: -H key:value. Flags may come anywhere on the line.

Exit codes (each failure is one line on stderr):
  0  ok
  1  the call ended with another non-OK status (CODE: message)
  2  usage error: bad flags or arguments, unreadable or invalid --proto/TLS files
  3  bad request: malformed JSON, unknown field, wrong value type
  4  unknown service, method or symbol
  5  the server has no reflection service (pass --proto); methods: no admin service
  6  unreachable: cannot connect, or UNAVAILABLE before any response
  7  deadline exceeded)";

// A failure of the tool: one line on stderr, then the exit code of its kind.
int Fail(const absl::Status& status) {
  std::fprintf(stderr, "tandem: %s\n", std::string(status.message()).c_str());
  return ToolExitCode(status);
}

int UsageError(absl::string_view message) {
  return Fail(absl::FailedPreconditionError(absl::StrCat(message, " (tandem --help for usage)")));
}

std::string ReadAllStdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

// The requests for `method`, from REQUEST if given, else from stdin (see kUsage).
RequestReader MakeRequestReader(const google::protobuf::MethodDescriptor& method,
                                std::optional<std::string> argument) {
  if (!method.client_streaming()) {
    std::string text = argument.has_value() ? *std::move(argument) : ReadAllStdin();
    if (!argument.has_value() && absl::StripAsciiWhitespace(text).empty()) text = "{}";
    return [text = std::optional<std::string>(std::move(text))]() mutable {
      return std::exchange(text, std::nullopt);
    };
  }
  auto lines = std::make_shared<std::vector<std::string>>();
  if (argument.has_value()) *lines = absl::StrSplit(*argument, '\n', absl::SkipWhitespace());
  return [lines, next = size_t{0},
          from_stdin = !argument.has_value()]() mutable -> std::optional<std::string> {
    if (!from_stdin) {
      if (next == lines->size()) return std::nullopt;
      return (*lines)[next++];
    }
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!absl::StripAsciiWhitespace(line).empty()) return line;
    }
    return std::nullopt;
  };
}

int List(DescriptorSource& source) {
  absl::StatusOr<std::vector<DescriptorSource::ListedService>> services = source.ListServices();
  if (!services.ok()) return Fail(services.status());
  for (const auto& [name, service] : *services) {
    if (service == nullptr) {
      std::printf("%s (the server gives no definition)\n", name.c_str());
      continue;
    }
    std::printf("%s\n", name.c_str());
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      std::printf(
          "  %s(%s%s) returns (%s%s)\n", method->name().c_str(),
          method->client_streaming() ? "stream " : "", method->input_type()->full_name().c_str(),
          method->server_streaming() ? "stream " : "", method->output_type()->full_name().c_str());
    }
  }
  return kExitOk;
}

int Describe(DescriptorSource& source, const std::string& symbol) {
  absl::StatusOr<std::string> definition = source.Describe(symbol);
  if (!definition.ok()) return Fail(definition.status());
  std::printf("%s", definition->c_str());
  if (definition->empty() || definition->back() != '\n') std::printf("\n");
  return kExitOk;
}

int Call(DescriptorSource& source, const std::shared_ptr<grpc::Channel>& channel,
         const CallSettings& settings, const std::string& method_name,
         std::optional<std::string> request) {
  absl::StatusOr<const google::protobuf::MethodDescriptor*> method = source.FindMethod(method_name);
  if (!method.ok()) return Fail(method.status());
  absl::StatusOr<CallOutcome> outcome =
      RunJsonCall(channel, **method, settings, MakeRequestReader(**method, std::move(request)),
                  [](const std::string& json) {
                    std::printf("%s\n", json.c_str());
                    std::fflush(stdout);  // Streamed responses show as they arrive.
                  });
  if (!outcome.ok()) return Fail(outcome.status());
  if (absl::GetFlag(FLAGS_json)) {
    std::printf("%s\n", StatusJson(*outcome).c_str());
  } else if (!outcome->status.ok()) {
    std::fprintf(stderr, "%s\n", StatusLine(outcome->status).c_str());
  }
  return CallExitCode(outcome->status, outcome->responses);
}

int Methods(const std::shared_ptr<grpc::Channel>& channel, const CallSettings& settings) {
  absl::StatusOr<std::string> report = DescribeMethods(
      channel, settings, absl::GetFlag(FLAGS_json) ? MethodsFormat::kJson : MethodsFormat::kTable);
  if (!report.ok()) return Fail(report.status());
  std::printf("%s", report->c_str());
  return kExitOk;
}

int Main(int argc, char** argv) {
  absl::StatusOr<PreParsedCommandLine> command_line = PreParseCommandLine(argc, argv);
  if (!command_line.ok()) return UsageError(command_line.status().message());
  const std::vector<char*> positional = tandem::ParseFlags(
      static_cast<int>(command_line->rest.size()), command_line->rest.data(), kUsage);
  absl::SetFlag(&FLAGS_header, command_line->headers);
  absl::SetFlag(&FLAGS_proto, command_line->protos);
  absl::SetFlag(&FLAGS_import_path, command_line->import_paths);

  // positional: the program, the command, HOST:PORT, then the command's own arguments.
  if (positional.size() < 2) {
    return UsageError("missing command: list, describe, call or methods");
  }
  const std::string command = positional[1];
  const std::vector<std::string> args(positional.begin() + 2, positional.end());
  const bool one_arg = command == "list" || command == "methods";
  const size_t min_args = one_arg ? 1 : 2;
  const size_t max_args = one_arg ? 1 : command == "describe" ? 2 : 3;
  if (command != "list" && command != "describe" && command != "call" && command != "methods") {
    return UsageError(absl::StrCat("unknown command \"", command, "\""));
  }
  if (args.size() < min_args || args.size() > max_args) {
    return UsageError(absl::StrCat("wrong number of arguments for ", command));
  }
  const absl::Duration timeout = absl::GetFlag(FLAGS_deadline);
  if (timeout <= absl::ZeroDuration()) return UsageError("--deadline must be positive");
  if (absl::GetFlag(FLAGS_proto).empty() && !absl::GetFlag(FLAGS_import_path).empty()) {
    return UsageError("-I needs --proto");
  }

  absl::StatusOr<CallSettings> settings =
      CallSettings::Create(absl::GetFlag(FLAGS_header), absl::Now() + timeout);
  if (!settings.ok()) return UsageError(settings.status().message());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannel(args[0], TlsOptions{
                               .enabled = absl::GetFlag(FLAGS_tls),
                               .ca_file = absl::GetFlag(FLAGS_ca_file),
                               .cert_file = absl::GetFlag(FLAGS_cert_file),
                               .key_file = absl::GetFlag(FLAGS_key_file),
                               .server_name_override = absl::GetFlag(FLAGS_server_name_override),
                           });
  if (!channel.ok()) return UsageError(channel.status().message());
  if (command == "methods") return Methods(*channel, *settings);

  std::unique_ptr<DescriptorSource> source;
  if (absl::GetFlag(FLAGS_proto).empty()) {
    source = DescriptorSource::FromReflection(*channel, *settings);
  } else {
    absl::StatusOr<std::unique_ptr<DescriptorSource>> from_files = DescriptorSource::FromProtoFiles(
        absl::GetFlag(FLAGS_proto), absl::GetFlag(FLAGS_import_path));
    if (!from_files.ok()) return Fail(from_files.status());
    source = *std::move(from_files);
  }

  if (command == "list") return List(*source);
  if (command == "describe") return Describe(*source, args[1]);
  return Call(*source, *channel, *settings, args[1],
              args.size() == 3 ? std::optional<std::string>(args[2]) : std::nullopt);
}

}  // namespace
}  // namespace tandem::cli

int main(int argc, char** argv) { return tandem::cli::Main(argc, argv); }
