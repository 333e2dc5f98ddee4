#include "server/server.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/health_check_service_server_builder_option.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/impl/server_builder_option.h"
#include "server/admin_service.h"
#include "server/internal/shadow.h"

namespace tandem {
namespace {

// Whether `executor` can run a handler of `style`; the error says why not.
absl::Status CheckExecutorFits(absl::string_view method, HandlerStyle style,
                               const Executor& executor) {
  const ExecutorKind kind = executor.kind();
  bool fits = true;
  absl::string_view why;
  switch (style) {
    case HandlerStyle::kBlocking:
      fits = kind == ExecutorKind::kThreadPool || kind == ExecutorKind::kFiberPool;
      why = "a blocking handler needs an executor where it may wait (a ThreadPool or FiberPool)";
      break;
    case HandlerStyle::kCoroutine:
      fits = kind == ExecutorKind::kCoroutineLoop;
      why = "a coroutine handler runs on a CoroutineLoop";
      break;
    case HandlerStyle::kCallback:
      break;
    case HandlerStyle::kNotImplemented:
      fits = false;
      why = "the method is declared tandem::NotImplemented; it runs nowhere";
      break;
  }
  if (fits) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      method, ": cannot bind a ", HandlerStyleName(style), " handler to ",
      ExecutorKindName(kind), " executor '", executor.name(), "': ", why));
}

// What a ServiceOptions setter left unused: the names it was given that `service` has no method
// of. OK if none; else the error names the first and the setter.
template <class ByMethod>
absl::Status NoUnknownMethods(absl::string_view service, const ByMethod& unused,
                              absl::string_view setter) {
  if (unused.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("service ", service, " has no method '", unused.begin()->first,
                   "' (ServiceOptions::", setter,
                   " takes the method's name as written in the .proto)"));
}

// Whether `limiter` (set for `what`) can be used; the error says why not.
absl::Status CheckLimiter(absl::string_view what,
                          const std::shared_ptr<ConcurrencyLimiter>& limiter) {
  if (limiter == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": concurrency limiter is null"));
  }
  if (const char* error = limiter->ConfigurationError()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": concurrency limiter: ", error));
  }
  return absl::OkStatus();
}

// Whether `method` can be one-way or shadowed (`what`): unary, and implemented.
absl::Status CheckUnaryAndImplemented(const server_internal::MethodBinding& binding,
                                      const server_internal::MethodInfo& method,
                                      absl::string_view what) {
  if (method.kind != grpc::internal::RpcMethod::NORMAL_RPC) {
    return absl::InvalidArgumentError(absl::StrCat(
        binding.full_name, ": ServiceOptions::", what, " takes unary methods only"));
  }
  if (method.style == HandlerStyle::kNotImplemented) {
    return absl::InvalidArgumentError(absl::StrCat(
        binding.full_name, ": ServiceOptions::", what,
        " names a method declared tandem::NotImplemented"));
  }
  return absl::OkStatus();
}

// The shadow of `primary`, a method of `service`, that `registration` asks for
// (ServiceOptions::Shadow), checked: the error names the method and what is wrong. `default_for`
// gives the executor of a candidate that names none.
template <class DefaultFor>
absl::StatusOr<std::shared_ptr<server_internal::Shadow>> MakeShadow(
    absl::string_view service, const server_internal::MethodBinding& primary,
    const server_internal::MethodInfo& method,
    const ServiceOptions::ShadowRegistration& registration, DefaultFor& default_for,
    server_internal::DetachedCallRegistry& registry) {
  if (absl::Status usable = CheckUnaryAndImplemented(primary, method, "Shadow"); !usable.ok()) {
    return usable;
  }
  const ShadowOptions& options = registration.options;
  const server_internal::ServiceDefinition& candidate = *registration.candidate;
  if (primary.one_way) {
    return absl::InvalidArgumentError(absl::StrCat(
        primary.full_name, ": a one-way method cannot be shadowed (its reply is empty)"));
  }
  if (!(options.share >= 0.0 && options.share <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        primary.full_name, ": ShadowOptions::share must be in [0, 1], not ", options.share));
  }
  if (options.max_in_flight <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(primary.full_name, ": ShadowOptions::max_in_flight must be positive, not ",
                     options.max_in_flight));
  }
  if (options.mismatches_logged < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(primary.full_name,
                     ": ShadowOptions::mismatches_logged must not be negative, not ",
                     options.mismatches_logged));
  }
  if (candidate.full_name != service) {
    return absl::InvalidArgumentError(absl::StrCat(
        primary.full_name, ": the shadow candidate implements ", candidate.full_name,
        ", another service"));
  }
  size_t index = 0;
  while (index < candidate.methods.size() && candidate.methods[index].name != method.name) {
    ++index;
  }
  if (index == candidate.methods.size() || candidate.detached_methods[index] == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        primary.full_name, ": the shadow candidate declares it tandem::NotImplemented"));
  }
  auto binding = std::make_unique<server_internal::MethodBinding>();
  binding->full_name = absl::StrCat(primary.full_name, " (shadow candidate)");
  binding->style = candidate.methods[index].style;
  binding->label.name = binding->full_name;
  binding->priority = primary.priority;
  binding->deadline_margin = primary.deadline_margin;
  binding->detached_calls = &registry;
  if (options.executor) {
    absl::Status fits = CheckExecutorFits(binding->full_name, binding->style, *options.executor);
    if (!fits.ok()) return fits;
    binding->executor = options.executor;
  } else {
    binding->executor = default_for(binding->style);
  }
  absl::StatusOr<std::vector<const google::protobuf::FieldDescriptor*>> ignored =
      server_internal::Shadow::ResolveIgnoredFields(
          candidate.detached_methods[index]->response_type(), options.ignored_fields);
  if (!ignored.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(primary.full_name, ": ", ignored.status().message()));
  }
  return std::make_shared<server_internal::Shadow>(std::move(binding),
                                                   candidate.detached_methods[index], options,
                                                   *std::move(ignored), registry);
}

// Turns gRPC's server reflection on or off for one builder. gRPC's own switch is process-wide:
// linking its reflection library registers the plugin for every builder, at static
// initialization. This option adds the plugin where it is missing and removes it where it is not
// wanted.
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enable) : enable_(enable) {}

  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    auto reflection = std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>();
    const std::string name = reflection->name();
    std::erase_if(*plugins, [&](const auto& plugin) { return plugin->name() == name; });
    if (enable_) plugins->push_back(std::move(reflection));
  }

 private:
  const bool enable_;
};

}  // namespace

Server::~Server() { Shutdown(absl::ZeroDuration()); }

void Server::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  const absl::Time give_up = absl::Now() + grace;
  if (grpc_server_ != nullptr) {
    if (health_) health_->Shutdown();  // Every status NOT_SERVING, for good; watchers hear it.
    if (lame_duck_period_ > absl::ZeroDuration()) absl::SleepFor(lame_duck_period_);
    if (health_) health_->EndWatches();  // So that watches do not hold up the drain.
    // gRPC stops accepting, waits for callback calls until the deadline, cancels what is left,
    // and returns only when every call has been finished by its handler.
    grpc_server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
    grpc_server_->Wait();
  }
  // No call is left to start a detached one: the last were started before their calls' status
  // went to gRPC. They run on executors that still run.
  if (!detached_calls_.WaitUntilEmpty(give_up)) {
    detached_calls_.CancelAll();
    detached_calls_.WaitUntilEmpty(absl::InfiniteFuture());
  }
  for (auto& executor : owned_executors_) executor->ShutdownAndWait();
  for (auto& exporter : exporters_) exporter->Stop();
  shut_down_ = true;
}

grpc::HealthCheckServiceInterface* Server::health() const { return health_.get(); }

void Server::Wait() {
  absl::MutexLock lock(&shutdown_mu_);
  shutdown_mu_.Await(absl::Condition(&shut_down_));
}

std::vector<MethodStats> Server::method_stats() const {
  std::vector<MethodStats> all;
  all.reserve(bindings_.size());
  for (const auto& binding : bindings_) {
    MethodStats stats;
    stats.method = binding->full_name;
    stats.style = binding->style;
    stats.executor = binding->executor ? std::string(binding->executor->name()) : "";
    stats.started = binding->started.load(std::memory_order_relaxed);
    for (size_t code = 0; code < kStatusCodes; ++code) {
      stats.calls_by_code[code] = binding->calls_by_code[code].load(std::memory_order_relaxed);
      (code == 0 ? stats.finished_ok : stats.finished_error) +=  // 0 is OK
          stats.calls_by_code[code];
    }
    stats.malformed_requests = binding->malformed_requests.load(std::memory_order_relaxed);
    stats.rejected = binding->rejected.load(std::memory_order_relaxed);
    stats.expired_in_queue = binding->expired_in_queue.load(std::memory_order_relaxed);
    stats.queue_timeouts = binding->queue_timeouts.load(std::memory_order_relaxed);
    stats.shed = binding->shed.load(std::memory_order_relaxed);
    if (binding->limiter) {
      stats.concurrency_limit = binding->limiter->limit();
      stats.limiter_in_flight = binding->limiter->in_flight();
    }
    stats.exceptions = binding->exceptions.load(std::memory_order_relaxed);
    stats.one_way = binding->one_way;
    stats.one_way_ok = binding->one_way_ok.load(std::memory_order_relaxed);
    stats.one_way_failed = binding->one_way_failed.load(std::memory_order_relaxed);
    if (binding->shadow) binding->shadow->FillStats(stats);
    stats.watchdog_reports = binding->label.watchdog_reports.load(std::memory_order_relaxed);
    stats.stream_messages_written =
        binding->stream_messages_written.load(std::memory_order_relaxed);
    stats.stream_bytes_written = binding->stream_bytes_written.load(std::memory_order_relaxed);
    stats.max_queued_bytes = binding->max_queued_bytes.load(std::memory_order_relaxed);
    stats.queued = binding->queued.Snapshot();
    stats.running = binding->running.Snapshot();
    stats.duration = binding->duration.Snapshot();
    stats.ran = stats.queued.count();
    stats.mean_queued = stats.queued.mean();
    stats.max_queued = absl::Nanoseconds(binding->max_queued_ns.load(std::memory_order_relaxed));
    stats.mean_running = stats.running.mean();
    const uint64_t handoffs = binding->write_handoffs.load(std::memory_order_relaxed);
    if (handoffs > 0) {
      stats.mean_write_handoff =
          absl::Nanoseconds(binding->total_write_handoff_ns.load(std::memory_order_relaxed) /
                            static_cast<int64_t>(handoffs));
    }
    all.push_back(std::move(stats));
  }
  return all;
}

std::vector<NamedExecutorStats> Server::executor_stats() const {
  std::vector<NamedExecutorStats> all;
  std::vector<const Executor*> seen;
  for (const auto& binding : bindings_) {
    const Executor* executor = binding->executor.get();
    if (executor == nullptr) continue;  // a method declared NotImplemented
    const uint64_t reports = binding->label.watchdog_reports.load(std::memory_order_relaxed);
    auto known = std::find(seen.begin(), seen.end(), executor);
    if (known != seen.end()) {
      all[known - seen.begin()].watchdog_reports += reports;
      continue;
    }
    seen.push_back(executor);
    all.push_back(NamedExecutorStats{.name = std::string(executor->name()),
                                     .kind = executor->kind(),
                                     .stats = executor->stats(),
                                     .watchdog_reports = reports});
  }
  return all;
}

ServerBuilder::ServerBuilder() = default;

ServerBuilder& ServerBuilder::AddListeningPort(
    const std::string& address, std::shared_ptr<grpc::ServerCredentials> credentials) {
  addresses_.push_back(address);
  credentials_.push_back(std::move(credentials));
  return *this;
}

ServerBuilder& ServerBuilder::SetDefaultBlockingExecutor(std::shared_ptr<Executor> executor) {
  default_blocking_ = std::move(executor);
  return *this;
}

ServerBuilder& ServerBuilder::SetDefaultCoroutineLoop(std::shared_ptr<CoroutineLoop> loop) {
  default_loop_ = std::move(loop);
  return *this;
}

ServerBuilder& ServerBuilder::SetDefaultCallbackExecutor(std::shared_ptr<Executor> executor) {
  default_callback_ = std::move(executor);
  return *this;
}

ServerBuilder& ServerBuilder::SetStreamLimits(StreamLimits limits) {
  stream_limits_ = limits;
  return *this;
}

ServerBuilder& ServerBuilder::SetExecutorConcurrencyLimiter(
    std::shared_ptr<Executor> executor, std::shared_ptr<ConcurrencyLimiter> limiter) {
  executor_limiters_.emplace_back(std::move(executor), std::move(limiter));
  return *this;
}

ServerBuilder& ServerBuilder::SetDefaultMaxQueueTime(absl::Duration limit) {
  default_max_queue_time_ = limit;
  return *this;
}

ServerBuilder& ServerBuilder::SetDeadlineMargin(absl::Duration margin) {
  deadline_margin_ = margin;
  return *this;
}

ServerBuilder& ServerBuilder::EnableHealthService(bool enable) {
  health_service_ = enable;
  return *this;
}

ServerBuilder& ServerBuilder::EnableReflection(bool enable) {
  reflection_ = enable;
  return *this;
}

ServerBuilder& ServerBuilder::EnableAdminService(bool enable) {
  admin_service_ = enable;
  return *this;
}

ServerBuilder& ServerBuilder::SetKeepalive(ServerKeepalive keepalive) {
  keepalive_ = keepalive;
  return *this;
}

ServerBuilder& ServerBuilder::AddStatsExporter(std::unique_ptr<StatsExporter> exporter) {
  exporters_.push_back(std::move(exporter));
  return *this;
}

ServerBuilder& ServerBuilder::SetLameDuckPeriod(absl::Duration period) {
  lame_duck_period_ = period;
  return *this;
}

ServerBuilder& ServerBuilder::SetDefaultThreadPoolOptions(ThreadPool::Options options) {
  default_pool_options_ = std::move(options);
  return *this;
}

std::shared_ptr<ConcurrencyLimiter> ServerBuilder::DefaultLimiter(
    const server_internal::MethodInfo& method, const Executor* executor,
    std::map<const Executor*, std::shared_ptr<ConcurrencyLimiter>>& stream_caps) const {
  for (const auto& [limited, limiter] : executor_limiters_) {
    if (limited.get() == executor) return limiter;
  }
  const auto* pool = dynamic_cast<const ThreadPool*>(executor);
  if (method.kind == grpc::internal::RpcMethod::NORMAL_RPC || pool == nullptr) return nullptr;
  std::shared_ptr<ConcurrencyLimiter>& cap = stream_caps[executor];
  if (!cap) cap = ConcurrencyLimiter::Fixed(std::max(1, pool->threads() / 2));
  return cap;
}

void ServerBuilder::AddService(server_internal::ServiceDefinition definition,
                               ServiceOptions options) {
  registrations_.push_back(Registration{std::move(definition), std::move(options)});
}

absl::StatusOr<std::unique_ptr<Server>> ServerBuilder::BuildAndStart() {
  if (deadline_margin_ < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SetDeadlineMargin needs a margin of zero or more, not ",
                     absl::FormatDuration(deadline_margin_)));
  }
  if (lame_duck_period_ < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SetLameDuckPeriod needs a period of zero or more, not ",
                     absl::FormatDuration(lame_duck_period_)));
  }
  for (const auto& [name, duration] :
       {std::pair{"time", keepalive_.time}, std::pair{"timeout", keepalive_.timeout},
        std::pair{"min_client_ping_interval", keepalive_.min_client_ping_interval}}) {
    if (duration <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat("SetKeepalive needs a positive ", name,
                                                     ", not ", absl::FormatDuration(duration)));
    }
  }
  if (default_max_queue_time_ <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SetDefaultMaxQueueTime needs a positive limit, not ",
                     absl::FormatDuration(default_max_queue_time_)));
  }
  for (const auto& exporter : exporters_) {
    if (exporter == nullptr) return absl::InvalidArgumentError("AddStatsExporter: null exporter");
  }
  for (const auto& [executor, limiter] : executor_limiters_) {
    if (absl::Status usable = CheckLimiter(
            absl::StrCat("executor '", executor ? executor->name() : "null", "'"), limiter);
        !usable.ok()) {
      return usable;
    }
  }
  std::unique_ptr<Server> server(new Server());
  // The default stream cap of each ThreadPool, shared by its streaming methods.
  std::map<const Executor*, std::shared_ptr<ConcurrencyLimiter>> stream_caps;

  // Executors are made only when a method needs them, and then owned by the server.
  auto default_for = [&](HandlerStyle style) -> std::shared_ptr<Executor> {
    switch (style) {
      case HandlerStyle::kBlocking:
        if (!default_blocking_) {
          default_blocking_ = std::make_shared<ThreadPool>(default_pool_options_);
          server->owned_executors_.push_back(default_blocking_);
        }
        return default_blocking_;
      case HandlerStyle::kCoroutine:
        if (!default_loop_) {
          default_loop_ = std::make_shared<CoroutineLoop>(CoroutineLoop::Options{});
          server->owned_executors_.push_back(default_loop_);
        }
        return default_loop_;
      case HandlerStyle::kCallback:
        if (!default_callback_) default_callback_ = InlineExecutor::Get();
        return default_callback_;
      case HandlerStyle::kNotImplemented:
        return nullptr;
    }
    return nullptr;
  };

  for (Registration& registration : registrations_) {
    const server_internal::ServiceDefinition& service = registration.definition;
    auto bound = registration.options.bindings();
    auto prioritized = registration.options.priorities();
    auto queue_limited = registration.options.max_queue_times();
    auto limited = registration.options.limiters();
    auto shadows = registration.options.shadows();
    std::map<std::string, bool> one_way;
    for (const std::string& name : registration.options.one_way()) one_way[name] = true;
    std::vector<server_internal::MethodBinding*> bindings;
    for (const server_internal::MethodInfo& method : service.methods) {
      auto binding = std::make_unique<server_internal::MethodBinding>();
      binding->detached_calls = &server->detached_calls_;
      binding->full_name = absl::StrCat("/", service.full_name, "/", method.name);
      binding->style = method.style;
      binding->label.name = binding->full_name;
      auto priority = prioritized.find(std::string(method.name));
      if (priority != prioritized.end()) {
        binding->priority = priority->second;
        prioritized.erase(priority);
      }
      binding->stream_limits = stream_limits_;
      binding->deadline_margin = deadline_margin_;
      auto queue_limit = queue_limited.find(std::string(method.name));
      if (queue_limit != queue_limited.end()) {
        if (queue_limit->second <= absl::ZeroDuration()) {
          return absl::InvalidArgumentError(absl::StrCat(
              binding->full_name, ": SetMaxQueueTime needs a positive limit, not ",
              absl::FormatDuration(queue_limit->second)));
        }
        binding->max_queue_time = queue_limit->second;
        queue_limited.erase(queue_limit);
      } else {
        binding->max_queue_time = default_max_queue_time_;
      }
      auto chosen = bound.find(std::string(method.name));
      if (chosen != bound.end()) {
        if (chosen->second == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat(binding->full_name, ": bound to a null executor"));
        }
        absl::Status fits = CheckExecutorFits(binding->full_name, method.style, *chosen->second);
        if (!fits.ok()) return fits;
        binding->executor = chosen->second;
        bound.erase(chosen);
      } else {
        binding->executor = default_for(method.style);
      }
      auto limiter = limited.find(std::string(method.name));
      if (limiter != limited.end()) {
        if (absl::Status usable = CheckLimiter(binding->full_name, limiter->second);
            !usable.ok()) {
          return usable;
        }
        binding->limiter = limiter->second;
        limited.erase(limiter);
      } else {
        binding->limiter = DefaultLimiter(method, binding->executor.get(), stream_caps);
      }
      if (one_way.erase(std::string(method.name)) > 0) {
        if (absl::Status usable = CheckUnaryAndImplemented(*binding, method, "SetOneWay");
            !usable.ok()) {
          return usable;
        }
        binding->one_way = true;
      }
      auto shadowed = shadows.find(std::string(method.name));
      if (shadowed != shadows.end()) {
        absl::StatusOr<std::shared_ptr<server_internal::Shadow>> shadow =
            MakeShadow(service.full_name, *binding, method, shadowed->second, default_for,
                       server->detached_calls_);
        if (!shadow.ok()) return shadow.status();
        binding->shadow = *std::move(shadow);
        shadows.erase(shadowed);
      }
      bindings.push_back(binding.get());
      server->bindings_.push_back(std::move(binding));
    }
    for (absl::Status unknown :
         {NoUnknownMethods(service.full_name, bound, "Bind"),
          NoUnknownMethods(service.full_name, prioritized, "SetPriority"),
          NoUnknownMethods(service.full_name, queue_limited, "SetMaxQueueTime"),
          NoUnknownMethods(service.full_name, limited, "SetConcurrencyLimiter"),
          NoUnknownMethods(service.full_name, shadows, "Shadow"),
          NoUnknownMethods(service.full_name, one_way, "SetOneWay")}) {
      if (!unknown.ok()) return unknown;
    }
    server->grpc_services_.push_back(registration.definition.make_grpc_service(bindings));
    grpc_builder_.RegisterService(server->grpc_services_.back().get());
  }

  for (size_t i = 0; i < addresses_.size(); ++i) {
    server->ports_.push_back(std::make_unique<int>(0));
    grpc_builder_.AddListeningPort(addresses_[i], credentials_[i], server->ports_.back().get());
  }
  grpc_builder_.SetOption(std::make_unique<ReflectionOption>(reflection_));
  auto milliseconds = [](absl::Duration d) {
    return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT32_MAX));
  };
  grpc_builder_.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, milliseconds(keepalive_.time));
  grpc_builder_.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                                   milliseconds(keepalive_.timeout));
  // Idle connections too, and with no cap on pings while no data flows: a silent client is
  // found however quiet its calls are.
  grpc_builder_.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  grpc_builder_.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  grpc_builder_.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                                   milliseconds(keepalive_.min_client_ping_interval));
  server->lame_duck_period_ = lame_duck_period_;
  if (health_service_) {
    server->health_ = std::make_unique<HealthService>();
    grpc_builder_.RegisterService(server->health_->grpc_service());
    // Even if the process turned gRPC's default one on (it would register the service twice).
    grpc_builder_.SetOption(std::make_unique<grpc::HealthCheckServiceServerBuilderOption>(nullptr));
    for (const Registration& registration : registrations_) {
      server->health_->SetServingStatus(std::string(registration.definition.full_name), true);
    }
  }
  if (admin_service_) {
    server->admin_ = std::make_unique<AdminService>(
        [server = server.get()] { return server->method_stats(); });
    grpc_builder_.RegisterService(server->admin_.get());
  }
  server->grpc_server_ = grpc_builder_.BuildAndStart();
  if (server->grpc_server_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("gRPC could not start the server (listening on ",
                     addresses_.empty() ? "nothing" : addresses_.front(), ")"));
  }
  for (size_t i = 0; i < addresses_.size(); ++i) {
    if (*server->ports_[i] == 0) {
      return absl::UnavailableError(absl::StrCat("could not listen on ", addresses_[i]));
    }
  }
  // Only the exporters that started are stopped: if one fails, destroying `server` shuts it
  // down and stops those before it.
  for (std::unique_ptr<StatsExporter>& exporter : exporters_) {
    if (absl::Status started = exporter->Start(*server); !started.ok()) return started;
    absl::MutexLock lock(&server->shutdown_mu_);
    server->exporters_.push_back(std::move(exporter));
  }
  exporters_.clear();
  return server;
}

}  // namespace tandem
