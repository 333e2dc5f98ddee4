// InProcessServer: a Tandem server in this process, for tests. It serves one Implementation
// (testing/implementation.h), or a service instance you own, on a free loopback port
// (127.0.0.1:0), runs its blocking handlers on the executor an ExecutorBinding makes
// (testing/executor_binding.h), and gives a channel and generated clients to it. It needs no
// GoogleTest; ImplementationTest (testing/implementations.h) builds on it.
//
//   absl::StatusOr<std::unique_ptr<InProcessServer>> server = InProcessServer::Start(
//       Implementation::Of<GreeterService>("Greeter"),
//       {.executors = ExecutorBinding::Fibers(),
//        .service_options = ServiceOptions().Bind("Shout", shout_pool)});
//   std::shared_ptr<GreeterTandem::Client> client =
//       (*server)->NewClient<GreeterTandem::Client>();
//   client->SayHello(request, tandem::CallOptions().set_timeout(absl::Seconds(5)));
//
// Start builds and starts the server, then runs the implementation's on_started, then returns.
// Destroying the InProcessServer shuts it down: the server first (in-flight calls get
// Options::shutdown_grace to finish, then are cancelled), then the binding's executor, then the
// service instance is released. Calls made afterwards through its channel fail (UNAVAILABLE).
//
// Threads: Start, Shutdown and the destructor may be called from any thread except the server's
// own (a handler, a pool thread or fiber of the server), where shutting down would wait for
// itself. The accessors and NewClient are thread-safe; clients are thread-safe (one per test is
// plenty, as many as you like).
// Lifetime: a service passed by pointer must outlive the InProcessServer; executors bound in
// Options::service_options must too (or be held by their shared_ptr, as usual).
#ifndef TANDEM_TESTING_IN_PROCESS_SERVER_H_
#define TANDEM_TESTING_IN_PROCESS_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "executors/executor.h"
#include "grpcpp/channel.h"
#include "server/server.h"
#include "server/service.h"
#include "testing/executor_binding.h"
#include "testing/implementation.h"

namespace tandem::testing {

class InProcessServer {
 public:
  struct Options {
    // Where blocking handlers run. The default (no name, no factory) keeps the server's own
    // ThreadPool.
    ExecutorBinding executors;
    // The service's options: per-method Bind, priorities, limits. Applied as given; a Bind here
    // overrides `executors` for that method.
    ServiceOptions service_options;
    // Anything else to set on the builder (stream limits, queue times, a deadline margin...),
    // called after the listening port, the binding and the service have been set.
    std::function<void(ServerBuilder&)> configure_builder;
    // How long in-flight calls may run on at shutdown before they are cancelled.
    absl::Duration shutdown_grace = absl::Seconds(5);
  };

  // Starts `implementation` with `options`. Fails with BuildAndStart's error (a Bind to an
  // unknown method, an executor that cannot run a handler style...), naming the implementation.
  // (Overloads rather than a default argument: GCC cannot default a nested struct with member
  // initializers inside its enclosing class.)
  static absl::StatusOr<std::unique_ptr<InProcessServer>> Start(
      const Implementation& implementation, Options options);
  static absl::StatusOr<std::unique_ptr<InProcessServer>> Start(
      const Implementation& implementation);

  // Starts `service`, an instance of a class derived from a generated FooTandem::Service<Impl>
  // that the caller owns and keeps alive until the InProcessServer is gone.
  template <class ServiceImpl>
  static absl::StatusOr<std::unique_ptr<InProcessServer>> Start(ServiceImpl* service,
                                                                Options options) {
    return Start(Implementation::Unowned("Service", service), std::move(options));
  }
  template <class ServiceImpl>
  static absl::StatusOr<std::unique_ptr<InProcessServer>> Start(ServiceImpl* service) {
    return Start(service, Options());
  }

  // Shutdown().
  ~InProcessServer();

  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;

  // Shuts the server down (see the top of this file) and stops the binding's executor. Blocks;
  // idempotent. The instance is released by the destructor, not here, so that a test may still
  // look at it.
  void Shutdown();

  // A generated client, e.g. NewClient<GreeterTandem::Client>(), over channel(). Any class
  // constructible from a std::shared_ptr<grpc::Channel> will do.
  template <class Client>
  std::shared_ptr<Client> NewClient() const {
    return std::make_shared<Client>(channel_);
  }

  // The channel every NewClient shares: plain text to address().
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // The port picked, and "127.0.0.1:<port>".
  int port() const { return server_->port(); }
  const std::string& address() const { return address_; }
  // The server, for method_stats(), executor_stats(), health()...
  Server& server() const { return *server_; }
  // The name of the implementation served ("Service" for an instance passed by pointer), and of
  // the binding it runs under ("" for the server's own pool).
  const std::string& implementation_name() const { return implementation_name_; }
  const std::string& binding_name() const { return binding_name_; }
  // The executor the binding made, or null (the server's own ThreadPool).
  const std::shared_ptr<Executor>& blocking_executor() const { return blocking_executor_; }

 private:
  InProcessServer() = default;

  std::string implementation_name_;
  std::string binding_name_;
  absl::Duration shutdown_grace_;
  // Declaration order matters: members are destroyed bottom-up, and the instance and the
  // executor must outlive the server that calls into them (Shutdown has stopped it by then).
  Implementation::Registered registered_;
  std::shared_ptr<Executor> blocking_executor_;
  std::unique_ptr<Server> server_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace tandem::testing

#endif  // TANDEM_TESTING_IN_PROCESS_SERVER_H_
