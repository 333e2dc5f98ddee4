// TandemGenerator: the protoc plugin behind tandem_cc_library.
//
// For each foo.proto it writes foo.tandem.h and foo.tandem.cc next to gRPC's foo.grpc.pb.h.
// Per service Bar they hold `BarTandem`: a server base `BarTandem::Service<Impl>` (each method
// written by Impl in one handler style, found at compile time) and a client `BarTandem::Client`
// (each method as a blocking, an async and a coroutine call). gRPC's callback API is the wire
// layer: the generated server adapts gRPC's `Bar::CallbackService`, the client wraps `Bar::Stub`.
#ifndef TANDEM_TOOLS_PROTOC_GEN_TANDEM_GENERATOR_H_
#define TANDEM_TOOLS_PROTOC_GEN_TANDEM_GENERATOR_H_

#include <string>

#include "google/protobuf/compiler/code_generator.h"
#include "google/protobuf/descriptor.h"

namespace tandem::codegen {

class TandemGenerator final : public google::protobuf::compiler::CodeGenerator {
 public:
  bool Generate(const google::protobuf::FileDescriptor* file, const std::string& parameter,
                google::protobuf::compiler::GeneratorContext* context,
                std::string* error) const override;
};

}  // namespace tandem::codegen

#endif  // TANDEM_TOOLS_PROTOC_GEN_TANDEM_GENERATOR_H_
