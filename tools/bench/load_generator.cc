#include "tools/bench/load_generator.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <random>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpcpp/support/client_callback.h"
#include "tools/bench/bench.grpc.pb.h"

namespace tandem::bench {
namespace {

constexpr int kStatusCodes = 17;  // OK .. UNAUTHENTICATED
constexpr absl::Duration kConnectTimeout = absl::Seconds(10);
// Beyond every call's deadline, what draining may take before the run gives up on a call.
constexpr absl::Duration kDrainSlack = absl::Seconds(30);
// A call that ends inside the call that started it (gRPC may complete a failing call inline)
// restarts on the restarter thread past this depth, so the stack cannot grow without limit.
constexpr int kMaxInlineRestarts = 8;
// A failed call waits this long before the next one, so a dead server is not hammered.
constexpr absl::Duration kErrorBackoff = absl::Milliseconds(1);

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SleepUntilNs(int64_t when_ns) {
  const int64_t now = NowNs();
  if (when_ns > now) absl::SleepFor(absl::Nanoseconds(when_ns - now));
}

double CpuSecondsOfThisProcess() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

LatencySummary Summarize(std::vector<int64_t>& latencies_ns) {
  LatencySummary summary;
  summary.count = latencies_ns.size();
  if (latencies_ns.empty()) return summary;
  std::sort(latencies_ns.begin(), latencies_ns.end());
  // Nearest rank: the smallest sample with at least p of all samples at or below it.
  auto percentile = [&](double p) {
    const size_t rank = static_cast<size_t>(std::ceil(p * latencies_ns.size()));
    return latencies_ns[std::clamp<size_t>(rank, 1, latencies_ns.size()) - 1] / 1e6;
  };
  summary.p50_ms = percentile(0.50);
  summary.p90_ms = percentile(0.90);
  summary.p99_ms = percentile(0.99);
  summary.max_ms = latencies_ns.back() / 1e6;
  double total_ns = 0;
  for (int64_t latency : latencies_ns) total_ns += latency;
  summary.mean_ms = total_ns / latencies_ns.size() / 1e6;
  return summary;
}

thread_local int inline_restarts = 0;

class LoadState;

// One of the `concurrency` call loops. Only one call of a slot is in flight at a time, so its
// fields need no lock: each call's completion hands them to the next call.
struct Slot {
  struct ClassStats {
    std::vector<int64_t> latencies_ns;  // OK calls that ended inside the window
    std::vector<int64_t> reject_latencies_ns;  // calls answered RESOURCE_EXHAUSTED
    std::array<uint64_t, kStatusCodes> errors{};
    uint64_t messages = 0;  // streamed messages received inside the window

    void CountError(const grpc::Status& status, int64_t latency_ns) {
      errors[std::clamp(static_cast<int>(status.error_code()), 0, kStatusCodes - 1)]++;
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        reject_latencies_ns.push_back(latency_ns);
      }
    }
  };

  LoadState* state = nullptr;
  Bench::Stub* stub = nullptr;
  std::minstd_rand random;
  std::vector<BenchRequest> requests;  // one per call class
  std::vector<ClassStats> stats;       // one per call class
  // The call in flight.
  std::unique_ptr<grpc::ClientContext> context;
  BenchReply reply;
  size_t call_class = 0;
  int64_t started_ns = 0;

  void StartCall();
  void OnMessage();
  void OnCallDone(const grpc::Status& status);
};

// One Stream call: reads every message, then hands the status to its slot. Deletes itself.
class StreamReader final : public grpc::ClientReadReactor<BenchReply> {
 public:
  explicit StreamReader(Slot* slot) : slot_(slot) {}

  void Start() {
    StartRead(&message_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // The stream ended; OnDone follows.
    slot_->OnMessage();
    StartRead(&message_);
  }

  void OnDone(const grpc::Status& status) override {
    Slot* slot = slot_;
    delete this;
    slot->OnCallDone(status);
  }

 private:
  Slot* const slot_;
  BenchReply message_;
};

// One call of an open loop, from its send to its end. Deletes itself when it ends.
struct OpenCall {
  LoadState* state = nullptr;
  size_t call_class = 0;
  int64_t intended_ns = 0;  // when the schedule said to send it
  grpc::ClientContext context;
  BenchReply reply;
};

// Restarts slots off the gRPC thread: after an error (with a back-off) and past the inline depth.
class Restarter {
 public:
  Restarter() : thread_([this] { Run(); }) {}
  ~Restarter() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }

  void Post(Slot* slot, int64_t not_before_ns) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    queue_.push_back({slot, not_before_ns});
  }

 private:
  struct Pending {
    Slot* slot;
    int64_t not_before_ns;
  };

  void Run() ABSL_LOCKS_EXCLUDED(mu_) {
    while (true) {
      Pending next;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || !queue_.empty();
        };
        mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;
        next = queue_.front();
        queue_.pop_front();
      }
      SleepUntilNs(next.not_before_ns);
      next.slot->StartCall();
    }
  }

  absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Everything one run's calls touch. Heap-allocated, and deliberately leaked if calls are still in
// flight when the run gives up on them, so a late completion never touches freed memory.
class LoadState {
 public:
  explicit LoadState(const LoadSpec& spec) : spec_(spec) {
    double total = 0;
    for (const CallClass& call_class : spec.mix) total += call_class.share;
    double running = 0;
    for (const CallClass& call_class : spec.mix) {
      running += call_class.share / total;
      cumulative_shares_.push_back(running);
    }
    cumulative_shares_.back() = 1.0;
  }

  absl::Status Connect() {
    for (int i = 0; i < spec_.channels; ++i) {
      grpc::ChannelArguments args;
      // Distinct arguments and a local subchannel pool: each channel gets a connection of its own.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("tandem.bench.channel_index", i);
      auto channel =
          grpc::CreateCustomChannel(spec_.target, grpc::InsecureChannelCredentials(), args);
      if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                     absl::ToChronoNanoseconds(kConnectTimeout))) {
        return absl::UnavailableError(absl::StrCat("cannot connect to ", spec_.target, " within ",
                                                   absl::FormatDuration(kConnectTimeout)));
      }
      stubs_.push_back(Bench::NewStub(channel));
      channels_.push_back(std::move(channel));
    }
    const std::string payload(spec_.payload_bytes, 'x');
    for (const CallClass& call_class : spec_.mix) {
      requests_.push_back(RequestFor(call_class, payload));
    }
    if (spec_.rate > 0) return absl::OkStatus();  // an open loop has no slots
    for (int i = 0; i < spec_.concurrency; ++i) {
      auto slot = std::make_unique<Slot>();
      slot->state = this;
      slot->stub = stubs_[i % stubs_.size()].get();
      slot->random.seed(i + 1);
      slot->requests = requests_;
      slot->stats.resize(spec_.mix.size());
      slots_.push_back(std::move(slot));
    }
    return absl::OkStatus();
  }

  BenchRequest RequestFor(const CallClass& call_class, const std::string& payload) const {
    BenchRequest request;
    request.set_payload(payload);
    if (call_class.method == BenchMethod::kSleep) {
      request.set_sleep_us(absl::ToInt64Microseconds(call_class.sleep));
    }
    if (call_class.method == BenchMethod::kEcho) {
      request.set_spin_us(absl::ToInt64Microseconds(call_class.spin));
    }
    if (call_class.method == BenchMethod::kStream) {
      // The server sends the payload; the request need not carry one.
      request.clear_payload();
      request.set_stream_messages(call_class.stream_messages);
      request.set_message_bytes(static_cast<int32_t>(spec_.payload_bytes));
    }
    return request;
  }

  const LoadSpec& spec() const { return spec_; }
  Restarter& restarter() { return restarter_; }
  int64_t window_start_ns() const { return window_start_ns_; }
  int64_t window_end_ns() const { return window_end_ns_; }

  size_t PickClass(std::minstd_rand& random) const {
    if (cumulative_shares_.size() == 1) return 0;
    const double x = std::uniform_real_distribution<double>(0.0, 1.0)(random);
    return std::lower_bound(cumulative_shares_.begin(), cumulative_shares_.end(), x) -
           cumulative_shares_.begin();
  }

  // Starts every slot; the window opens `warmup` from now.
  void Start() ABSL_LOCKS_EXCLUDED(mu_) {
    const int64_t now = NowNs();
    window_start_ns_ = now + absl::ToInt64Nanoseconds(spec_.warmup);
    window_end_ns_ = window_start_ns_ + absl::ToInt64Nanoseconds(spec_.duration);
    {
      absl::MutexLock lock(&mu_);
      active_ = static_cast<int>(slots_.size());
    }
    for (auto& slot : slots_) slot->StartCall();
  }

  // Open loop: starts the pacing thread, which sends calls from now on at spec.rate per second;
  // the window opens `warmup` from now.
  void StartOpenLoop() ABSL_LOCKS_EXCLUDED(mu_) {
    const int64_t now = NowNs();
    window_start_ns_ = now + absl::ToInt64Nanoseconds(spec_.warmup);
    window_end_ns_ = window_start_ns_ + absl::ToInt64Nanoseconds(spec_.duration);
    {
      absl::MutexLock lock(&stats_mu_);
      open_stats_.resize(spec_.mix.size());
    }
    {
      absl::MutexLock lock(&mu_);
      active_ = 1;  // the pacer, until it has sent its last call
    }
    pacer_ = std::thread([this, now] { Pace(now); });
  }

  // The pacing thread: sends call i at start + i / rate, until the window closes. A sender that
  // falls behind sends at once, without skipping: those calls' latencies include the lag.
  void Pace(int64_t start_ns) ABSL_LOCKS_EXCLUDED(mu_, stats_mu_) {
    // Linux lets a sleep overshoot by the thread's timer slack, 50 µs by default: most of a
    // period at these rates. A slack of 1 ns keeps the sends on schedule.
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    const double period_ns = 1e9 / spec_.rate;
    std::minstd_rand random(1);
    for (uint64_t i = 0;; ++i) {
      const int64_t intended = start_ns + static_cast<int64_t>(i * period_ns);
      if (intended >= window_end_ns_) break;
      SleepUntilNs(intended);
      const bool counted = intended >= window_start_ns_;
      if (counted) ++due_in_window_;
      {
        absl::MutexLock lock(&mu_);
        if (active_ - 1 >= spec_.max_in_flight) {
          if (counted) ++not_sent_;
          continue;
        }
        ++active_;
      }
      auto* call = new OpenCall{.state = this, .call_class = PickClass(random),
                                .intended_ns = intended};
      call->context.set_deadline(std::chrono::system_clock::now() +
                                 absl::ToChronoNanoseconds(spec_.call_timeout));
      Bench::Stub* stub = stubs_[i % stubs_.size()].get();
      auto on_done = [call](grpc::Status status) { call->state->OnOpenCallDone(call, status); };
      if (spec_.mix[call->call_class].method == BenchMethod::kSleep) {
        stub->async()->Sleep(&call->context, &requests_[call->call_class], &call->reply,
                             std::move(on_done));
      } else {
        stub->async()->Echo(&call->context, &requests_[call->call_class], &call->reply,
                            std::move(on_done));
      }
    }
    ActivityDone();
  }

  // A gRPC thread, as an open-loop call ends. Its latency runs from its intended send time.
  void OnOpenCallDone(OpenCall* call, const grpc::Status& status)
      ABSL_LOCKS_EXCLUDED(mu_, stats_mu_) {
    const int64_t now = NowNs();
    {
      absl::MutexLock lock(&stats_mu_);
      Slot::ClassStats& stats = open_stats_[call->call_class];
      if (call->intended_ns >= window_start_ns_ && call->intended_ns < window_end_ns_) {
        if (status.ok()) {
          stats.latencies_ns.push_back(now - call->intended_ns);
        } else {
          stats.CountError(status, now - call->intended_ns);
        }
      }
      if (status.ok() && now >= window_start_ns_ && now <= window_end_ns_) ++ok_ended_in_window_;
    }
    delete call;
    ActivityDone();
  }

  // A slot's loop, the pacer or an open-loop call has stopped.
  void ActivityDone() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    --active_;
  }

  // True once every slot has stopped; false if `timeout` passed first.
  bool WaitDrained(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return active_ == 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&drained), timeout);
  }

  // Open loop: waits for the pacer to have sent its last call (it does so by the window's end).
  void JoinPacer() {
    if (pacer_.joinable()) pacer_.join();
  }

  // Merges the statistics of the slots or the open loop. Only after WaitDrained returned true.
  LoadResult Collect() ABSL_LOCKS_EXCLUDED(stats_mu_) {
    absl::MutexLock lock(&stats_mu_);
    LoadResult result;
    result.window = spec_.duration;
    std::vector<int64_t> all;
    std::vector<int64_t> rejects;
    for (size_t c = 0; c < spec_.mix.size(); ++c) {
      ClassResult class_result;
      class_result.name = spec_.mix[c].name;
      std::vector<int64_t> latencies;
      std::array<uint64_t, kStatusCodes> errors{};
      std::vector<const Slot::ClassStats*> sources;
      for (auto& slot : slots_) sources.push_back(&slot->stats[c]);
      if (!open_stats_.empty()) sources.push_back(&open_stats_[c]);
      for (const Slot::ClassStats* source : sources) {
        const Slot::ClassStats& stats = *source;
        class_result.messages += stats.messages;
        latencies.insert(latencies.end(), stats.latencies_ns.begin(), stats.latencies_ns.end());
        rejects.insert(rejects.end(), stats.reject_latencies_ns.begin(),
                       stats.reject_latencies_ns.end());
        for (int code = 0; code < kStatusCodes; ++code) errors[code] += stats.errors[code];
      }
      all.insert(all.end(), latencies.begin(), latencies.end());
      result.messages += class_result.messages;
      class_result.ok = latencies.size();
      class_result.latency = Summarize(latencies);
      for (int code = 0; code < kStatusCodes; ++code) {
        if (errors[code] == 0) continue;
        class_result.errors[StatusCodeName(code)] += errors[code];
        result.errors_by_code[StatusCodeName(code)] += errors[code];
        result.errors += errors[code];
      }
      result.classes.push_back(std::move(class_result));
    }
    result.ok = all.size();
    result.latency = Summarize(all);
    result.reject_latency = Summarize(rejects);
    const double seconds = absl::ToDoubleSeconds(result.window);
    result.qps = result.ok / seconds;
    if (spec_.rate > 0) {
      // Achieved: OK calls that ended inside the window, whenever they were due.
      result.qps = ok_ended_in_window_ / seconds;
      result.offered_per_s = due_in_window_ / seconds;
      result.not_sent = not_sent_;
      if (not_sent_ > 0) {
        result.errors_by_code["NOT_SENT"] += not_sent_;
        result.errors += not_sent_;
      }
    }
    result.messages_per_s = result.messages / seconds;
    result.mib_per_s = result.messages_per_s * spec_.payload_bytes / (1024.0 * 1024.0);
    return result;
  }

 private:
  const LoadSpec spec_;
  std::vector<double> cumulative_shares_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<Bench::Stub>> stubs_;
  std::vector<std::unique_ptr<Slot>> slots_;
  int64_t window_start_ns_ = 0;  // written by Start before any call, then only read
  int64_t window_end_ns_ = 0;
  Restarter restarter_;
  std::vector<BenchRequest> requests_;  // one per call class

  // Open loop. The pacer's counters are read after it has been joined.
  std::thread pacer_;
  uint64_t due_in_window_ = 0;
  uint64_t not_sent_ = 0;
  absl::Mutex stats_mu_;
  std::vector<Slot::ClassStats> open_stats_ ABSL_GUARDED_BY(stats_mu_);
  uint64_t ok_ended_in_window_ ABSL_GUARDED_BY(stats_mu_) = 0;

  absl::Mutex mu_;
  // Closed loop: slots whose loop has not stopped. Open loop: the pacer until it has sent its
  // last call, plus the calls in flight.
  int active_ ABSL_GUARDED_BY(mu_) = 0;
};

void Slot::StartCall() {
  context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoNanoseconds(state->spec().call_timeout));
  call_class = state->PickClass(random);
  started_ns = NowNs();
  // Runs on the gRPC thread that ends the call, or inline if gRPC ends it at once.
  auto on_done = [this](grpc::Status status) { OnCallDone(status); };
  switch (state->spec().mix[call_class].method) {
    case BenchMethod::kEcho:
      stub->async()->Echo(context.get(), &requests[call_class], &reply, std::move(on_done));
      break;
    case BenchMethod::kSleep:
      stub->async()->Sleep(context.get(), &requests[call_class], &reply, std::move(on_done));
      break;
    case BenchMethod::kStream: {
      auto* reader = new StreamReader(this);
      stub->async()->Stream(context.get(), &requests[call_class], reader);
      reader->Start();
      break;
    }
  }
}

void Slot::OnMessage() {
  const int64_t now = NowNs();
  if (now >= state->window_start_ns() && now <= state->window_end_ns()) {
    ++stats[call_class].messages;
  }
}

void Slot::OnCallDone(const grpc::Status& status) {
  const int64_t now = NowNs();
  if (now >= state->window_start_ns()) {
    if (!status.ok()) {
      stats[call_class].CountError(status, now - started_ns);
    } else if (now <= state->window_end_ns()) {
      stats[call_class].latencies_ns.push_back(now - started_ns);
    }
  }
  if (now >= state->window_end_ns()) {
    state->ActivityDone();
  } else if (!status.ok()) {
    state->restarter().Post(this, now + absl::ToInt64Nanoseconds(kErrorBackoff));
  } else if (inline_restarts >= kMaxInlineRestarts) {
    state->restarter().Post(this, now);
  } else {
    ++inline_restarts;
    StartCall();
    --inline_restarts;
  }
}

}  // namespace

std::string StatusCodeName(int code) {
  static constexpr const char* kNames[kStatusCodes] = {
      "OK",           "CANCELLED",          "UNKNOWN",        "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",     "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",  "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",          "UNAVAILABLE",    "DATA_LOSS",
      "UNAUTHENTICATED"};
  if (code < 0 || code >= kStatusCodes) return absl::StrCat("CODE_", code);
  return kNames[code];
}

absl::Status CheckLoopbackTarget(absl::string_view target) {
  absl::string_view host = target;
  absl::ConsumePrefix(&host, "ipv4:");
  absl::ConsumePrefix(&host, "ipv6:");
  const size_t colon = host.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(host.substr(colon + 1), &port) ||
      port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("target '", target, "' is not host:port"));
  }
  host = host.substr(0, colon);
  if (host == "localhost" || host == "[::1]" || absl::StartsWith(host, "127.")) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "target '", target, "' is not on loopback; the bench only loads 127.0.0.1, localhost, [::1]"));
}

absl::StatusOr<LoadResult> RunLoad(const LoadSpec& spec, const LoadHooks& hooks) {
  if (absl::Status loopback = CheckLoopbackTarget(spec.target); !loopback.ok()) return loopback;
  if (spec.concurrency < 1 || spec.channels < 1) {
    return absl::InvalidArgumentError("concurrency and channels must be at least 1");
  }
  if (spec.duration <= absl::ZeroDuration() || spec.warmup < absl::ZeroDuration() ||
      spec.call_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("duration and call timeout must be positive");
  }
  if (spec.mix.empty() ||
      std::any_of(spec.mix.begin(), spec.mix.end(), [](const CallClass& c) {
        return !(c.share > 0);
      })) {
    return absl::InvalidArgumentError("the call mix needs at least one class, each with a share > 0");
  }
  for (const CallClass& call_class : spec.mix) {
    if (call_class.method == BenchMethod::kStream && call_class.stream_messages < 1) {
      return absl::InvalidArgumentError("a stream call class needs stream_messages >= 1");
    }
    if (call_class.method == BenchMethod::kStream && spec.rate > 0) {
      return absl::InvalidArgumentError("an open loop sends unary calls only");
    }
  }
  if (spec.rate < 0 || (spec.rate > 0 && spec.max_in_flight < 1)) {
    return absl::InvalidArgumentError("rate must be >= 0, and max_in_flight >= 1 with a rate");
  }

  auto state = std::make_unique<LoadState>(spec);
  if (absl::Status connected = state->Connect(); !connected.ok()) return connected;
  spec.rate > 0 ? state->StartOpenLoop() : state->Start();

  SleepUntilNs(state->window_start_ns());
  const double cpu_start = CpuSecondsOfThisProcess();
  if (hooks.window_start) hooks.window_start();
  SleepUntilNs(state->window_end_ns());
  if (hooks.window_end) hooks.window_end();
  const double cpu_end = CpuSecondsOfThisProcess();

  const bool drained = state->WaitDrained(spec.call_timeout + kDrainSlack);
  state->JoinPacer();
  if (!drained) {
    // Calls still point into `state`: leak it rather than free it under them.
    LoadResult result;
    result.window = spec.duration;
    result.drained = false;
    result.client_cpu_s = cpu_end - cpu_start;
    state.release();
    return result;
  }
  LoadResult result = state->Collect();
  result.client_cpu_s = cpu_end - cpu_start;
  return result;
}

}  // namespace tandem::bench
