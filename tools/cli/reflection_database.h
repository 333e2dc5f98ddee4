// ReflectionDatabase: a protobuf DescriptorDatabase that looks definitions up on a gRPC server,
// through its reflection service (grpc.reflection.v1alpha.ServerReflection). Put it under a
// DescriptorPool, which asks it for a symbol's file and then for that file's imports.
//
// All lookups share one ServerReflectionInfo stream, opened by the first one and carrying the
// CallSettings (metadata, the command's deadline). Each file the server sends is kept, so an
// import that came along with a symbol's file costs no second round trip.
//
// gRPC's own reflection service (1.51 at least) reuses one response message for the whole stream:
// after an answer with files, the next answer with files starts with the previous one's. So the
// file asked for is picked out by what it defines (its name, or the symbol), not by its place.
//
// Failure: a Find* returns false both when the server does not know the name and when the
// stream broke; stream_status() tells them apart. Once broken, the stream stays broken and every
// lookup returns false at once: UNIMPLEMENTED means the server has no reflection service,
// UNAVAILABLE that it cannot be reached.
//
// Threads: not thread-safe; use it from one thread at a time (a DescriptorPool serialises its
// calls into its database). Lookups block for one round trip to the server.
#ifndef TANDEM_TOOLS_CLI_REFLECTION_DATABASE_H_
#define TANDEM_TOOLS_CLI_REFLECTION_DATABASE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "tools/cli/call_settings.h"

namespace tandem::cli {

class ReflectionDatabase final : public google::protobuf::DescriptorDatabase {
 public:
  ReflectionDatabase(std::shared_ptr<grpc::Channel> channel, CallSettings settings);
  // Cancels the stream rather than half-closing it, so a slow server cannot delay the exit.
  ~ReflectionDatabase() override;

  bool FindFileByName(const std::string& filename,
                      google::protobuf::FileDescriptorProto* output) override;
  bool FindFileContainingSymbol(const std::string& symbol_name,
                                google::protobuf::FileDescriptorProto* output) override;
  bool FindFileContainingExtension(const std::string& containing_type, int field_number,
                                   google::protobuf::FileDescriptorProto* output) override;
  bool FindAllExtensionNumbers(const std::string& extendee_type, std::vector<int>* output) override;
  // Reflection cannot list files: these are the files that define the server's services.
  bool FindAllFileNames(std::vector<std::string>* output) override;

  // The full names of the services the server offers, in the server's order.
  absl::StatusOr<std::vector<std::string>> ListServices();

  // OK while the stream works; otherwise why it broke (the stream's gRPC status).
  const absl::Status& stream_status() const { return stream_status_; }

 private:
  using Request = grpc::reflection::v1alpha::ServerReflectionRequest;
  using Response = grpc::reflection::v1alpha::ServerReflectionResponse;

  // Sends one request and waits for its answer; nullopt once the stream is broken.
  std::optional<Response> Ask(const Request& request);
  // Keeps every file in a file_descriptor_response and copies the one asked for: the first that
  // `asked_for` accepts, or the first if it accepts none.
  bool TakeFiles(
      const std::optional<Response>& response,
      const std::function<bool(const google::protobuf::FileDescriptorProto&)>& asked_for,
      google::protobuf::FileDescriptorProto* output);

  const std::shared_ptr<grpc::Channel> channel_;
  const CallSettings settings_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> stream_;
  absl::Status stream_status_;
  std::map<std::string, google::protobuf::FileDescriptorProto> files_;  // by file name
};

}  // namespace tandem::cli

#endif  // TANDEM_TOOLS_CLI_REFLECTION_DATABASE_H_
