// GreeterService: the example service, one method in each handler style.
//
//   SayHello  blocking:  plain code on the server's thread pool.
//   Shout     callback:  hands the work to another thread, which finishes the responder.
//   Greet     coroutine: co_awaits SayHello and Shout through the coroutine client.
//
// Threads: handlers run where their style puts them (see server/handlers.h). ConnectClient may
// be called from any thread; Greet answers UNAVAILABLE until it has been.
#ifndef TANDEM_EXAMPLES_GREETER_GREETER_SERVICE_H_
#define TANDEM_EXAMPLES_GREETER_GREETER_SERVICE_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "asio/thread_pool.hpp"
#include "examples/greeter/greeter.tandem.h"
#include "server/handlers.h"

namespace tandem::examples {

class GreeterService final : public GreeterTandem::Service<GreeterService> {
 public:
  GreeterService();
  ~GreeterService();

  // Gives Greet the client it calls SayHello and Shout through (normally this very server).
  void ConnectClient(std::shared_ptr<GreeterTandem::Client> client) ABSL_LOCKS_EXCLUDED(mu_);

  grpc::Status SayHello(ServerContext& context, const HelloRequest& request, HelloReply* reply);
  void Shout(ServerContext& context, const HelloRequest& request,
             UnaryResponder<HelloReply> responder);
  Task<grpc::Status> Greet(ServerContext& context, const HelloRequest& request,
                           HelloReply* reply) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Stands for any asynchronous library a callback handler hands its work to.
  asio::thread_pool backend_{1};

  absl::Mutex mu_;
  std::shared_ptr<GreeterTandem::Client> client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::examples

#endif  // TANDEM_EXAMPLES_GREETER_GREETER_SERVICE_H_
