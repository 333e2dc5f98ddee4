// Hostile input: a Tandem server meets requests, bytes and clients that break the rules, ends
// each bad call or connection the way the protocol says, and keeps serving.
//
// - Request bodies that are not a valid TestRequest, for every method of every RPC kind and
//   style: INTERNAL naming the method and the type (never UNIMPLEMENTED), counted in the stats.
//   Unary and server-streaming calls with no request message, or more than one.
// - Bytes on the port that are not gRPC: HTTP/1.1, garbage, truncated and illegal HTTP/2 frames.
// - Requests over the server's maximum receive size: RESOURCE_EXHAUSTED.
// - Methods and services that do not exist: UNIMPLEMENTED.
// - Clients that vanish mid-stream (cancelled, dropped, or their connection cut), for every
//   streaming kind and style: every handler hears of it, and Shutdown still completes.
// - Storms of cancelled calls, in every style; threads and memory come back afterwards.
//
// Every case ends with good calls through the server's normal Tandem client, which must succeed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/cancellation.h"
#include "executors/thread_pool.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "server/concurrency_limiter.h"
#include "tests/testing/raw_call.h"
#include "tests/testing/test_server.h"

#if defined(__SANITIZE_ADDRESS__)
#define TANDEM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TANDEM_TEST_ASAN 1
#endif
#endif

#if defined(TANDEM_TEST_ASAN)
// From <sanitizer/allocator_interface.h>, which GCC does not ship: returns free memory to the
// system, so that VmRSS shows live memory.
extern "C" void __sanitizer_purge_allocator();
// ASan's options for this binary (ASAN_OPTIONS adds to them). The purge above leaves much of the
// quarantine of freed blocks resident: with the default 256 MB, three storms grew VmRSS by 62-73
// MB under ASan against 3-5 MB without it, and AfterStorms measured the quarantine, not Tandem.
// 8 MB still catches a use of memory freed a few thousand calls before.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=8"; }
#endif

namespace tandem::testing {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Every client call's deadline; every wait for the server.
constexpr absl::Duration kWait = absl::Seconds(20);

CallOptions Options() { return CallOptions().set_timeout(kWait); }

// --- The methods of TestService: RPC kind × handler style ---------------------------------

enum class Kind { kUnary, kServerStream, kClientStream, kBidi };
enum class Style { kBlocking, kCoroutine, kCallback, kCallbackOnPool };

struct MethodCase {
  Kind kind;
  Style style;
};

std::string StyleName(Style style) {
  switch (style) {
    case Style::kBlocking:
      return "Blocking";
    case Style::kCoroutine:
      return "Coroutine";
    case Style::kCallback:
      return "Callback";
    case Style::kCallbackOnPool:
      return "CallbackOnPool";
  }
  return "Unknown";
}

std::string KindName(Kind kind) {
  switch (kind) {
    case Kind::kUnary:
      return "";
    case Kind::kServerStream:
      return "ServerStream";
    case Kind::kClientStream:
      return "ClientStream";
    case Kind::kBidi:
      return "Bidi";
  }
  return "Unknown";
}

// As in the .proto: "Blocking", "ServerStreamCoroutine", ...
std::string ShortName(MethodCase method) { return KindName(method.kind) + StyleName(method.style); }

// "/tandem.testing.TestService/Blocking": the path on the wire, and the name in stats and errors.
std::string FullName(absl::string_view short_name) {
  return absl::StrCat("/tandem.testing.TestService/", short_name);
}
std::string FullName(MethodCase method) { return FullName(ShortName(method)); }

// Test parameters as gtest prints them in failure messages.
void PrintTo(MethodCase method, std::ostream* os) { *os << ShortName(method); }
void PrintTo(Kind kind, std::ostream* os) {
  *os << (kind == Kind::kUnary ? "Unary" : KindName(kind));
}
void PrintTo(Style style, std::ostream* os) { *os << StyleName(style); }

// Whether the method reads a stream of requests (and so can get a bad one after a good one).
bool ReadsAStream(Kind kind) { return kind == Kind::kClientStream || kind == Kind::kBidi; }

Method UnaryMethod(Style style) {
  switch (style) {
    case Style::kBlocking:
      return Method::kBlocking;
    case Style::kCoroutine:
      return Method::kCoroutine;
    case Style::kCallback:
      return Method::kCallback;
    case Style::kCallbackOnPool:
      return Method::kCallbackOnPool;
  }
  return Method::kBlocking;
}

constexpr Style kUnaryStyles[] = {Style::kBlocking, Style::kCoroutine, Style::kCallback,
                                  Style::kCallbackOnPool};
// Streaming methods come in three styles; there is no CallbackOnPool variant.
constexpr Style kStreamStyles[] = {Style::kBlocking, Style::kCoroutine, Style::kCallback};
constexpr Kind kStreamKinds[] = {Kind::kServerStream, Kind::kClientStream, Kind::kBidi};

std::vector<MethodCase> EveryMethod() {
  std::vector<MethodCase> methods;
  for (Style style : kUnaryStyles) methods.push_back({Kind::kUnary, style});
  for (Kind kind : kStreamKinds) {
    for (Style style : kStreamStyles) methods.push_back({kind, style});
  }
  return methods;
}

std::vector<MethodCase> StreamReadingMethods() {
  std::vector<MethodCase> methods;
  for (Kind kind : {Kind::kClientStream, Kind::kBidi}) {
    for (Style style : kStreamStyles) methods.push_back({kind, style});
  }
  return methods;
}

TestRequest StreamRequest(TestRequest::Action action, int count, std::string message) {
  TestRequest request = MakeRequest(action, std::move(message));
  request.set_count(count);
  return request;
}

ClientReader<TestReply> StartServerStream(TestServiceTandem::Client& client, Style style,
                                          const TestRequest& request) {
  switch (style) {
    case Style::kBlocking:
      return client.ServerStreamBlocking(request, Options());
    case Style::kCoroutine:
      return client.ServerStreamCoroutine(request, Options());
    default:
      return client.ServerStreamCallback(request, Options());
  }
}

ClientWriter<TestRequest, TestReply> StartClientStream(TestServiceTandem::Client& client,
                                                       Style style) {
  switch (style) {
    case Style::kBlocking:
      return client.ClientStreamBlocking(Options());
    case Style::kCoroutine:
      return client.ClientStreamCoroutine(Options());
    default:
      return client.ClientStreamCallback(Options());
  }
}

ClientReaderWriter<TestRequest, TestReply> StartBidi(TestServiceTandem::Client& client,
                                                     Style style) {
  switch (style) {
    case Style::kBlocking:
      return client.BidiBlocking(Options());
    case Style::kCoroutine:
      return client.BidiCoroutine(Options());
    default:
      return client.BidiCallback(Options());
  }
}

std::vector<std::string> ReadAll(ClientReader<TestReply>& reader) {
  std::vector<std::string> messages;
  TestReply reply;
  while (reader.Read(&reply)) messages.push_back(reply.message());
  return messages;
}

// A correct call of `method` through the server's own Tandem client, which must succeed with
// the right reply: the proof that a server is still serving.
AssertionResult GoodCall(TestServer& server, MethodCase method) {
  TestServiceTandem::Client& client = server.client();
  const std::string name = ShortName(method);
  switch (method.kind) {
    case Kind::kUnary: {
      absl::StatusOr<TestReply> reply =
          server.Call(UnaryMethod(method.style), ClientForm::kAsyncCallback,
                      MakeRequest(TestRequest::ECHO, "good"), Options());
      if (!reply.ok()) return AssertionFailure() << name << ": " << reply.status();
      if (reply->message() != "good") return AssertionFailure() << name << ": " << reply->message();
      return AssertionSuccess();
    }
    case Kind::kServerStream: {
      auto reader =
          StartServerStream(client, method.style, StreamRequest(TestRequest::ECHO, 2, "good"));
      const std::vector<std::string> messages = ReadAll(reader);
      const absl::Status status = reader.Finish();
      if (!status.ok()) return AssertionFailure() << name << ": " << status;
      if (messages != std::vector<std::string>{"good-0", "good-1"}) {
        return AssertionFailure() << name << ": " << absl::StrJoin(messages, ",");
      }
      return AssertionSuccess();
    }
    case Kind::kClientStream: {
      auto writer = StartClientStream(client, method.style);
      for (const char* message : {"good", "calls"}) {
        if (!writer.Write(MakeRequest(TestRequest::ECHO, message))) break;
      }
      absl::StatusOr<TestReply> reply = writer.Finish();
      if (!reply.ok()) return AssertionFailure() << name << ": " << reply.status();
      if (reply->message() != "good,calls") {
        return AssertionFailure() << name << ": " << reply->message();
      }
      return AssertionSuccess();
    }
    case Kind::kBidi: {
      auto stream = StartBidi(client, method.style);
      TestReply reply;
      const bool exchanged =
          stream.Write(MakeRequest(TestRequest::ECHO, "good")) && stream.Read(&reply);
      stream.WritesDone();
      TestReply extra;
      while (stream.Read(&extra)) {
      }
      const absl::Status status = stream.Finish();
      if (!status.ok()) return AssertionFailure() << name << ": " << status;
      if (!exchanged || reply.message() != "good-0") {
        return AssertionFailure() << name << ": no echo (got '" << reply.message() << "')";
      }
      return AssertionSuccess();
    }
  }
  return AssertionFailure() << "unknown kind";
}

AssertionResult GoodCallsOnEveryMethod(TestServer& server) {
  for (MethodCase method : EveryMethod()) {
    AssertionResult good = GoodCall(server, method);
    if (!good) return good;
  }
  return AssertionSuccess();
}

// Every call the server started on `full_name` has been finished (OK or not): none is left
// hanging. Polled, within kWait: a call ends on the server a moment after the client hears of it.
AssertionResult EveryStartedCallFinishes(TestServer& server, const std::string& full_name) {
  const MethodStats stats = server.StatsOnceIdle(full_name, kWait);
  if (stats.started == stats.finished_ok + stats.finished_error) return AssertionSuccess();
  return AssertionFailure() << full_name << ": " << stats.started << " calls started, "
                            << stats.finished_ok << " finished OK, " << stats.finished_error
                            << " finished with an error";
}

// A blocking pool of `threads` threads whose calls are never shed at the door: these tests are
// about calls that vanish, and shedding is overload_test's subject. A cancelled call holds its
// place in a limiter until gRPC reports it done, so a limit of `threads` (or the default cap of
// half the threads for streams) would shed some of a storm's calls, at random.
TestServer::Configure WithBlockingPoolThreads(int threads) {
  constexpr int kAdmitEveryCall = 1 << 20;
  return [threads](ServerBuilder& builder, ServiceOptions&) {
    auto pool =
        std::make_shared<ThreadPool>(ThreadPool::Options{.name = "blocking-pool", .threads = threads});
    builder.SetDefaultBlockingExecutor(pool);
    builder.SetExecutorConcurrencyLimiter(pool, ConcurrencyLimiter::Fixed(kAdmitEveryCall));
  };
}

// Shuts the server down; fails the test if that takes longer than `limit`, and then aborts, as
// a server that never shuts down cannot be destroyed either.
void ShutdownWithin(TestServer& server, absl::Duration limit) {
  absl::Notification done;
  std::thread shutdown([&server, &done] {
    server.server().Shutdown(absl::Seconds(1));
    done.Notify();
  });
  if (!done.WaitForNotificationWithTimeout(limit)) {
    ADD_FAILURE() << "Shutdown did not complete within " << limit << "; aborting";
    std::abort();
  }
  shutdown.join();
}

// --- Raw calls: any bytes as request messages (tests/testing/raw_call.h) -------------------

RawCallResult CallRaw(TestServer& server, const std::string& method,
                      const std::vector<std::string>& messages) {
  return RawCall(server.channel(), method, messages, kWait);
}

std::string ValidRequestBytes(std::string message) {
  return MakeRequest(TestRequest::ECHO, std::move(message)).SerializeAsString();
}

// --- 1. Malformed request bodies --------------------------------------------------------

struct Body {
  std::string name;
  std::string bytes;
};
void PrintTo(const Body& body, std::ostream* os) { *os << body.name; }

// Bytes that are not a valid encoding of TestRequest.
std::vector<Body> MalformedBodies() {
  return {
      // A field tag whose varint never ends.
      {"TruncatedTag", std::string("\xff\xff\xff\xff", 4)},
      // `message` (field 2, length-delimited) announcing 64 bytes, followed by 3.
      {"LengthPastTheEnd", std::string("\x12\x40", 2) + "abc"},
      // `message` holding bytes that are not UTF-8, which a proto3 string may not.
      {"StringNotUtf8", std::string("\x12\x02\xc3\x28", 4)},
  };
}

class MalformedRequest : public ::testing::TestWithParam<std::tuple<MethodCase, Body>> {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    ASSERT_NE(server_, nullptr);
  }

  MethodCase method() const { return std::get<0>(GetParam()); }
  const Body& body() const { return std::get<1>(GetParam()); }

  std::unique_ptr<TestServer> server_;
};

// The only request of a unary or server-streaming call, or the first of a stream.
TEST_P(MalformedRequest, EndsTheCallWithInternalNamingMethodAndTypeThenServes) {
  const RawCallResult outcome = CallRaw(*server_, FullName(method()), {body().bytes});

  // Never UNIMPLEMENTED: the method exists; only its request is bad.
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INTERNAL)
      << outcome.status.error_code() << ": " << outcome.status.error_message();
  EXPECT_THAT(outcome.status.error_message(), HasSubstr(FullName(method())));
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("not a valid tandem.testing.TestRequest"));
  if (ReadsAStream(method().kind)) {
    EXPECT_THAT(outcome.status.error_message(), HasSubstr("request message 1"));
  }
  EXPECT_THAT(outcome.responses, IsEmpty());
  const MethodStats stats = server_->StatsOf(FullName(method()));
  EXPECT_EQ(stats.malformed_requests, 1u);
  EXPECT_EQ(stats.finished_ok, 0u);

  EXPECT_TRUE(GoodCall(*server_, method()));
  EXPECT_EQ(server_->StatsOf(FullName(method())).malformed_requests, 1u);
}

INSTANTIATE_TEST_SUITE_P(EveryMethodEveryBody, MalformedRequest,
                         ::testing::Combine(::testing::ValuesIn(EveryMethod()),
                                            ::testing::ValuesIn(MalformedBodies())),
                         [](const auto& info) {
                           return ShortName(std::get<0>(info.param)) + "_" +
                                  std::get<1>(info.param).name;
                         });

class MalformedStreamedRequest : public MalformedRequest {};

// A valid request, then a malformed one: the call must not end OK as if the client had sent
// one message; it ends INTERNAL and names the message.
TEST_P(MalformedStreamedRequest, AfterAValidOneEndsTheCallWithInternalNotPartialOk) {
  const RawCallResult outcome =
      CallRaw(*server_, FullName(method()), {ValidRequestBytes("first"), body().bytes});

  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INTERNAL)
      << outcome.status.error_message();
  EXPECT_THAT(outcome.status.error_message(), HasSubstr(FullName(method())));
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("request message 2"));
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("not a valid tandem.testing.TestRequest"));
  if (method().kind == Kind::kClientStream) {
    EXPECT_THAT(outcome.responses, IsEmpty());
  } else {
    // Bidi may have echoed the valid first request before the bad one arrived; nothing more.
    ASSERT_LE(outcome.responses.size(), 1u);
    for (const std::string& bytes : outcome.responses) {
      TestReply reply;
      ASSERT_TRUE(reply.ParseFromString(bytes));
      EXPECT_EQ(reply.message(), "first-0");
    }
  }
  const MethodStats stats = server_->StatsOf(FullName(method()));
  EXPECT_EQ(stats.malformed_requests, 1u);
  EXPECT_EQ(stats.finished_ok, 0u);

  EXPECT_TRUE(GoodCall(*server_, method()));
}

INSTANTIATE_TEST_SUITE_P(StreamReadingMethodsEveryBody, MalformedStreamedRequest,
                         ::testing::Combine(::testing::ValuesIn(StreamReadingMethods()),
                                            ::testing::ValuesIn(MalformedBodies())),
                         [](const auto& info) {
                           return ShortName(std::get<0>(info.param)) + "_" +
                                  std::get<1>(info.param).name;
                         });

std::vector<MethodCase> SingleRequestMethods() {
  std::vector<MethodCase> methods;
  for (Style style : kUnaryStyles) methods.push_back({Kind::kUnary, style});
  for (Style style : kStreamStyles) methods.push_back({Kind::kServerStream, style});
  return methods;
}

// Unary and server-streaming calls take exactly one request message; a client can send none,
// an empty one, or several.
class RequestCount : public ::testing::TestWithParam<MethodCase> {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    ASSERT_NE(server_, nullptr);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_P(RequestCount, NoRequestMessageEndsTheCallWithInternalNamingTheMethod) {
  const RawCallResult outcome = CallRaw(*server_, FullName(GetParam()), {});
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INTERNAL)
      << outcome.status.error_code() << ": " << outcome.status.error_message();
  EXPECT_THAT(outcome.status.error_message(), HasSubstr(FullName(GetParam())));
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("no request message"));
  EXPECT_THAT(outcome.responses, IsEmpty());
  EXPECT_TRUE(GoodCall(*server_, GetParam()));
}

// Zero bytes are a valid TestRequest (every field at its default: ECHO of ""), unlike no message.
TEST_P(RequestCount, AnEmptyRequestMessageIsAValidRequest) {
  const RawCallResult outcome = CallRaw(*server_, FullName(GetParam()), {""});
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  if (GetParam().kind == Kind::kUnary) {
    ASSERT_EQ(outcome.responses.size(), 1u);
    TestReply reply;
    ASSERT_TRUE(reply.ParseFromString(outcome.responses[0]));
    EXPECT_EQ(reply.message(), "");
  } else {
    EXPECT_THAT(outcome.responses, IsEmpty());  // count 0: no messages, then OK
  }
  EXPECT_EQ(server_->StatsOf(FullName(GetParam())).malformed_requests, 0u);
}

// gRPC's C++ core hands a unary or server-streaming method the first request message and drops
// the rest (gRPC Java answers INTERNAL instead). Either is fine; answering from a later
// message, or not answering, is not.
TEST_P(RequestCount, ExtraRequestMessagesAreNeverTakenForTheRequest) {
  TestRequest first = StreamRequest(TestRequest::ECHO, 1, "first");
  TestRequest second = StreamRequest(TestRequest::ECHO, 1, "second");
  const RawCallResult outcome = CallRaw(*server_, FullName(GetParam()),
                                     {first.SerializeAsString(), second.SerializeAsString()});
  if (outcome.status.ok()) {
    ASSERT_EQ(outcome.responses.size(), 1u);
    TestReply reply;
    ASSERT_TRUE(reply.ParseFromString(outcome.responses[0]));
    EXPECT_EQ(reply.message(), GetParam().kind == Kind::kUnary ? "first" : "first-0");
  } else {
    EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INTERNAL)
        << outcome.status.error_code() << ": " << outcome.status.error_message();
  }
  EXPECT_TRUE(GoodCall(*server_, GetParam()));
}

INSTANTIATE_TEST_SUITE_P(UnaryAndServerStreaming, RequestCount,
                         ::testing::ValuesIn(SingleRequestMethods()),
                         [](const auto& info) { return ShortName(info.param); });

// --- 2. Bytes on the port that are not gRPC ---------------------------------------------

constexpr absl::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Frame types and flags (RFC 9113 section 6).
constexpr uint8_t kDataFrame = 0x0;
constexpr uint8_t kHeadersFrame = 0x1;
constexpr uint8_t kSettingsFrame = 0x4;
constexpr uint8_t kEndStream = 0x1;
constexpr uint8_t kEndHeaders = 0x4;

// One HTTP/2 frame; its header announces `announced` payload bytes (the real size by default).
std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, absl::string_view payload,
                  std::optional<uint32_t> announced = std::nullopt) {
  const uint32_t length = announced.value_or(static_cast<uint32_t>(payload.size()));
  std::string frame;
  frame.push_back(static_cast<char>((length >> 16) & 0xff));
  frame.push_back(static_cast<char>((length >> 8) & 0xff));
  frame.push_back(static_cast<char>(length & 0xff));
  frame.push_back(static_cast<char>(type));
  frame.push_back(static_cast<char>(flags));
  stream &= 0x7fffffff;  // The reserved bit stays clear.
  for (int shift = 24; shift >= 0; shift -= 8) {
    frame.push_back(static_cast<char>((stream >> shift) & 0xff));
  }
  frame.append(payload.data(), payload.size());
  return frame;
}

// The frames in `bytes` (what a server sent), as "TYPE/flags@stream" in order, e.g. for
// "SETTINGS/0@0 GOAWAY/0@0"; a truncated last frame is shown as such.
std::string FrameSummary(absl::string_view bytes) {
  static constexpr const char* kNames[] = {"DATA",          "HEADERS",     "PRIORITY", "RST_STREAM",
                                           "SETTINGS",      "PUSH",        "PING",     "GOAWAY",
                                           "WINDOW_UPDATE", "CONTINUATION"};
  std::vector<std::string> frames;
  while (bytes.size() >= 9) {
    const auto byte = [&bytes](size_t i) {
      return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i]));
    };
    const uint32_t length = byte(0) << 16 | byte(1) << 8 | byte(2);
    const uint32_t type = byte(3);
    const uint32_t stream = (byte(5) & 0x7f) << 24 | byte(6) << 16 | byte(7) << 8 | byte(8);
    frames.push_back(absl::StrCat(type < 10 ? kNames[type] : absl::StrCat("TYPE", type), "/",
                                  byte(4), "@", stream));
    if (bytes.size() < 9 + length) {
      frames.push_back("(truncated)");
      break;
    }
    bytes.remove_prefix(9 + length);
  }
  return absl::StrJoin(frames, " ");
}

std::string EmptySettings() { return Frame(kSettingsFrame, 0, 0, ""); }

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);  // A fixed seed: the same garbage on every run.
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xff);
  return bytes;
}

// A TCP connection to 127.0.0.1:`port`, for bytes no gRPC client would send. Closed when
// destroyed. Used from one thread.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_ >= 0 && connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  // Writes all of `bytes`; false if the server closed the connection first.
  bool Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(sent));
    }
    return true;
  }

  // Reads (keeping it in received()) what the server sends, until the server closes the
  // connection (true) or `limit` passes (false).
  bool WaitForServerToClose(absl::Duration limit) {
    const absl::Time give_up = absl::Now() + limit;
    char buffer[4096];
    while (true) {
      const absl::Duration left = give_up - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd readable{fd_, POLLIN, 0};
      const int ready = poll(&readable, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      const ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
      if (got == 0) return true;
      if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return errno == ECONNRESET || errno == EPIPE;
      }
      received_.append(buffer, static_cast<size_t>(got));
    }
  }

  const std::string& received() const { return received_; }

 private:
  const int fd_;
  bool connected_ = false;
  std::string received_;
};

struct Garbage {
  std::string name;
  std::string bytes;
  // Whether the server must hang up by itself: bytes that can never become a valid HTTP/2
  // connection. A merely unfinished one may be waited on; the test then hangs up.
  bool server_hangs_up;
};
void PrintTo(const Garbage& garbage, std::ostream* os) { *os << garbage.name; }

std::vector<Garbage> GarbageCases() {
  return {
      {"Http11Request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", true},
      {"RandomBytes", RandomBytes(4096, 20261201), true},
      {"TruncatedPreface", std::string(kHttp2Preface.substr(0, 10)), false},
      // A SETTINGS frame announcing 12 bytes, of which 4 arrive.
      {"PrefaceThenTruncatedFrame",
       absl::StrCat(kHttp2Preface,
                    Frame(kSettingsFrame, 0, 0, std::string("\x00\x03\x00\x00", 4), 12)),
       false},
      // The first frame must be SETTINGS (RFC 9113 section 3.4).
      {"PrefaceThenHeadersBeforeSettings",
       absl::StrCat(kHttp2Preface, Frame(kHeadersFrame, kEndHeaders, 1, "\x82")), true},
      // 16 MiB announced, over any SETTINGS_MAX_FRAME_SIZE the server allows.
      {"PrefaceThenOversizeFrame",
       absl::StrCat(kHttp2Preface, EmptySettings(),
                    Frame(kDataFrame, 0, 1, RandomBytes(64, 7), 0xffffff)),
       true},
      // A header block that is not valid HPACK: an index past any table.
      {"PrefaceThenUndecodableHeaders",
       absl::StrCat(kHttp2Preface, EmptySettings(),
                    Frame(kHeadersFrame, kEndHeaders | kEndStream, 1,
                          std::string("\xff\xff\xff\xff\x0f", 5))),
       true},
      // DATA on a stream never opened. RFC 9113 section 5.1 makes this a connection error, but
      // gRPC 1.51 skips the frame and keeps the connection (it answers SETTINGS and PING): no
      // harm done, and no hang-up to expect.
      {"PrefaceThenDataOnAnIdleStream",
       absl::StrCat(kHttp2Preface, EmptySettings(),
                    Frame(kDataFrame, kEndStream, 1, std::string("\0\0\0\0\0", 5))),
       false},
  };
}

class GarbageOnThePort : public ::testing::TestWithParam<Garbage> {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    ASSERT_NE(server_, nullptr);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_P(GarbageOnThePort, CostsOnlyItsConnection) {
  const Garbage& garbage = GetParam();
  {
    RawConnection connection(server_->server().port());
    ASSERT_TRUE(connection.connected());
    connection.Send(garbage.bytes);  // The server may hang up before it has read it all.
    if (garbage.server_hangs_up) {
      EXPECT_TRUE(connection.WaitForServerToClose(kWait))
          << "the server kept a connection that can never speak gRPC; it sent: "
          << FrameSummary(connection.received());
    }
    // While that connection is still open (if the server kept it), other calls are served.
    EXPECT_TRUE(GoodCallsOnEveryMethod(*server_));
  }
  // And once it is closed: on the client's connection, and on a new one.
  EXPECT_TRUE(GoodCallsOnEveryMethod(*server_));
  TestServiceTandem::Client fresh(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server_->server().port()), grpc::InsecureChannelCredentials()));
  absl::StatusOr<TestReply> reply =
      fresh.Blocking(MakeRequest(TestRequest::ECHO, "new"), Options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "new");
}

INSTANTIATE_TEST_SUITE_P(EveryKindOfGarbage, GarbageOnThePort, ::testing::ValuesIn(GarbageCases()),
                         [](const auto& info) { return info.param.name; });

TEST(GarbageFlood, HundredsOfBadConnectionsCostOnlyThemselves) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  constexpr int kConnections = 100;
  std::vector<std::unique_ptr<RawConnection>> connections;
  for (int i = 0; i < kConnections; ++i) {
    connections.push_back(std::make_unique<RawConnection>(server->server().port()));
    ASSERT_TRUE(connections.back()->connected());
    // Alternately: nothing at all, half a preface, garbage.
    if (i % 3 == 1) connections.back()->Send(kHttp2Preface.substr(0, 12));
    if (i % 3 == 2) connections.back()->Send(RandomBytes(512, static_cast<uint32_t>(i)));
  }
  // All still open (the server hangs up on some of them): other calls are served.
  EXPECT_TRUE(GoodCallsOnEveryMethod(*server));
  connections.clear();
  // Connections opened and closed at once.
  for (int i = 0; i < kConnections; ++i) {
    RawConnection connection(server->server().port());
    ASSERT_TRUE(connection.connected());
  }
  EXPECT_TRUE(GoodCallsOnEveryMethod(*server));
}

// --- 3. Requests over the maximum receive size -------------------------------------------

constexpr int kMaxReceiveBytes = 64 * 1024;

TestServer::Configure WithMaxReceiveBytes(int bytes) {
  return [bytes](ServerBuilder& builder, ServiceOptions&) {
    builder.grpc_builder().SetMaxReceiveMessageSize(bytes);
  };
}

TestRequest RequestOverTheLimit() {
  return MakeRequest(TestRequest::ECHO, std::string(2 * kMaxReceiveBytes, 'x'));
}

class OversizeRequest : public ::testing::TestWithParam<MethodCase> {
 protected:
  void SetUp() override {
    server_ = TestServer::Start(WithMaxReceiveBytes(kMaxReceiveBytes));
    ASSERT_NE(server_, nullptr);
  }

  // Sends the oversize request (for streams, after a valid one) and returns the call's status.
  absl::Status CallWithOversizeRequest() {
    TestServiceTandem::Client& client = server_->client();
    const Style style = GetParam().style;
    switch (GetParam().kind) {
      case Kind::kUnary:
        return server_
            ->Call(UnaryMethod(style), ClientForm::kAsyncCallback, RequestOverTheLimit(), Options())
            .status();
      case Kind::kServerStream: {
        auto reader = StartServerStream(client, style, RequestOverTheLimit());
        EXPECT_THAT(ReadAll(reader), IsEmpty());
        return reader.Finish();
      }
      case Kind::kClientStream: {
        auto writer = StartClientStream(client, style);
        // Either write may fail: the server may end the call as soon as it sees the size.
        if (writer.Write(MakeRequest(TestRequest::ECHO, "first")))
          writer.Write(RequestOverTheLimit());
        return writer.Finish().status();
      }
      case Kind::kBidi: {
        auto stream = StartBidi(client, style);
        TestReply reply;
        EXPECT_TRUE(stream.Write(MakeRequest(TestRequest::ECHO, "first")));
        EXPECT_TRUE(stream.Read(&reply));
        EXPECT_EQ(reply.message(), "first-0");
        stream.Write(RequestOverTheLimit());
        stream.WritesDone();
        while (stream.Read(&reply)) {
        }
        return stream.Finish();
      }
    }
    return absl::InternalError("unknown kind");
  }

  std::unique_ptr<TestServer> server_;
};

TEST_P(OversizeRequest, AnswersResourceExhaustedThenServes) {
  const absl::Status status = CallWithOversizeRequest();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_TRUE(EveryStartedCallFinishes(*server_, FullName(GetParam())));
  EXPECT_EQ(server_->StatsOf(FullName(GetParam())).finished_ok, 0u);

  EXPECT_TRUE(GoodCall(*server_, GetParam()));
  // A request just under the limit is still taken.
  if (GetParam().kind == Kind::kUnary) {
    absl::StatusOr<TestReply> reply = server_->Call(
        UnaryMethod(GetParam().style), ClientForm::kAsyncCallback,
        MakeRequest(TestRequest::ECHO, std::string(kMaxReceiveBytes - 64, 'y')), Options());
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->message().size(), static_cast<size_t>(kMaxReceiveBytes - 64));
  }
}

// Regression (issue 8): gRPC fails the read of an oversize streamed request and cancels the
// call, and Tandem handed that to the handler as the client's half-close: the handler answered
// OK on the messages before it, and the stats counted the call as finished OK.
TEST_P(OversizeRequest, IsCountedAsAnErrorInTheMethodsStats) {
  const absl::Status status = CallWithOversizeRequest();
  ASSERT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  ASSERT_TRUE(EveryStartedCallFinishes(*server_, FullName(GetParam())));
  const MethodStats stats = server_->StatsOf(FullName(GetParam()));
  EXPECT_EQ(stats.finished_ok, 0u);
  EXPECT_EQ(stats.finished_error, stats.started);
}

INSTANTIATE_TEST_SUITE_P(EveryMethod, OversizeRequest, ::testing::ValuesIn(EveryMethod()),
                         [](const auto& info) { return ShortName(info.param); });

// Without SetMaxReceiveMessageSize, gRPC's default of 4 MiB holds.
TEST(OversizeRequestDefaultLimit, FiveMiBAnswersResourceExhausted) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  for (Style style : kUnaryStyles) {
    absl::StatusOr<TestReply> reply =
        server->Call(UnaryMethod(style), ClientForm::kAsyncCallback,
                     MakeRequest(TestRequest::ECHO, std::string(5 * 1024 * 1024, 'x')), Options());
    EXPECT_EQ(reply.status().code(), absl::StatusCode::kResourceExhausted)
        << StyleName(style) << ": " << reply.status();
    EXPECT_TRUE(GoodCall(*server, {Kind::kUnary, style}));
  }
}

// --- 4. Methods and services that do not exist ------------------------------------------

struct UnknownPath {
  std::string name;
  std::string path;
};
void PrintTo(const UnknownPath& unknown, std::ostream* os) { *os << unknown.path; }

class UnknownMethod : public ::testing::TestWithParam<UnknownPath> {};

TEST_P(UnknownMethod, AnswersUnimplementedWhateverTheRequestThenServes) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  const std::vector<std::vector<std::string>> requests = {
      {ValidRequestBytes("hello")},
      {MalformedBodies()[0].bytes},
      {ValidRequestBytes("a"), ValidRequestBytes("b"), ValidRequestBytes("c")},
      {},
  };
  for (const std::vector<std::string>& messages : requests) {
    const RawCallResult outcome = CallRaw(*server, GetParam().path, messages);
    EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
        << messages.size() << " messages: " << outcome.status.error_message();
    EXPECT_THAT(outcome.responses, IsEmpty());
  }
  for (const MethodStats& stats : server->server().method_stats()) {
    EXPECT_EQ(stats.started, 0u) << stats.method;
  }
  EXPECT_TRUE(GoodCallsOnEveryMethod(*server));
}

INSTANTIATE_TEST_SUITE_P(
    UnknownPaths, UnknownMethod,
    ::testing::Values(
        UnknownPath{"UnknownMethod", "/tandem.testing.TestService/NoSuchMethod"},
        UnknownPath{"MethodNameInTheWrongCase", "/tandem.testing.TestService/blocking"},
        UnknownPath{"EmptyMethodName", "/tandem.testing.TestService/"},
        UnknownPath{"MethodWithATrailingPart", "/tandem.testing.TestService/Blocking/More"},
        UnknownPath{"UnknownServiceKnownMethodName", "/tandem.testing.NoSuchService/Blocking"},
        UnknownPath{"UnknownServiceInAnotherPackage", "/no.such.Service/Method"},
        UnknownPath{"ServiceWithoutItsPackage", "/TestService/Blocking"}),
    [](const auto& info) { return info.param.name; });

// A method declared tandem::NotImplemented exists, but answers UNIMPLEMENTED before reading
// its request: a malformed one changes nothing.
TEST(DeclaredUnimplemented, AnswersUnimplementedWhateverTheBody) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  for (const std::string& body : {ValidRequestBytes("hello"), MalformedBodies()[1].bytes}) {
    const RawCallResult outcome = CallRaw(*server, FullName("Unimplemented"), {body});
    EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
        << outcome.status.error_message();
  }
  EXPECT_EQ(server->StatsOf(FullName("Unimplemented")).malformed_requests, 0u);
  EXPECT_TRUE(GoodCallsOnEveryMethod(*server));
}

// --- 5. Clients that vanish mid-stream ---------------------------------------------------

// TcpProxy: forwards every TCP connection made to its port to the server's, until the test
// cuts them all with a TCP reset. The server then sees its connections die with no HTTP/2
// goodbye (no RST_STREAM, no GOAWAY), as when a client process is killed or its network fails.
// Threads: one thread of its own moves the bytes; CutAll may be called from any other thread.
// Blocking writes are safe in that one thread: gRPC, at both ends, always keeps reading.
class TcpProxy {
 public:
  explicit TcpProxy(int target_port) : target_port_(target_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = Loopback(0);
    socklen_t size = sizeof(address);
    if (listen_fd_ < 0 || pipe2(wake_, O_CLOEXEC) != 0 ||
        bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(listen_fd_, 128) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Run(); });
  }

  ~TcpProxy() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
    for (const Pair& pair : pairs_) {
      close(pair.client);
      close(pair.server);
    }
    for (int fd : {listen_fd_, wake_[0], wake_[1]}) {
      if (fd >= 0) close(fd);
    }
  }

  // The port to connect to; 0 if the proxy could not start.
  int port() const { return port_; }

  // Resets both sides of every connection forwarded so far; returns once they are gone.
  void CutAll() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    const int ticket = ++cuts_requested_;
    Wake();
    auto done = [this, ticket]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return cuts_done_ >= ticket; };
    mu_.Await(absl::Condition(&done));
  }

 private:
  struct Pair {
    int client;
    int server;
  };

  static sockaddr_in Loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
  }

  static void Reset(int fd) {
    const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
    close(fd);
  }

  static bool WriteAll(int fd, const char* data, size_t size) {
    while (size > 0) {
      const ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) return false;
      data += sent;
      size -= static_cast<size_t>(sent);
    }
    return true;
  }

  void Wake() {
    const char byte = 0;
    while (write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
    }
  }

  // The proxy's thread.
  void Run() ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<char> buffer(64 * 1024);
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        if (cuts_done_ < cuts_requested_) {
          for (const Pair& pair : pairs_) {
            Reset(pair.client);
            Reset(pair.server);
          }
          pairs_.clear();
          cuts_done_ = cuts_requested_;
        }
      }
      std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      for (const Pair& pair : pairs_) {
        fds.push_back({pair.client, POLLIN, 0});
        fds.push_back({pair.server, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
      if (fds[0].revents != 0) {
        char drained[64];
        [[maybe_unused]] const ssize_t ignored = read(wake_[0], drained, sizeof(drained));
      }
      // Forward what arrived; a pair where either side ended is closed, both sides.
      std::vector<Pair> open;
      for (size_t i = 0; i < pairs_.size(); ++i) {
        const Pair pair = pairs_[i];
        bool alive = true;
        for (const auto& [from, to, revents] :
             {std::tuple(pair.client, pair.server, fds[2 + 2 * i].revents),
              std::tuple(pair.server, pair.client, fds[3 + 2 * i].revents)}) {
          if (!alive || revents == 0) continue;
          const ssize_t got = read(from, buffer.data(), buffer.size());
          if (got < 0 && errno == EINTR) continue;
          alive = got > 0 && WriteAll(to, buffer.data(), static_cast<size_t>(got));
        }
        if (alive) {
          open.push_back(pair);
        } else {
          close(pair.client);
          close(pair.server);
        }
      }
      pairs_ = std::move(open);
      if (fds[1].revents != 0) Accept();
    }
  }

  void Accept() {
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in target = Loopback(target_port_);
    if (server < 0 ||
        connect(server, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0) {
      close(client);
      if (server >= 0) close(server);
      return;
    }
    pairs_.push_back({client, server});
  }

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::vector<Pair> pairs_;  // The proxy's thread only (and the destructor, after it).
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int cuts_requested_ ABSL_GUARDED_BY(mu_) = 0;
  int cuts_done_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

// How a client goes away mid-stream.
enum class Vanish {
  kCancel,              // ClientContext::TryCancel: an RST_STREAM reaches the server
  kDropCallAndChannel,  // the call's handle, its client and its channel are destroyed
  kCutConnection,       // the TCP connection is reset under the client: no HTTP/2 goodbye
};

std::string VanishName(Vanish vanish) {
  switch (vanish) {
    case Vanish::kCancel:
      return "Cancelled";
    case Vanish::kDropCallAndChannel:
      return "CallAndChannelDropped";
    case Vanish::kCutConnection:
      return "ConnectionCut";
  }
  return "Unknown";
}

void PrintTo(Vanish vanish, std::ostream* os) { *os << VanishName(vanish); }

// A client with a channel (and so a connection) of its own, in the middle of a stream.
struct DoomedClient {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<TestServiceTandem::Client> client;
  std::optional<ClientReader<TestReply>> reader;                     // server streaming
  std::optional<ClientWriter<TestRequest, TestReply>> writer;        // client streaming
  std::optional<ClientReaderWriter<TestRequest, TestReply>> stream;  // bidi
};

std::shared_ptr<grpc::Channel> OwnChannel(int port) {
  grpc::ChannelArguments arguments;
  // Channels to the same target otherwise share one connection.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Keeps each stream's flow-control window at HTTP/2's 64 KiB. With gRPC's bandwidth probing a
  // client that reads nothing lets the window grow to megabytes, and the server fills it: 50
  // unread server streams then cost the client hundreds of MiB and the machine its CPU.
  arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), arguments);
}

// Starts `method`'s stream on a client of its own and takes it past its first message, so the
// handler is running: the server is writing (server streaming), or holds a request and waits
// for the next (client streaming, bidi).
AssertionResult StartMidStream(DoomedClient& doomed, MethodCase method, int port) {
  doomed.channel = OwnChannel(port);
  doomed.client = std::make_unique<TestServiceTandem::Client>(doomed.channel);
  TestReply reply;
  switch (method.kind) {
    case Kind::kServerStream: {
      // Messages of 1 KiB fill the unread stream's window, and then the server's write queue,
      // within a few hundred writes; the handler then waits for room.
      TestRequest request = StreamRequest(TestRequest::WAIT_FOR_CANCEL, 0, "m");
      request.set_payload_bytes(1024);
      doomed.reader.emplace(StartServerStream(*doomed.client, method.style, request));
      if (!doomed.reader->Read(&reply)) return AssertionFailure() << "no first message";
      return AssertionSuccess();
    }
    case Kind::kClientStream:
      doomed.writer.emplace(StartClientStream(*doomed.client, method.style));
      if (!doomed.writer->Write(MakeRequest(TestRequest::WAIT_FOR_CANCEL))) {
        return AssertionFailure() << "first write failed";
      }
      return AssertionSuccess();
    case Kind::kBidi:
      doomed.stream.emplace(StartBidi(*doomed.client, method.style));
      if (!doomed.stream->Write(MakeRequest(TestRequest::ECHO, "one")) ||
          !doomed.stream->Read(&reply) ||
          !doomed.stream->Write(MakeRequest(TestRequest::WAIT_FOR_CANCEL))) {
        return AssertionFailure() << "no echo of the first message";
      }
      return AssertionSuccess();
    case Kind::kUnary:
      break;
  }
  return AssertionFailure() << "not a streaming method";
}

// The status the client's end of a doomed call reports, once it has read to the end.
absl::Status FinishDoomed(DoomedClient& doomed) {
  TestReply reply;
  if (doomed.reader) {
    while (doomed.reader->Read(&reply)) {
    }
    return doomed.reader->Finish();
  }
  if (doomed.writer) return doomed.writer->Finish().status();
  while (doomed.stream->Read(&reply)) {
  }
  return doomed.stream->Finish();
}

void Cancel(DoomedClient& doomed) {
  if (doomed.reader) doomed.reader->Cancel();
  if (doomed.writer) doomed.writer->Cancel();
  if (doomed.stream) doomed.stream->Cancel();
}

// `calls` clients start `method`'s stream, each on its own connection, and vanish mid-stream.
// Afterwards every handler has heard of it and every call has ended on the server.
// `cancellations_before`: cancellations the server's handlers had seen before.
AssertionResult VanishMidStream(TestServer& server, MethodCase method, Vanish vanish, int calls,
                                int cancellations_before) {
  std::optional<TcpProxy> proxy;
  int port = server.server().port();
  if (vanish == Vanish::kCutConnection) {
    proxy.emplace(port);
    if (proxy->port() == 0) return AssertionFailure() << "the proxy did not start";
    port = proxy->port();
  }
  std::vector<DoomedClient> doomed(static_cast<size_t>(calls));
  for (DoomedClient& client : doomed) {
    AssertionResult started = StartMidStream(client, method, port);
    if (!started) return started;
  }
  // Client and bidi streams are now inside their handlers' waits; server streams have written.
  if (ReadsAStream(method.kind) && !server.service().WaitForHandlersWaiting(calls, kWait)) {
    return AssertionFailure() << "the handlers never all waited";
  }

  switch (vanish) {
    case Vanish::kCancel:
      for (DoomedClient& client : doomed) Cancel(client);
      for (DoomedClient& client : doomed) {
        const absl::Status status = FinishDoomed(client);
        if (status.code() != absl::StatusCode::kCancelled) {
          return AssertionFailure() << "a cancelled call ended " << status;
        }
      }
      break;
    case Vanish::kDropCallAndChannel:
      break;
    case Vanish::kCutConnection:
      proxy->CutAll();
      for (DoomedClient& client : doomed) {
        const absl::Status status = FinishDoomed(client);
        if (status.ok()) return AssertionFailure() << "a call ended OK on a cut connection";
      }
      break;
  }
  doomed.clear();

  if (!server.service().WaitForCancellationsSeen(cancellations_before + calls, kWait)) {
    return AssertionFailure() << "not every handler heard that its client went";
  }
  return EveryStartedCallFinishes(server, FullName(method));
}

class ClientsVanishMidStream : public ::testing::TestWithParam<std::tuple<Kind, Style, Vanish>> {};

TEST_P(ClientsVanishMidStream, EveryHandlerHearsOfItThenTheServerServesAndShutsDown) {
  constexpr int kCalls = 50;
  const auto [kind, style, vanish] = GetParam();
  const MethodCase method{kind, style};
  // Threads enough for every blocking handler to be inside at once.
  auto server = TestServer::Start(WithBlockingPoolThreads(kCalls + 8));
  ASSERT_NE(server, nullptr);

  ASSERT_TRUE(VanishMidStream(*server, method, vanish, kCalls, 0));

  EXPECT_TRUE(GoodCall(*server, method));
  EXPECT_TRUE(GoodCall(*server, {Kind::kUnary, style}));
  ShutdownWithin(*server, kWait);
}

// Regression (issue 8): a client that cancels a client stream mid-way made the handler's read
// end as if the client had half-closed; the handler answered OK and the stats counted it so,
// though the client saw CANCELLED. The handler must now see the cancellation, and the call must
// never count as finished OK.
class CancelledClientStream : public ::testing::TestWithParam<Style> {};

TEST_P(CancelledClientStream, IsNeverCountedAsFinishedOk) {
  constexpr int kCalls = 20;
  auto server = TestServer::Start(WithBlockingPoolThreads(16));
  ASSERT_NE(server, nullptr);
  const MethodCase method{Kind::kClientStream, GetParam()};
  for (int i = 0; i < kCalls; ++i) {
    ClientWriter<TestRequest, TestReply> writer =
        StartClientStream(server->client(), method.style);
    ASSERT_TRUE(writer.Write(MakeRequest(TestRequest::ECHO, "before the cancel")));
    writer.Cancel();
    EXPECT_EQ(writer.Finish().status().code(), absl::StatusCode::kCancelled);
  }
  ASSERT_TRUE(EveryStartedCallFinishes(*server, FullName(method)));
  const MethodStats stats = server->StatsOf(FullName(method));
  // A cancellation may overtake its call's first message on the server, which then never hands
  // the call over: at most kCalls calls start.
  EXPECT_LE(stats.started, static_cast<uint64_t>(kCalls));
  EXPECT_EQ(stats.finished_ok, 0u);
  EXPECT_TRUE(GoodCall(*server, method));
}

INSTANTIATE_TEST_SUITE_P(EveryStyle, CancelledClientStream, ::testing::ValuesIn(kStreamStyles),
                         [](const auto& info) { return StyleName(info.param); });

INSTANTIATE_TEST_SUITE_P(EveryStreamKindStyleAndWay, ClientsVanishMidStream,
                         ::testing::Combine(::testing::ValuesIn(kStreamKinds),
                                            ::testing::ValuesIn(kStreamStyles),
                                            ::testing::Values(Vanish::kCancel,
                                                              Vanish::kDropCallAndChannel,
                                                              Vanish::kCutConnection)),
                         [](const auto& info) {
                           return ShortName({std::get<0>(info.param), std::get<1>(info.param)}) +
                                  "_" + VanishName(std::get<2>(info.param));
                         });

// --- 6. Cancel storms ----------------------------------------------------------------------

template <class Done>
void StartUnary(TestServiceTandem::Client& client, Style style, const TestRequest& request,
                const CallOptions& options, Done done) {
  switch (style) {
    case Style::kBlocking:
      client.AsyncBlocking(request, options, std::move(done));
      break;
    case Style::kCoroutine:
      client.AsyncCoroutine(request, options, std::move(done));
      break;
    case Style::kCallback:
      client.AsyncCallback(request, options, std::move(done));
      break;
    case Style::kCallbackOnPool:
      client.AsyncCallbackOnPool(request, options, std::move(done));
      break;
  }
}

// The outcomes of a storm's calls, reported from gRPC's threads (or inline, from Cancel).
class Outcomes {
 public:
  explicit Outcomes(size_t calls) : codes_(calls) {}

  void Record(size_t call, absl::StatusCode code) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    codes_[call] = code;
    ++recorded_;
  }

  // Every call's code, once all have ended; nullopt if some did not within `limit`.
  std::optional<std::vector<absl::StatusCode>> WaitForAll(absl::Duration limit)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto all = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return recorded_ == codes_.size(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&all), limit)) return std::nullopt;
    return codes_;
  }

 private:
  absl::Mutex mu_;
  std::vector<absl::StatusCode> codes_ ABSL_GUARDED_BY(mu_);
  size_t recorded_ ABSL_GUARDED_BY(mu_) = 0;
};

// Storms of unary calls at one server, all cancelled by their clients (ClientCancellation),
// a quarter in each way:
//   1. WAIT_FOR_CANCEL, cancelled all at once (one shared cancellation) while every one of them
//      is inside its handler;
//   2. WAIT_FOR_CANCEL, cancelled right after starting: racing the call's dispatch;
//   3. ECHO, cancelled before starting;
//   4. SLEEP 5 ms, cancelled right after starting: racing the reply.
// Groups 2 to 4 go out interleaved, with group 1's cancellation in their midst.
class CancelStorm {
 public:
  explicit CancelStorm(TestServer& server) : server_(server) {}

  AssertionResult Run(Style style, int calls) {
    const int per_group = calls / 4;
    TestServiceTandem::Client& client = server_.client();
    auto outcomes = std::make_shared<Outcomes>(static_cast<size_t>(4 * per_group));
    auto record = [outcomes](size_t call) {
      return [outcomes, call](absl::StatusOr<TestReply> reply) {
        outcomes->Record(call, reply.status().code());
      };
    };
    auto group_of = [per_group](size_t call) { return static_cast<int>(call) / per_group + 1; };

    auto all_inside = ClientCancellation::Create();
    for (int i = 0; i < per_group; ++i) {
      StartUnary(client, style, MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                 Options().set_cancellation(all_inside), record(static_cast<size_t>(i)));
    }
    if (!server_.service().WaitForHandlersWaiting(per_group, kWait)) {
      all_inside->Cancel();
      return AssertionFailure() << "the first group never was inside its handlers at once";
    }
    for (int i = 0; i < per_group; ++i) {
      if (i == per_group / 2) all_inside->Cancel();
      const size_t racing_dispatch = static_cast<size_t>(per_group + i);
      const size_t before_start = static_cast<size_t>(2 * per_group + i);
      const size_t racing_reply = static_cast<size_t>(3 * per_group + i);

      auto cancellation = ClientCancellation::Create();
      StartUnary(client, style, MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                 Options().set_cancellation(cancellation), record(racing_dispatch));
      cancellation->Cancel();

      cancellation = ClientCancellation::Create();
      cancellation->Cancel();
      StartUnary(client, style, MakeRequest(TestRequest::ECHO),
                 Options().set_cancellation(cancellation), record(before_start));

      cancellation = ClientCancellation::Create();
      TestRequest sleep = MakeRequest(TestRequest::SLEEP, "slept");
      sleep.set_sleep_ms(5);
      StartUnary(client, style, sleep, Options().set_cancellation(cancellation),
                 record(racing_reply));
      cancellation->Cancel();
    }

    // Each call's deadline is kWait: a call that ignored its cancellation still ends by then.
    std::optional<std::vector<absl::StatusCode>> codes =
        outcomes->WaitForAll(kWait + absl::Seconds(10));
    if (!codes) return AssertionFailure() << "some calls never ended";
    for (size_t call = 0; call < codes->size(); ++call) {
      const absl::StatusCode code = (*codes)[call];
      const bool racing_reply = group_of(call) == 4;
      if (code != absl::StatusCode::kCancelled &&
          !(racing_reply && code == absl::StatusCode::kOk)) {
        return AssertionFailure() << "call " << call << " (group " << group_of(call) << ") ended "
                                  << absl::StatusCodeToString(code);
      }
    }
    cancellations_seen_ += per_group;  // Group 1's at least; group 2's that reached a handler.
    if (!server_.service().WaitForCancellationsSeen(cancellations_seen_, kWait)) {
      return AssertionFailure() << "handlers inside did not all see their cancellation";
    }
    return EveryStartedCallFinishes(server_, FullName(MethodCase{Kind::kUnary, style}));
  }

 private:
  TestServer& server_;
  int cancellations_seen_ = 0;  // a lower bound on the server's count
};

constexpr int kStormCalls = 300;

// Threads enough for every blocking handler of a storm's first group to be inside at once.
TestServer::Configure ForStorms() { return WithBlockingPoolThreads(kStormCalls / 4 + 16); }

class CancelStorms : public ::testing::TestWithParam<Style> {};

TEST_P(CancelStorms, EveryCallEndsCancelledAndTheServerServes) {
  auto server = TestServer::Start(ForStorms());
  ASSERT_NE(server, nullptr);
  CancelStorm storm(*server);
  ASSERT_TRUE(storm.Run(GetParam(), kStormCalls));
  EXPECT_TRUE(GoodCallsOnEveryMethod(*server));
  ShutdownWithin(*server, kWait);
}

INSTANTIATE_TEST_SUITE_P(EveryUnaryStyle, CancelStorms, ::testing::ValuesIn(kUnaryStyles),
                         [](const auto& info) { return StyleName(info.param); });

// --- 7. Threads and memory come back -----------------------------------------------------

// A field of /proc/self/status ("Threads:", "VmRSS:" in KiB); -1 if missing.
int64_t ProcessStatus(absl::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, field)) continue;
    rest = absl::StripSuffix(absl::StripAsciiWhitespace(rest), "kB");
    int64_t value = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &value)) return value;
  }
  return -1;
}

int64_t ThreadCount() { return ProcessStatus("Threads:"); }

int64_t LiveMemoryKiB() {
#if defined(TANDEM_TEST_ASAN)
  __sanitizer_purge_allocator();
#endif
  return ProcessStatus("VmRSS:");
}

// Waits (polling: gRPC retires idle threads lazily) until at most `most` threads run; the
// count last seen.
int64_t WaitForThreadsAtMost(int64_t most, absl::Duration limit) {
  const absl::Time give_up = absl::Now() + limit;
  int64_t threads = ThreadCount();
  while (threads > most && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
    threads = ThreadCount();
  }
  return threads;
}

TEST(AfterStorms, ThreadsAndMemoryComeBack) {
  // Threads that come and go with load, beyond the level before a storm (gRPC keeps a few idle
  // ones as a reserve, and starts its executor's threads lazily up to a fixed number).
  constexpr int64_t kThreadMargin = 8;
  constexpr int64_t kMemoryGrowthKiB = 64 * 1024;
  constexpr int kStorms = 3;
  constexpr int kVanishingCalls = 20;

  auto server = TestServer::Start(ForStorms());
  ASSERT_NE(server, nullptr);
  CancelStorm cancel_storm(*server);
  int cancellations = 0;
  auto storm = [&] {
    for (Style style : kUnaryStyles) {
      ASSERT_TRUE(cancel_storm.Run(style, kStormCalls)) << StyleName(style);
      cancellations += kStormCalls / 4;
    }
    for (Kind kind : kStreamKinds) {
      const MethodCase method{kind, Style::kCoroutine};
      ASSERT_TRUE(VanishMidStream(*server, method, Vanish::kDropCallAndChannel, kVanishingCalls,
                                  cancellations))
          << ShortName(method);
      cancellations += kVanishingCalls;  // A lower bound on the server's count, as in CancelStorm.
    }
    ASSERT_TRUE(GoodCallsOnEveryMethod(*server));
  };

  // The first storm starts what is started once (gRPC's pools, the client's loop, caches).
  storm();
  if (HasFatalFailure()) return;
  const int64_t memory_before = LiveMemoryKiB();
  for (int round = 0; round < kStorms; ++round) {
    const int64_t threads_before = ThreadCount();
    storm();
    if (HasFatalFailure()) return;
    const int64_t threads_after = WaitForThreadsAtMost(threads_before + kThreadMargin, kWait);
    EXPECT_LE(threads_after, threads_before + kThreadMargin)
        << "storm " << round << ": " << threads_before << " threads before, " << threads_after
        << " after";
  }
  const int64_t memory_after = LiveMemoryKiB();
  EXPECT_LE(memory_after - memory_before, kMemoryGrowthKiB)
      << "VmRSS " << memory_before << " KiB before " << kStorms << " storms, " << memory_after
      << " KiB after";
  ShutdownWithin(*server, kWait);
}

}  // namespace
}  // namespace tandem::testing
