// Server and ServerBuilder: a gRPC server whose methods run in the handler style and on the
// executor each one chose.
//
//   MyGreeter greeter;                          // derives from GreeterTandem::Service<MyGreeter>
//   tandem::ServerBuilder builder;
//   builder.AddListeningPort("127.0.0.1:0")
//       .RegisterService(&greeter, tandem::ServiceOptions().Bind("Slow", slow_pool));
//   absl::StatusOr<std::unique_ptr<tandem::Server>> server = builder.BuildAndStart();
//
// Defaults are safe: blocking handlers run on the server's thread pool, coroutines on its
// coroutine loop, callback handlers inline on gRPC's callback thread (they must not block).
// Every server also answers gRPC's health checks (grpc.health.v1.Health), server reflection
// (grpc.reflection.v1alpha.ServerReflection, what grpcurl and `tandem list` read) and Tandem's
// admin service (tandem.admin.v1.ServerAdmin, each method's style, executor and counts: what
// `tandem methods` reads) unless the builder turns them off.
//
// Threads: the builder is used from one thread. Server members are thread-safe, except that
// Shutdown must not be called from a thread the server owns (a handler), which would deadlock.
// Lifetime: registered services and bound executors must outlive the Server.
#ifndef TANDEM_SERVER_SERVER_H_
#define TANDEM_SERVER_SERVER_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "executors/coroutine_loop.h"
#include "executors/executor.h"
#include "executors/thread_pool.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "server/concurrency_limiter.h"
#include "server/health_service.h"
#include "server/internal/detached_call.h"
#include "server/internal/method_binding.h"
#include "server/service.h"
#include "server/stats_exporter.h"

namespace tandem {

class AdminService;  // server/admin_service.h, which brings gRPC's generated code along

// One executor a server's methods run on, and its load (Server::executor_stats()).
struct NamedExecutorStats {
  std::string name;
  ExecutorKind kind;
  ExecutorStats stats;
  // The watchdog's reports about the server's methods on this executor (the sum of their
  // MethodStats::watchdog_reports).
  uint64_t watchdog_reports = 0;
};

class Server {
 public:
  ~Server();  // Shutdown(absl::ZeroDuration()) unless already shut down.

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port bound by the first AddListeningPort (the one picked, for port 0).
  int port() const { return ports_.empty() ? 0 : *ports_.front(); }

  // First turns every health status to NOT_SERVING (health watchers hear it at once, so load
  // balancers stop sending), then serves on for the builder's SetLameDuckPeriod if any. Then
  // stops accepting calls and waits for in-flight calls: those still running after `grace` are
  // cancelled (handlers see IsCancelled), and every call's reply or error is still sent before
  // this returns. Then waits for the handlers of one-way calls and shadow candidates still
  // running, cancelling those left when `grace` has passed. Then stops the executors the server
  // created, and last its stats exporters.
  // Blocks; idempotent.
  void Shutdown(absl::Duration grace) ABSL_LOCKS_EXCLUDED(shutdown_mu_);

  // The health status of each registered service (by full name, e.g. "pkg.Greeter") and of the
  // server as a whole (""): SERVING from the start; set them as the service's state changes.
  // Null if the health service is turned off. After Shutdown has begun every status is
  // NOT_SERVING and stays so. Thread-safe (server/health_service.h).
  grpc::HealthCheckServiceInterface* health() const;

  // Blocks until Shutdown has been called and has finished.
  void Wait();

  // Per method, in registration order. Thread-safe and never blocks, also during Shutdown.
  std::vector<MethodStats> method_stats() const;
  // Per executor a method runs on, each once, in the order methods were registered. Thread-safe
  // and never blocks, also during Shutdown.
  std::vector<NamedExecutorStats> executor_stats() const;

  // gRPC's server, for what Tandem does not wrap.
  grpc::Server* grpc_server() const { return grpc_server_.get(); }

 private:
  friend class ServerBuilder;
  Server() = default;

  // Members are destroyed bottom-up: the gRPC server first, then what its calls use.
  // One-way handlers and shadow candidates still running; Shutdown waits for them.
  server_internal::DetachedCallRegistry detached_calls_;
  std::vector<std::unique_ptr<server_internal::MethodBinding>> bindings_;
  std::vector<std::unique_ptr<grpc::Service>> grpc_services_;
  std::vector<std::shared_ptr<Executor>> owned_executors_;
  std::unique_ptr<HealthService> health_;
  std::unique_ptr<AdminService> admin_;
  std::vector<std::unique_ptr<int>> ports_;
  std::unique_ptr<grpc::Server> grpc_server_;
  absl::Duration lame_duck_period_ = absl::ZeroDuration();

  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  // The exporters that started, stopped at the end of Shutdown. They read the stats without
  // shutdown_mu_ (method_stats() never takes it), so a scrape during Shutdown does not wait.
  std::vector<std::unique_ptr<StatsExporter>> exporters_ ABSL_GUARDED_BY(shutdown_mu_);
};

// Limits every server has unless told otherwise (README, "Overload"):
//   - a call waits at most kDefaultMaxQueueTime for its executor (ServerBuilder::
//     SetDefaultMaxQueueTime); past it, it is answered RESOURCE_EXHAUSTED without running;
//   - the streaming methods bound to a ThreadPool share a cap of half its threads on calls
//     running or queued (unless a limiter is set for them), so long-lived streams cannot take
//     every thread of a pool that unary calls need too.
inline constexpr absl::Duration kDefaultMaxQueueTime = absl::Seconds(1);

// HTTP/2 keepalive, how the server notices a client that went silent (its host died, the network
// was cut, the process was stopped): a connection quiet for `time` gets a ping, and one that does
// not answer within `timeout` is closed, which cancels its calls (handlers see IsCancelled).
// Every server has it (ServerBuilder::SetKeepalive); gRPC's own default pings after 2 hours.
struct ServerKeepalive {
  absl::Duration time = absl::Minutes(1);
  absl::Duration timeout = absl::Seconds(20);
  // How often a client may ping (its keepalive time) before the server closes its connection for
  // "too many pings". gRPC's default is 5 minutes; Tandem's channels ping every 30 s
  // (client/channel.h).
  absl::Duration min_client_ping_interval = absl::Seconds(10);
};

class ServerBuilder {
 public:
  ServerBuilder();

  // Listens on `address`, e.g. "127.0.0.1:0" for a free port (then see Server::port()).
  ServerBuilder& AddListeningPort(
      const std::string& address,
      std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials());

  // Registers `service`, an instance of a class derived from a generated FooTandem::Service<>.
  // Compiling this call checks that every method has exactly one handler.
  template <class ServiceImpl>
  ServerBuilder& RegisterService(ServiceImpl* service, ServiceOptions options = {}) {
    static_assert(requires { service->TandemDefinition(); },
                  "RegisterService takes a class derived from a generated FooTandem::Service<Impl>");
    AddService(service->TandemDefinition(), std::move(options));
    return *this;
  }

  // The executors for methods not bound with ServiceOptions::Bind. Unset, the server creates a
  // ThreadPool (`default_pool_options`) and a CoroutineLoop, and runs callbacks inline.
  ServerBuilder& SetDefaultBlockingExecutor(std::shared_ptr<Executor> executor);
  ServerBuilder& SetDefaultCoroutineLoop(std::shared_ptr<CoroutineLoop> loop);
  ServerBuilder& SetDefaultCallbackExecutor(std::shared_ptr<Executor> executor);
  ServerBuilder& SetDefaultThreadPoolOptions(ThreadPool::Options options);

  // The write-queue bounds of every streaming call (see StreamLimits).
  ServerBuilder& SetStreamLimits(StreamLimits limits);

  // Admits the calls of every method bound to `executor` through one shared `limiter`, unless a
  // method has its own (ServiceOptions::SetConcurrencyLimiter). A null limiter or an unusable
  // configuration fails BuildAndStart.
  ServerBuilder& SetExecutorConcurrencyLimiter(std::shared_ptr<Executor> executor,
                                               std::shared_ptr<ConcurrencyLimiter> limiter);

  // How long a call may wait for its executor, for methods without ServiceOptions::
  // SetMaxQueueTime: past it, the call is answered RESOURCE_EXHAUSTED without running. Default
  // kDefaultMaxQueueTime; absl::InfiniteDuration() for no bound besides each call's deadline.
  ServerBuilder& SetDefaultMaxQueueTime(absl::Duration limit);

  // What the client calls a handler makes keep in hand of its call's deadline: they inherit the
  // call's deadline less `margin` (executors/call_scope.h), so the handler still has time to
  // answer when they time out. Default: none. Must not be negative.
  ServerBuilder& SetDeadlineMargin(absl::Duration margin);

  // Whether the server answers gRPC's health checks and server reflection. Default: both on.
  // Reflection exposes the schema of every registered service to anyone who can connect.
  ServerBuilder& EnableHealthService(bool enable);
  ServerBuilder& EnableReflection(bool enable);
  // Whether the server answers tandem.admin.v1.ServerAdmin (server/admin_service.h): each
  // method's handler style, executor, call counts and shadow results. Default: on. Like
  // reflection, it tells anyone who can connect how the server is built and how busy each method
  // is; turn it off where that is not wanted, or where clients are not trusted.
  ServerBuilder& EnableAdminService(bool enable);

  // How long Shutdown keeps serving after it has set every health status to NOT_SERVING, so
  // that load balancers checking health see it and stop sending before the server stops
  // accepting calls. Default: zero (health watchers still hear NOT_SERVING first).
  ServerBuilder& SetLameDuckPeriod(absl::Duration period);

  // HTTP/2 keepalive for every connection (see ServerKeepalive). Durations must be positive.
  ServerBuilder& SetKeepalive(ServerKeepalive keepalive);

  // Shows the server's stats outside the process once it serves (server/stats_exporter.h), e.g.
  //   builder.AddStatsExporter(std::make_unique<tandem::PrometheusExporter>("127.0.0.1:9464"));
  // (metrics/prometheus_exporter.h). An exporter that cannot start (its address is in use or
  // invalid) fails BuildAndStart with its error. A null exporter fails BuildAndStart.
  ServerBuilder& AddStatsExporter(std::unique_ptr<StatsExporter> exporter);

  // gRPC's builder, for options Tandem does not wrap (message sizes, keepalive, ...). Register
  // services through RegisterService, not here.
  grpc::ServerBuilder& grpc_builder() { return grpc_builder_; }

  // Checks every registration and starts serving. Errors name the service and method at fault:
  // an executor bound to an unknown method, or one that cannot run the method's handler style.
  // Call once.
  absl::StatusOr<std::unique_ptr<Server>> BuildAndStart();

 private:
  struct Registration {
    server_internal::ServiceDefinition definition;
    ServiceOptions options;
  };

  void AddService(server_internal::ServiceDefinition definition, ServiceOptions options);
  // The limiter of a method that has none of its own: its executor's, or the default stream cap.
  std::shared_ptr<ConcurrencyLimiter> DefaultLimiter(
      const server_internal::MethodInfo& method, const Executor* executor,
      std::map<const Executor*, std::shared_ptr<ConcurrencyLimiter>>& stream_caps) const;

  grpc::ServerBuilder grpc_builder_;
  std::vector<std::string> addresses_;
  std::vector<std::shared_ptr<grpc::ServerCredentials>> credentials_;
  std::vector<Registration> registrations_;
  ThreadPool::Options default_pool_options_;
  StreamLimits stream_limits_;
  absl::Duration deadline_margin_ = absl::ZeroDuration();
  absl::Duration default_max_queue_time_ = kDefaultMaxQueueTime;
  absl::Duration lame_duck_period_ = absl::ZeroDuration();
  ServerKeepalive keepalive_;
  bool health_service_ = true;
  bool reflection_ = true;
  bool admin_service_ = true;
  std::vector<std::pair<std::shared_ptr<Executor>, std::shared_ptr<ConcurrencyLimiter>>>
      executor_limiters_;
  std::shared_ptr<Executor> default_blocking_;
  std::shared_ptr<CoroutineLoop> default_loop_;
  std::shared_ptr<Executor> default_callback_;
  std::vector<std::unique_ptr<StatsExporter>> exporters_;
};

}  // namespace tandem

#endif  // TANDEM_SERVER_SERVER_H_
