// Must not compile: a shadow candidate must be a service implementation (a class derived from a
// generated FooTandem::Service<Impl>), not any object.
#include "server/server.h"
#include "tests/compile_errors/handlers.tandem.h"

namespace tandem::compile_errors {

class Primary : public PingerTandem::Service<Primary> {
 public:
  grpc::Status Ping(ServerContext&, const Beat&, Beat*) { return grpc::Status::OK; }
};

struct NotAService {
  grpc::Status Ping(ServerContext&, const Beat&, Beat*) { return grpc::Status::OK; }
};

void Register(ServerBuilder& builder, Primary& primary, NotAService& candidate) {
  builder.RegisterService(&primary, ServiceOptions().Shadow("Ping", candidate));
}

}  // namespace tandem::compile_errors
