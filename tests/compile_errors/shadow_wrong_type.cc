// Must not compile: the shadow candidate's Ping answers another message type than Pinger's Ping
// does (Other, not Beat), so as a Pinger it has no handler for Ping, and shadowing with it names
// the method.
#include "server/server.h"
#include "tests/compile_errors/handlers.tandem.h"

namespace tandem::compile_errors {

class Primary : public PingerTandem::Service<Primary> {
 public:
  grpc::Status Ping(ServerContext&, const Beat&, Beat*) { return grpc::Status::OK; }
};

class Candidate : public PingerTandem::Service<Candidate> {
 public:
  grpc::Status Ping(ServerContext&, const Beat&, Other*) { return grpc::Status::OK; }
};

void Register(ServerBuilder& builder, Primary& primary, Candidate& candidate) {
  builder.RegisterService(&primary, ServiceOptions().Shadow("Ping", candidate));
}

}  // namespace tandem::compile_errors
