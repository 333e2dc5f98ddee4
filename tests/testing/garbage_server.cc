#include "tests/testing/garbage_server.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/slice.h"

namespace tandem::testing {

GarbageServer::GarbageServer() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterCallbackGenericService(this);
  server_ = builder.BuildAndStart();
}

GarbageServer::~GarbageServer() {
  if (server_) server_->Shutdown();
}

std::string GarbageServer::target() const { return absl::StrCat("127.0.0.1:", port_); }

grpc::ServerGenericBidiReactor* GarbageServer::CreateReactor(grpc::GenericCallbackServerContext*) {
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    Reactor() {
      grpc::Slice slice(std::string("\x0a\x7f\x01", 3));
      reply_ = grpc::ByteBuffer(&slice, 1);
      StartWriteAndFinish(&reply_, grpc::WriteOptions(), grpc::Status::OK);
    }
    void OnDone() override { delete this; }

   private:
    grpc::ByteBuffer reply_;
  };
  return new Reactor();
}

}  // namespace tandem::testing
