// CoroutineGreeterService: the greeter after step 3 of docs/migrating.md. SayHello is rewritten
// as a coroutine; Shout and Greet are not migrated yet and run GreeterService's code as before.
// Clients cannot tell it from GreeterService.
//
// Threads: as GreeterService (SayHello now runs on the server's coroutine loop).
#ifndef TANDEM_EXAMPLES_GREETER_COROUTINE_GREETER_SERVICE_H_
#define TANDEM_EXAMPLES_GREETER_COROUTINE_GREETER_SERVICE_H_

#include <memory>

#include "examples/greeter/greeter.tandem.h"
#include "examples/greeter/greeter_service.h"
#include "server/handlers.h"

namespace tandem::examples {

class CoroutineGreeterService final : public GreeterTandem::Service<CoroutineGreeterService> {
 public:
  void ConnectClient(std::shared_ptr<GreeterTandem::Client> client);

  // Migrated: a coroutine.
  Task<grpc::Status> SayHello(ServerContext& context, const HelloRequest& request,
                              HelloReply* reply);

  // Not yet migrated: the old code, in its old style.
  void Shout(ServerContext& context, const HelloRequest& request,
             UnaryResponder<HelloReply> responder);
  Task<grpc::Status> Greet(ServerContext& context, const HelloRequest& request, HelloReply* reply);

 private:
  GreeterService unmigrated_;
};

}  // namespace tandem::examples

#endif  // TANDEM_EXAMPLES_GREETER_COROUTINE_GREETER_SERVICE_H_
