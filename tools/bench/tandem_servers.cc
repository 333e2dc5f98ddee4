#include "tools/bench/tandem_servers.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "executors/blocking.h"
#include "executors/coroutine_loop.h"
#include "executors/fiber_pool.h"
#include "executors/task.h"
#include "executors/thread_pool.h"
#include "metrics/prometheus_exporter.h"
#include "server/concurrency_limiter.h"
#include "server/handlers.h"
#include "server/server.h"
#include "server/stream.h"
#include "tools/bench/bench.tandem.h"
#include "tools/bench/metrics_scraper.h"

namespace tandem::bench {

// The services live outside the anonymous namespace: the coroutine frames gRPC's adapter makes
// for them must have linkage (GCC's -Wsubobject-linkage).
namespace tandem_servers_internal {

class CallbackBenchService final : public BenchTandem::Service<CallbackBenchService> {
 public:
  void Echo(ServerContext& context, const BenchRequest& request,
            UnaryResponder<BenchReply> responder) {
    BurnCpu(request.spin_us());
    responder.response()->set_payload(request.payload());
    responder.Finish(grpc::Status::OK);
  }
  // Waiting without blocking needs a timer of the user's own; no scenario asks for it.
  static constexpr NotImplemented Sleep{};

  // Each write's completion starts the next: at once while the call's write queue has room,
  // later from a gRPC thread once the client has taken enough.
  void Stream(ServerContext& context, const BenchRequest& request,
              ServerWriter<BenchReply> writer) {
    auto stream = std::make_shared<StreamState>(std::move(writer), request);
    WriteNext(std::move(stream));
  }

 private:
  struct StreamState {
    StreamState(ServerWriter<BenchReply> writer, const BenchRequest& request)
        : writer(std::move(writer)), left(request.stream_messages()) {
      reply.set_payload(std::string(request.message_bytes(), 'x'));
    }
    ServerWriter<BenchReply> writer;
    BenchReply reply;
    int left;
  };

  static void WriteNext(std::shared_ptr<StreamState> stream) {
    if (stream->left-- <= 0) {
      stream->writer.Finish(grpc::Status::OK);
      return;
    }
    // A handle of our own: the completion may run at once and drop the last `stream`. The
    // message is copied before `stream` moves into the completion.
    ServerWriter<BenchReply> writer = stream->writer;
    BenchReply message = stream->reply;
    writer.AsyncWrite(std::move(message), [stream = std::move(stream)](bool queued) mutable {
      if (!queued) {
        stream->writer.Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke"));
        return;
      }
      WriteNext(std::move(stream));
    });
  }
};

class CoroutineBenchService final : public BenchTandem::Service<CoroutineBenchService> {
 public:
  Task<grpc::Status> Echo(ServerContext& context, const BenchRequest& request,
                          BenchReply* reply) {
    BurnCpu(request.spin_us());
    reply->set_payload(request.payload());
    co_return grpc::Status::OK;
  }
  Task<grpc::Status> Sleep(ServerContext& context, const BenchRequest& request,
                           BenchReply* reply) {
    co_await AsyncSleepFor(absl::Microseconds(request.sleep_us()));
    reply->set_payload(request.payload());
    co_return grpc::Status::OK;
  }
  Task<grpc::Status> Stream(ServerContext& context, const BenchRequest& request,
                            ServerWriter<BenchReply> writer) {
    BenchReply reply;
    reply.set_payload(std::string(request.message_bytes(), 'x'));
    for (int i = 0; i < request.stream_messages(); ++i) {
      if (!co_await writer.CoWrite(reply)) {
        co_return grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke");
      }
    }
    co_return grpc::Status::OK;
  }
};

class BlockingBenchService final : public BenchTandem::Service<BlockingBenchService> {
 public:
  grpc::Status Echo(ServerContext& context, const BenchRequest& request, BenchReply* reply) {
    BurnCpu(request.spin_us());
    reply->set_payload(request.payload());
    return grpc::Status::OK;
  }
  // The same code on both pools: tandem::SleepFor parks a pool thread, or suspends a fiber.
  grpc::Status Sleep(ServerContext& context, const BenchRequest& request, BenchReply* reply) {
    tandem::SleepFor(absl::Microseconds(request.sleep_us()));
    reply->set_payload(request.payload());
    return grpc::Status::OK;
  }
  grpc::Status Stream(ServerContext& context, const BenchRequest& request,
                      ServerWriter<BenchReply> writer) {
    BenchReply reply;
    reply.set_payload(std::string(request.message_bytes(), 'x'));
    for (int i = 0; i < request.stream_messages(); ++i) {
      if (!writer.Write(reply)) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke");
      }
    }
    return grpc::Status::OK;
  }
};

}  // namespace tandem_servers_internal

namespace {

using tandem_servers_internal::BlockingBenchService;
using tandem_servers_internal::CallbackBenchService;
using tandem_servers_internal::CoroutineBenchService;

// What a variant's name adds to its style's server (the suffixes below).
struct Extras {
  // Export metrics (metrics/prometheus_exporter.h) on a free port of 127.0.0.1, and scrape them
  // once a second from a MetricsScraper in this process.
  bool metrics = false;
  // Shadow every Echo call (share 1.0, ShadowOptions' other defaults) to a coroutine echo on a
  // CoroutineLoop of its own.
  bool shadowed = false;
};

// A Tandem server with the service of type Service and the executors a variant adds.
template <class Service>
class TandemServer final : public BenchServer {
 public:
  // `configure` binds methods and sets executors on the builder before the server starts.
  template <class Configure>
  static absl::StatusOr<std::unique_ptr<BenchServer>> Start(Configure configure,
                                                            Extras extras = {}) {
    auto server = std::unique_ptr<TandemServer>(new TandemServer());
    tandem::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0");
    ServiceOptions options;
    configure(builder, options, server->executors_);
    if (extras.shadowed) {
      auto loop = std::make_shared<CoroutineLoop>(CoroutineLoop::Options{.name = "bench-shadow"});
      server->executors_.push_back(loop);
      options.Shadow("Echo", server->candidate_,
                     ShadowOptions{.share = 1.0, .executor = std::move(loop)});
    }
    builder.RegisterService(&server->service_, std::move(options));
    PrometheusExporter* exporter = nullptr;
    if (extras.metrics) {
      auto owned = std::make_unique<PrometheusExporter>("127.0.0.1:0");
      exporter = owned.get();
      builder.AddStatsExporter(std::move(owned));
    }
    absl::StatusOr<std::unique_ptr<tandem::Server>> started = builder.BuildAndStart();
    if (!started.ok()) return started.status();
    server->server_ = *std::move(started);
    if (exporter != nullptr) server->scraper_ = std::make_unique<MetricsScraper>(exporter->port());
    return std::unique_ptr<BenchServer>(std::move(server));
  }

  ~TandemServer() override { Shutdown(absl::ZeroDuration()); }

  int port() const override { return server_->port(); }

  void Shutdown(absl::Duration grace) override {
    if (server_ == nullptr) return;
    if (scraper_ != nullptr) scraper_->Stop();
    server_->Shutdown(grace);
    server_.reset();
  }

 private:
  TandemServer() = default;

  // Destroyed bottom-up: the server before the executors and the services its calls use.
  Service service_;
  CoroutineBenchService candidate_;  // the shadow candidate of "-shadowed" variants
  std::vector<std::shared_ptr<Executor>> executors_;
  std::unique_ptr<tandem::Server> server_;
  std::unique_ptr<MetricsScraper> scraper_;
};

using Executors = std::vector<std::shared_ptr<Executor>>;

// A variant name ending in this runs with an adaptive concurrency limiter on every method.
constexpr absl::string_view kLimitSuffix = "-limit";
// A variant name ending in this exports its metrics and is scraped once a second (only
// tandem-callback-metrics is listed: the cost of metrics on, against tandem-callback).
constexpr absl::string_view kMetricsSuffix = "-metrics";
// A variant name ending in this shadows every Echo call (see Extras::shadowed).
constexpr absl::string_view kShadowedSuffix = "-shadowed";

void Defaults(tandem::ServerBuilder&, ServiceOptions&, Executors&) {}

}  // namespace

bool IsTandemVariant(absl::string_view variant) {
  absl::ConsumeSuffix(&variant, kMetricsSuffix);
  absl::ConsumeSuffix(&variant, kLimitSuffix);
  absl::ConsumeSuffix(&variant, kShadowedSuffix);
  return variant == "tandem-callback" || variant == "tandem-coroutine" ||
         variant == "tandem-blocking-threads" ||
         variant == "tandem-blocking-threads-own-executor" || variant == "tandem-blocking-fibers";
}

absl::StatusOr<std::unique_ptr<BenchServer>> StartTandemServer(absl::string_view variant) {
  const bool metrics = absl::ConsumeSuffix(&variant, kMetricsSuffix);
  const bool limited = absl::ConsumeSuffix(&variant, kLimitSuffix);
  const Extras extras{.metrics = metrics,
                      .shadowed = absl::ConsumeSuffix(&variant, kShadowedSuffix)};
  // The variant's own configuration, then, for a "-limit" variant, an adaptive limiter per method.
  auto with_limit = [limited](auto configure) {
    return [limited, configure](tandem::ServerBuilder& builder, ServiceOptions& options,
                                Executors& executors) {
      configure(builder, options, executors);
      if (!limited) return;
      options.SetConcurrencyLimiter("Echo", ConcurrencyLimiter::Adaptive())
          .SetConcurrencyLimiter("Sleep", ConcurrencyLimiter::Adaptive());
    };
  };
  if (variant == "tandem-callback") {
    return TandemServer<CallbackBenchService>::Start(with_limit(Defaults), extras);
  }
  if (variant == "tandem-coroutine") {
    return TandemServer<CoroutineBenchService>::Start(with_limit(Defaults), extras);
  }
  if (variant == "tandem-blocking-threads") {
    return TandemServer<BlockingBenchService>::Start(with_limit(Defaults), extras);
  }
  if (variant == "tandem-blocking-threads-own-executor") {
    return TandemServer<BlockingBenchService>::Start(
        with_limit([](tandem::ServerBuilder&, ServiceOptions& options, Executors& executors) {
          auto slow = std::make_shared<ThreadPool>(ThreadPool::Options{.name = "bench-slow"});
          executors.push_back(slow);
          options.Bind("Sleep", std::move(slow));
        }),
        extras);
  }
  if (variant == "tandem-blocking-fibers") {
    return TandemServer<BlockingBenchService>::Start(
        with_limit([](tandem::ServerBuilder& builder, ServiceOptions&, Executors& executors) {
          auto fibers = std::make_shared<FiberPool>(FiberPool::Options{.name = "bench-fibers"});
          executors.push_back(fibers);
          builder.SetDefaultBlockingExecutor(std::move(fibers));
        }),
        extras);
  }
  return absl::InvalidArgumentError(absl::StrCat("not a Tandem variant: ", variant));
}

}  // namespace tandem::bench
