// Measures one scale run, for issue 4's closing note and the benchmark issue: `calls` calls at
// once to the test service's Blocking method, each waiting `sleep_ms` with tandem::SleepFor,
// served by a FiberPool or a ThreadPool of `threads` threads. Prints the wall time, the process's
// peak resident memory (VmHWM) and its peak thread count. Client and server share the process, as
// in the scale test; the "before" figures are the process once the server is up, before any call.
//
//   bazel run //tests/fibers:scale_report -- --executor=fiber --threads=2
//   bazel run //tests/fibers:scale_report -- --executor=thread --threads=10000
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "executors/fiber_pool.h"
#include "executors/thread_pool.h"
#include "grpcpp/create_channel.h"
#include "server/server.h"
#include "tests/fibers/concurrent_calls.h"
#include "tests/testing/test_service_impl.h"
#include "tools/parse_flags.h"

ABSL_FLAG(std::string, executor, "fiber", "what serves the calls: fiber or thread");
ABSL_FLAG(int, threads, 2, "the executor's threads");
ABSL_FLAG(int, calls, 10'000, "calls made at once");
ABSL_FLAG(int, sleep_ms, 100, "how long each call waits (tandem::SleepFor)");

namespace tandem::testing {
namespace {

struct Flags {
  std::string executor;
  int threads;
  int calls;
  int sleep_ms;
};

Flags ReadFlags() {
  Flags flags{absl::GetFlag(FLAGS_executor), absl::GetFlag(FLAGS_threads),
              absl::GetFlag(FLAGS_calls), absl::GetFlag(FLAGS_sleep_ms)};
  if ((flags.executor != "fiber" && flags.executor != "thread") || flags.threads < 1 ||
      flags.calls < 1 || flags.sleep_ms < 0) {
    std::fprintf(stderr,
                 "scale_report: --executor is fiber or thread; --threads and --calls are "
                 "positive, --sleep_ms not negative\n");
    std::exit(2);
  }
  return flags;
}

// A field of /proc/self/status, e.g. "VmHWM" (in kB) or "Threads"; -1 if absent.
long ProcStatus(absl::string_view field) {
  std::ifstream status("/proc/self/status");
  const std::string prefix = absl::StrCat(field, ":");
  for (std::string line; std::getline(status, line);) {
    if (!absl::StartsWith(line, prefix)) continue;
    absl::string_view value =
        absl::StripAsciiWhitespace(absl::string_view(line).substr(prefix.size()));
    value = value.substr(0, value.find(' '));  // drops " kB"
    long number = -1;
    return absl::SimpleAtoi(value, &number) ? number : -1;
  }
  return -1;
}

int Run(const Flags& flags) {
  std::shared_ptr<Executor> pool;
  if (flags.executor == "fiber") {
    pool = std::make_shared<FiberPool>(FiberPool::Options{
        .name = "report-fibers",
        .threads = flags.threads,
        .max_pending = static_cast<size_t>(flags.calls)});
  } else {
    pool = std::make_shared<ThreadPool>(ThreadPool::Options{
        .name = "report-threads",
        .threads = flags.threads,
        .max_queue = static_cast<size_t>(flags.calls)});
  }
  TestServiceImpl service;
  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0")
      .RegisterService(&service, ServiceOptions().Bind("Blocking", pool));
  absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  TestServiceTandem::Client client(channel);
  // One call first, so that the connection is up before the measured run.
  TestRequest warm_up;
  warm_up.set_message("warm-up");
  if (!client.Blocking(warm_up).ok()) {
    std::fprintf(stderr, "warm-up call failed\n");
    return 1;
  }

  const long rss_before_kb = ProcStatus("VmRSS");
  const long threads_before = ProcStatus("Threads");
  std::atomic<bool> sampling{true};
  std::atomic<long> peak_threads{threads_before};
  std::thread sampler([&] {
    while (sampling) {
      const long threads = ProcStatus("Threads");
      if (threads > peak_threads) peak_threads = threads;
      absl::SleepFor(absl::Milliseconds(2));
    }
  });

  ConcurrentCallsResult result = RunConcurrentCalls(
      client, flags.calls,
      [&](int i) {
        TestRequest request;
        request.set_action(TestRequest::SLEEP);
        request.set_message(absl::StrCat("call-", i));
        request.set_sleep_ms(flags.sleep_ms);
        return request;
      },
      absl::Seconds(600));
  sampling = false;
  sampler.join();

  std::printf(
      "executor=%s threads=%d calls=%d sleep_ms=%d\n"
      "  answered=%d ok=%d%s%s\n"
      "  wall=%s\n"
      "  peak RSS (VmHWM)=%.1f MiB (before the calls: VmRSS=%.1f MiB)\n"
      "  peak threads=%ld (before the calls: %ld)\n",
      flags.executor.c_str(), flags.threads, flags.calls, flags.sleep_ms, result.answered,
      result.ok, result.first_error.empty() ? "" : " first error: ", result.first_error.c_str(),
      absl::FormatDuration(result.wall).c_str(), ProcStatus("VmHWM") / 1024.0,
      rss_before_kb / 1024.0, peak_threads.load(), threads_before);
  (*server)->Shutdown(absl::Seconds(10));
  return result.ok == flags.calls ? 0 : 1;
}

}  // namespace
}  // namespace tandem::testing

int main(int argc, char** argv) {
  tandem::ParseFlags(argc, argv,
                     "Measures one scale run: wall time, peak RSS and peak thread count.");
  return tandem::testing::Run(tandem::testing::ReadFlags());
}
