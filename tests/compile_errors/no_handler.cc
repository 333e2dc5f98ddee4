// Must not compile: Ping has no handler.
#include "server/server.h"
#include "tests/compile_errors/handlers.tandem.h"

namespace tandem::compile_errors {

class Impl : public PingerTandem::Service<Impl> {};

void Register(ServerBuilder& builder, Impl& impl) { builder.RegisterService(&impl); }

}  // namespace tandem::compile_errors
