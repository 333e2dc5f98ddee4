// DescriptorSource: services, methods and messages by name, the schema a call needs. It reads
// them from the server's reflection service (FromReflection) or from .proto files on disk
// (FromProtoFiles, protoc's parser; imports resolved along the import paths, then among the
// well-known types compiled into libprotobuf).
//
// Errors are absl::Status whose code names the kind (see exit_code.h): NOT_FOUND for a name
// the schema lacks, UNIMPLEMENTED for a server without reflection, UNAVAILABLE for a server that
// cannot be reached, DEADLINE_EXCEEDED, FAILED_PRECONDITION for unreadable or invalid .proto
// files and malformed names. Each message is one line.
//
// Lifetime: the descriptors returned live as long as the DescriptorSource.
// Threads: lookups from one thread at a time (with reflection they block on the server). The
// descriptors returned, and the pool, may be read from any thread.
#ifndef TANDEM_TOOLS_CLI_DESCRIPTOR_SOURCE_H_
#define TANDEM_TOOLS_CLI_DESCRIPTOR_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/compiler/importer.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "grpcpp/channel.h"
#include "tools/cli/call_settings.h"
#include "tools/cli/reflection_database.h"

namespace tandem::cli {

class DescriptorSource {
 public:
  // Asks the server lazily: nothing is sent until the first lookup.
  static std::unique_ptr<DescriptorSource> FromReflection(std::shared_ptr<grpc::Channel> channel,
                                                          CallSettings settings);
  // Parses `files` now. A file is named by its path under one of `import_paths` (the current
  // directory if there are none) or by a disk path inside one of them.
  static absl::StatusOr<std::unique_ptr<DescriptorSource>> FromProtoFiles(
      const std::vector<std::string>& files, std::vector<std::string> import_paths);

  // A service by name, and its definition: null if the server lists the service but cannot
  // describe it (gRPC's own health service, for one, has no descriptor to give).
  struct ListedService {
    std::string name;
    const google::protobuf::ServiceDescriptor* descriptor;
  };
  // Reflection: every service the server lists. Files: the services the named files define.
  absl::StatusOr<std::vector<ListedService>> ListServices();

  // `name` is "package.Service/Method" (also "/package.Service/Method", "package.Service.Method").
  absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(absl::string_view name);

  // A service, method (either spelling above), message or enum, in .proto-like form.
  absl::StatusOr<std::string> Describe(absl::string_view symbol);

 private:
  DescriptorSource() = default;

  // NOT_FOUND with `message`, unless the reflection stream broke: then why it broke.
  absl::Status LookupFailed(absl::string_view message) const;

  // Reflection, or the .proto files' source tree and the parser's database over it. The
  // databases are declared before pool_, which uses them and so must be destroyed first.
  std::unique_ptr<ReflectionDatabase> reflection_;
  std::unique_ptr<google::protobuf::compiler::DiskSourceTree> source_tree_;
  std::unique_ptr<google::protobuf::compiler::MultiFileErrorCollector> proto_errors_;
  std::unique_ptr<google::protobuf::compiler::SourceTreeDescriptorDatabase> disk_database_;
  std::unique_ptr<google::protobuf::DescriptorPoolDatabase> builtin_database_;
  std::unique_ptr<google::protobuf::MergedDescriptorDatabase> proto_database_;
  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  std::vector<const google::protobuf::FileDescriptor*> proto_files_;  // the --proto files
};

}  // namespace tandem::cli

#endif  // TANDEM_TOOLS_CLI_DESCRIPTOR_SOURCE_H_
