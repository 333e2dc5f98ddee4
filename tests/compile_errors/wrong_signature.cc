// Must not compile: Ping's only handler matches no handler style (it takes the response by
// value), so Ping has no handler.
#include "server/server.h"
#include "tests/compile_errors/handlers.tandem.h"

namespace tandem::compile_errors {

class Impl : public PingerTandem::Service<Impl> {
 public:
  grpc::Status Ping(ServerContext&, const Beat&, Beat) {
    return grpc::Status::OK;
  }
};

void Register(ServerBuilder& builder, Impl& impl) { builder.RegisterService(&impl); }

}  // namespace tandem::compile_errors
