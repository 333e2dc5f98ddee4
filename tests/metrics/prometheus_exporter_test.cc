// PrometheusExporter: after known calls, a scrape of /metrics with the real curl shows them, by
// status code, stage and stream; a bad or taken address fails BuildAndStart naming it; a scrape
// during Shutdown neither crashes nor hangs, and the exporter stops with the server.
#include "metrics/prometheus_exporter.h"

#include <stdio.h>
#include <sys/wait.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/testing/test_server.h"
#include "tests/testing/test_service_impl.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::string_view kService = "/tandem.testing.TestService/";
const CallOptions kOptions = CallOptions().set_timeout(absl::Seconds(20));

// GET `url` with /usr/bin/curl: the body, or an error if curl failed (it gives up after 10 s, so
// a hung exporter fails the test instead of stalling it).
absl::StatusOr<std::string> Scrape(const std::string& url) {
  const std::string command = absl::StrCat("/usr/bin/curl -sS -f --max-time 10 '", url, "' 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen failed");
  std::string body;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) body.append(buffer, n);
  const int status = pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::UnavailableError(
        absl::StrCat("curl ", url, " exited with ", WEXITSTATUS(status), ": ", body));
  }
  return body;
}

// The value of the sample of `name` whose labels include `labels`, in Prometheus' text format;
// nullopt if there is none. Label values here hold no quotes or commas.
std::optional<double> Sample(absl::string_view text, absl::string_view name,
                             const std::map<std::string, std::string>& labels) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    absl::string_view series = line.substr(0, space);
    std::map<std::string, std::string> found;
    const size_t brace = series.find('{');
    if (series.substr(0, brace) != name) continue;
    if (brace != absl::string_view::npos) {
      absl::string_view inside = series.substr(brace + 1);
      absl::ConsumeSuffix(&inside, "}");
      for (absl::string_view pair : absl::StrSplit(inside, ',', absl::SkipEmpty())) {
        std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
        found[kv.first] = std::string(absl::StripSuffix(absl::StripPrefix(kv.second, "\""), "\""));
      }
    }
    bool match = true;
    for (const auto& [key, value] : labels) match &= found.count(key) && found[key] == value;
    double value;
    if (match && absl::SimpleAtod(line.substr(space + 1), &value)) return value;
  }
  return std::nullopt;
}

std::map<std::string, std::string> ForMethod(absl::string_view method) {
  return {{"method", absl::StrCat(kService, method)}};
}
std::map<std::string, std::string> ForMethodCode(absl::string_view method,
                                                 absl::string_view code) {
  return {{"method", absl::StrCat(kService, method)}, {"code", std::string(code)}};
}

// A TestServer with a PrometheusExporter on 127.0.0.1 and a free port.
struct ExportedServer {
  std::unique_ptr<TestServer> server;
  PrometheusExporter* exporter = nullptr;  // owned by the server
};

ExportedServer StartExported() {
  ExportedServer exported;
  exported.server = TestServer::Start([&](ServerBuilder& builder, ServiceOptions&) {
    auto exporter = std::make_unique<PrometheusExporter>("127.0.0.1:0");
    exported.exporter = exporter.get();
    builder.AddStatsExporter(std::move(exporter));
  });
  return exported;
}

TestRequest Fail(grpc::StatusCode code) {
  TestRequest request = MakeRequest(TestRequest::FAIL, "failed on purpose");
  request.set_code(code);
  return request;
}

TEST(PrometheusExporter, ScrapeShowsCallsByCodeStagesAndStreams) {
  ExportedServer exported = StartExported();
  ASSERT_NE(exported.server, nullptr);
  TestServer& server = *exported.server;
  ASSERT_GT(exported.exporter->port(), 0);
  EXPECT_EQ(exported.exporter->url(),
            absl::StrCat("http://127.0.0.1:", exported.exporter->port(), "/metrics"));

  // 3 OK and 2 NOT_FOUND, in two handler styles.
  for (Method method : {Method::kBlocking, Method::kCoroutine}) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_TRUE(server.Call(method, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO, "hi"),
                              kOptions)
                      .ok());
    }
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(server.Call(method, ClientForm::kBlocking, Fail(grpc::StatusCode::NOT_FOUND),
                            kOptions)
                    .status()
                    .code(),
                absl::StatusCode::kNotFound);
    }
  }
  // A server stream of 7 messages of 100 bytes of payload each.
  TestRequest stream_request = MakeRequest(TestRequest::ECHO, "m");
  stream_request.set_count(7);
  stream_request.set_payload_bytes(100);
  ClientReader<TestReply> reader = server.client().ServerStreamBlocking(stream_request, kOptions);
  TestReply reply;
  int messages = 0;
  while (reader.Read(&reply)) ++messages;
  EXPECT_TRUE(reader.Finish().ok());
  EXPECT_EQ(messages, 7);
  for (absl::string_view method : {"Blocking", "Coroutine", "ServerStreamBlocking"}) {
    server.StatsOnceIdle(method);  // A call is recorded a moment after its client has its status.
  }

  absl::StatusOr<std::string> text = Scrape(exported.exporter->url());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, HasSubstr("# TYPE tandem_server_calls_total counter"));
  EXPECT_THAT(*text, HasSubstr("# TYPE tandem_server_call_duration_seconds histogram"));
  for (absl::string_view method : {"Blocking", "Coroutine"}) {
    SCOPED_TRACE(method);
    EXPECT_EQ(Sample(*text, "tandem_server_calls_started_total", ForMethod(method)), 5);
    EXPECT_EQ(Sample(*text, "tandem_server_calls_total", ForMethodCode(method, "OK")), 3);
    EXPECT_EQ(Sample(*text, "tandem_server_calls_total", ForMethodCode(method, "NOT_FOUND")), 2);
    EXPECT_EQ(Sample(*text, "tandem_server_calls_total", ForMethodCode(method, "INTERNAL")),
              std::nullopt);  // no call ended so
    EXPECT_EQ(Sample(*text, "tandem_server_calls_in_flight", ForMethod(method)), 0);
    // Every call ran, so each stage's histogram counted all five.
    for (const char* histogram :
         {"tandem_server_call_duration_seconds", "tandem_server_call_queue_seconds",
          "tandem_server_call_running_seconds"}) {
      SCOPED_TRACE(histogram);
      EXPECT_EQ(Sample(*text, absl::StrCat(histogram, "_count"), ForMethod(method)), 5);
      std::map<std::string, std::string> infinite = ForMethod(method);
      infinite["le"] = "+Inf";
      EXPECT_EQ(Sample(*text, absl::StrCat(histogram, "_bucket"), infinite), 5);
      EXPECT_GT(Sample(*text, absl::StrCat(histogram, "_sum"), ForMethod(method)).value_or(-1), 0);
    }
  }
  // The labels say the style and the executor.
  const MethodStats blocking = server.StatsOf("Blocking");
  EXPECT_EQ(Sample(*text, "tandem_server_calls_total",
                   {{"method", blocking.method},
                    {"style", "blocking"},
                    {"executor", blocking.executor},
                    {"code", "OK"}}),
            3);
  EXPECT_EQ(Sample(*text, "tandem_server_calls_total",
                   {{"method", absl::StrCat(kService, "Coroutine")}, {"style", "coroutine"}}),
            3);

  EXPECT_EQ(Sample(*text, "tandem_server_stream_messages_written_total",
                   ForMethod("ServerStreamBlocking")),
            7);
  const MethodStats stream = server.StatsOf("ServerStreamBlocking");
  EXPECT_GE(stream.stream_bytes_written, 7 * 100);
  EXPECT_EQ(Sample(*text, "tandem_server_stream_bytes_written_total",
                   ForMethod("ServerStreamBlocking")),
            stream.stream_bytes_written);
  EXPECT_EQ(Sample(*text, "tandem_server_calls_total", ForMethodCode("ServerStreamBlocking", "OK")),
            1);
  EXPECT_GT(Sample(*text, "tandem_server_stream_max_queued_bytes", ForMethod("ServerStreamBlocking"))
                .value_or(0),
            0);

  // Per executor: the server's default pool (16 threads) and the pool CallbackOnPool runs on.
  EXPECT_EQ(Sample(*text, "tandem_executor_threads",
                   {{"executor", blocking.executor}, {"kind", "thread_pool"}}),
            16);
  EXPECT_EQ(Sample(*text, "tandem_executor_threads", {{"executor", "callback-pool"}}), 4);
  EXPECT_EQ(Sample(*text, "tandem_executor_queue_depth", {{"executor", blocking.executor}}), 0);
  EXPECT_EQ(Sample(*text, "tandem_executor_watchdog_reports_total",
                   {{"executor", blocking.executor}}),
            0);
  EXPECT_EQ(Sample(*text, "tandem_executor_threads", {{"kind", "coroutine_loop"}}), 1);
  EXPECT_EQ(Sample(*text, "tandem_executor_in_flight", {{"kind", "inline"}}), 0);
}

TEST(PrometheusExporter, HandlerThatThrowsCountsAsInternal) {
  ExportedServer exported = StartExported();
  ASSERT_NE(exported.server, nullptr);
  EXPECT_EQ(exported.server
                ->Call(Method::kCallback, ClientForm::kBlocking,
                       MakeRequest(TestRequest::THROW, "boom"), kOptions)
                .status()
                .code(),
            absl::StatusCode::kInternal);
  exported.server->StatsOnceIdle("Callback");
  absl::StatusOr<std::string> text = Scrape(exported.exporter->url());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(Sample(*text, "tandem_server_calls_total", ForMethodCode("Callback", "INTERNAL")), 1);
  EXPECT_EQ(Sample(*text, "tandem_server_handler_exceptions_total", ForMethod("Callback")), 1);
  EXPECT_EQ(Sample(*text, "tandem_server_calls_total", ForMethodCode("Callback", "OK")), 0);
  EXPECT_EQ(Sample(*text, "tandem_server_call_duration_seconds_count", ForMethod("Callback")), 1);
}

TEST(PrometheusExporter, ScrapeShowsShadowResultsAndOneWayOutcomes) {
  TestServiceImpl candidate;  // another instance: it answers as the primary does
  PrometheusExporter* exporter = nullptr;
  auto server = TestServer::Start([&](ServerBuilder& builder, ServiceOptions& service) {
    auto owned = std::make_unique<PrometheusExporter>("127.0.0.1:0");
    exporter = owned.get();
    builder.AddStatsExporter(std::move(owned));
    service.Shadow("Blocking", candidate,
                   {.ignored_fields = {"received_unix_ns", "started_unix_ns"}})
        .SetOneWay("Coroutine");
  });
  ASSERT_NE(server, nullptr);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(server->Call(Method::kBlocking, ClientForm::kBlocking,
                             MakeRequest(TestRequest::ECHO, "x"), kOptions)
                    .ok());
    ASSERT_TRUE(server->Call(Method::kCoroutine, ClientForm::kBlocking,
                             MakeRequest(TestRequest::ECHO, "x"), kOptions)
                    .ok());
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (absl::Now() < give_up && (server->StatsOf("Blocking").shadow_matches < 2 ||
                                   server->StatsOf("Coroutine").one_way_ok < 2)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  absl::StatusOr<std::string> text = Scrape(exporter->url());
  ASSERT_TRUE(text.ok()) << text.status();
  auto shadow = [](absl::string_view result) {
    return std::map<std::string, std::string>{{"method", absl::StrCat(kService, "Blocking")},
                                              {"candidate_style", "blocking"},
                                              {"result", std::string(result)}};
  };
  EXPECT_EQ(Sample(*text, "tandem_server_shadow_calls_total", shadow("match")), 2);
  EXPECT_EQ(Sample(*text, "tandem_server_shadow_calls_total", shadow("mismatch")), 0);
  EXPECT_EQ(Sample(*text, "tandem_server_shadow_calls_total", shadow("candidate_error")), 0);
  EXPECT_EQ(Sample(*text, "tandem_server_shadow_calls_total", shadow("skipped")), 0);
  auto one_way = [](absl::string_view outcome) {
    return std::map<std::string, std::string>{{"method", absl::StrCat(kService, "Coroutine")},
                                              {"outcome", std::string(outcome)}};
  };
  EXPECT_EQ(Sample(*text, "tandem_server_one_way_handlers_total", one_way("ok")), 2);
  EXPECT_EQ(Sample(*text, "tandem_server_one_way_handlers_total", one_way("failed")), 0);
  // Methods neither shadowed nor one-way have neither series.
  EXPECT_EQ(Sample(*text, "tandem_server_shadow_calls_total", ForMethod("Coroutine")),
            std::nullopt);
  EXPECT_EQ(Sample(*text, "tandem_server_one_way_handlers_total", ForMethod("Blocking")),
            std::nullopt);
}

// A server on its own, for the failures TestServer would report as test failures.
absl::StatusOr<std::unique_ptr<Server>> StartWithExporter(TestServiceImpl& service,
                                                          const std::string& address) {
  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0").RegisterService(&service);
  builder.AddStatsExporter(std::make_unique<PrometheusExporter>(address));
  return builder.BuildAndStart();
}

TEST(PrometheusExporter, AddressInUseFailsBuildAndStartNamingIt) {
  ExportedServer first = StartExported();
  ASSERT_NE(first.server, nullptr);
  const std::string taken = absl::StrCat("127.0.0.1:", first.exporter->port());

  TestServiceImpl service;
  absl::StatusOr<std::unique_ptr<Server>> second = StartWithExporter(service, taken);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr(taken));
  EXPECT_THAT(second.status().message(), HasSubstr("in use"));
  // The first server's exporter is untouched.
  EXPECT_TRUE(Scrape(first.exporter->url()).ok());
}

TEST(PrometheusExporter, InvalidAddressFailsBuildAndStartNamingIt) {
  for (const std::string address : {"", "nonsense", "127.0.0.1", "999.1.2.3:9464",
                                    "127.0.0.1:99999", "127.0.0.1:port", "::1:9464",
                                    // Well-formed, but not an address of this host.
                                    "192.0.2.1:9464"}) {
    SCOPED_TRACE(address);
    TestServiceImpl service;
    absl::StatusOr<std::unique_ptr<Server>> server = StartWithExporter(service, address);
    ASSERT_FALSE(server.ok());
    EXPECT_THAT(server.status().message(), HasSubstr(absl::StrCat("'", address, "'")))
        << server.status();
  }
}

TEST(PrometheusExporter, ScrapeDuringShutdownNeitherCrashesNorHangs) {
  ExportedServer exported = StartExported();
  ASSERT_NE(exported.server, nullptr);
  TestServer& server = *exported.server;
  const std::string url = exported.exporter->url();

  // A call that holds Shutdown's drain open until the test releases it.
  std::thread blocked([&] {
    EXPECT_TRUE(server.Call(Method::kBlocking, ClientForm::kBlocking,
                            MakeRequest(TestRequest::BLOCK, "late"), kOptions)
                    .ok());
  });
  ASSERT_TRUE(server.service().WaitForHandlersWaiting(1, absl::Seconds(20)));
  std::thread shutdown([&] { server.server().Shutdown(absl::Seconds(30)); });
  // Shutdown has stopped accepting calls once a new one fails.
  bool draining = false;
  for (int i = 0; i < 200 && !draining; ++i) {
    draining = !server
                    .Call(Method::kBlocking, ClientForm::kBlocking,
                          MakeRequest(TestRequest::ECHO, "probe"),
                          CallOptions().set_timeout(absl::Seconds(1)))
                    .ok();
  }
  ASSERT_TRUE(draining);
  // The probes that got in are recorded as finished a moment after their clients heard.
  for (int i = 0; i < 20000; ++i) {
    const MethodStats stats = server.StatsOf("Blocking");
    if (stats.started - stats.finished_ok - stats.finished_error == 1) break;
    absl::SleepFor(absl::Milliseconds(1));
  }

  // Mid-drain, the scrape sees the call still in flight.
  absl::StatusOr<std::string> text = Scrape(url);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(Sample(*text, "tandem_server_calls_in_flight", ForMethod("Blocking")), 1);

  // Scrapes keep coming while the drain ends, the executors stop and the exporter stops.
  std::atomic<bool> stop{false};
  std::atomic<int> scrapes{0};
  std::thread scraper([&] {
    while (!stop.load()) {
      (void)Scrape(url);  // Fails once the exporter has stopped: what matters is that it returns.
      scrapes.fetch_add(1);
    }
  });
  server.service().Release();
  shutdown.join();
  blocked.join();
  stop.store(true);
  scraper.join();
  EXPECT_GT(scrapes.load(), 0);
  // Stopped with the server: nothing listens there any more.
  EXPECT_FALSE(Scrape(url).ok());
}

}  // namespace
}  // namespace tandem::testing
