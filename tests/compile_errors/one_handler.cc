// Compiles: Ping has exactly one handler. The control case of compile_errors_test.
#include "server/handlers.h"
#include "server/server.h"
#include "tests/compile_errors/handlers.tandem.h"

namespace tandem::compile_errors {

class Impl : public PingerTandem::Service<Impl> {
 public:
  grpc::Status Ping(ServerContext&, const Beat&, Beat*) {
    return grpc::Status::OK;
  }
};

void Register(ServerBuilder& builder, Impl& impl) { builder.RegisterService(&impl); }

}  // namespace tandem::compile_errors
