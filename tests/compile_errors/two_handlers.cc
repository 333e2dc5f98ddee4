// Must not compile: Ping has a blocking and a callback handler.
#include "server/handlers.h"
#include "server/server.h"
#include "tests/compile_errors/handlers.tandem.h"

namespace tandem::compile_errors {

class Impl : public PingerTandem::Service<Impl> {
 public:
  grpc::Status Ping(ServerContext&, const Beat&, Beat*) {
    return grpc::Status::OK;
  }
  void Ping(ServerContext&, const Beat&, UnaryResponder<Beat>) {}
};

void Register(ServerBuilder& builder, Impl& impl) { builder.RegisterService(&impl); }

}  // namespace tandem::compile_errors
