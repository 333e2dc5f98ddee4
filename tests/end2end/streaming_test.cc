// Every streaming kind in every handler style: the messages, then the status, whatever happens
// in between (half-close, errors, exceptions, cancellation, deadlines, slow readers).
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "asio/co_spawn.hpp"
#include "asio/use_future.hpp"
#include "executors/coroutine_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);

enum class Style { kBlocking, kCoroutine, kCallback };

std::string StyleName(Style style) {
  switch (style) {
    case Style::kBlocking:
      return "Blocking";
    case Style::kCoroutine:
      return "Coroutine";
    case Style::kCallback:
      return "Callback";
  }
  return "Unknown";
}

CallOptions Options() { return CallOptions().set_timeout(kWait); }

TestRequest StreamRequest(TestRequest::Action action, int count, std::string message = "m") {
  TestRequest request = MakeRequest(action, std::move(message));
  request.set_count(count);
  return request;
}

class Streaming : public ::testing::TestWithParam<Style> {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    ASSERT_NE(server_, nullptr);
  }

  TestServiceTandem::Client& client() { return server_->client(); }

  ClientReader<TestReply> ServerStream(const TestRequest& request,
                                       const CallOptions& options = Options()) {
    switch (GetParam()) {
      case Style::kBlocking:
        return client().ServerStreamBlocking(request, options);
      case Style::kCoroutine:
        return client().ServerStreamCoroutine(request, options);
      case Style::kCallback:
        break;
    }
    return client().ServerStreamCallback(request, options);
  }

  ClientWriter<TestRequest, TestReply> ClientStream(const CallOptions& options = Options()) {
    switch (GetParam()) {
      case Style::kBlocking:
        return client().ClientStreamBlocking(options);
      case Style::kCoroutine:
        return client().ClientStreamCoroutine(options);
      case Style::kCallback:
        break;
    }
    return client().ClientStreamCallback(options);
  }

  ClientReaderWriter<TestRequest, TestReply> Bidi(const CallOptions& options = Options()) {
    switch (GetParam()) {
      case Style::kBlocking:
        return client().BidiBlocking(options);
      case Style::kCoroutine:
        return client().BidiCoroutine(options);
      case Style::kCallback:
        break;
    }
    return client().BidiCallback(options);
  }

  std::string MethodPrefix(absl::string_view kind) {
    return absl::StrCat("/tandem.testing.TestService/", kind, StyleName(GetParam()));
  }

  std::unique_ptr<TestServer> server_;
};

std::vector<std::string> ReadAll(ClientReader<TestReply>& reader) {
  std::vector<std::string> messages;
  TestReply reply;
  while (reader.Read(&reply)) messages.push_back(reply.message());
  return messages;
}

// Server streaming.

TEST_P(Streaming, ServerStreamDeliversEveryMessageThenOk) {
  auto reader = ServerStream(StreamRequest(TestRequest::ECHO, 4));
  EXPECT_THAT(ReadAll(reader), ElementsAre("m-0", "m-1", "m-2", "m-3"));
  EXPECT_TRUE(reader.Finish().ok());
}

TEST_P(Streaming, ServerStreamErrorArrivesAfterTheMessagesSentBeforeIt) {
  TestRequest request = StreamRequest(TestRequest::FAIL, 3, "gone");
  request.set_code(static_cast<int>(grpc::StatusCode::ABORTED));
  auto reader = ServerStream(request);
  EXPECT_THAT(ReadAll(reader), ElementsAre("gone-0", "gone-1", "gone-2"));
  absl::Status status = reader.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(status.message(), "gone");
}

TEST_P(Streaming, ServerStreamHandlerThrowingMidStreamEndsWithInternal) {
  auto reader = ServerStream(StreamRequest(TestRequest::THROW, 2, "oops"));
  EXPECT_THAT(ReadAll(reader), ElementsAre("oops-0", "oops-1"));
  absl::Status status = reader.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("oops"));
}

TEST_P(Streaming, ServerStreamClientCancelStopsTheWriter) {
  auto reader = ServerStream(StreamRequest(TestRequest::WAIT_FOR_CANCEL, 0));
  TestReply reply;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(reader.Read(&reply));
  reader.Cancel();
  while (reader.Read(&reply)) {
  }
  EXPECT_EQ(reader.Finish().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(server_->service().WaitForCancellationsSeen(1, kWait));
}

TEST_P(Streaming, ServerStreamDeadlineMidStreamStopsTheWriter) {
  auto reader = ServerStream(StreamRequest(TestRequest::WAIT_FOR_CANCEL, 0),
                             CallOptions().set_timeout(absl::Milliseconds(300)));
  TestReply reply;
  ASSERT_TRUE(reader.Read(&reply));
  while (reader.Read(&reply)) {
  }
  EXPECT_EQ(reader.Finish().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(server_->service().WaitForCancellationsSeen(1, kWait));
}

// A writer far faster than its reader: the call's write queue stays within StreamLimits
// (rather than holding the ~100 MiB the handler writes), and other calls keep being served.
TEST_P(Streaming, SlowReaderKeepsTheServerQueueBoundedAndUnaryPrompt) {
  constexpr int kMessages = 100000;
  TestRequest request = StreamRequest(TestRequest::ECHO, kMessages);
  request.set_payload_bytes(1024);
  auto reader = ServerStream(request, CallOptions().set_timeout(absl::Seconds(120)));
  TestReply reply;
  int received = 0;
  while (reader.Read(&reply)) {
    ASSERT_EQ(reply.payload().size(), 1024u);
    if (++received % 5000 == 0) {
      absl::StatusOr<TestReply> unary = server_->Call(
          Method::kCoroutine, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO, "prompt"),
          CallOptions().set_timeout(absl::Seconds(10)));
      ASSERT_TRUE(unary.ok()) << unary.status();
    }
    if (received % 500 == 0) absl::SleepFor(absl::Milliseconds(1));  // The slow reader.
  }
  EXPECT_EQ(received, kMessages);
  EXPECT_TRUE(reader.Finish().ok());

  const MethodStats stats = server_->StatsOf(MethodPrefix("ServerStream"));
  EXPECT_EQ(stats.stream_messages_written, static_cast<uint64_t>(kMessages));
  EXPECT_GT(stats.max_queued_bytes, 0u);
  EXPECT_LE(stats.max_queued_bytes, StreamLimits().max_queued_bytes);
  EXPECT_GT(stats.mean_write_handoff, absl::ZeroDuration());
}

TEST_P(Streaming, ServerStreamReadFromACoroutine) {
  CoroutineLoop loop({.name = "client-loop"});
  auto collect = [this]() -> Task<std::vector<std::string>> {
    auto reader = ServerStream(StreamRequest(TestRequest::ECHO, 3));
    std::vector<std::string> messages;
    while (std::optional<TestReply> reply = co_await reader.CoRead()) {
      messages.push_back(reply->message());
    }
    absl::Status status = co_await reader.CoFinish();
    if (!status.ok()) messages.push_back(status.ToString());
    co_return messages;
  };
  std::future<std::vector<std::string>> messages =
      asio::co_spawn(loop.executor(), collect(), asio::use_future);
  ASSERT_EQ(messages.wait_for(absl::ToChronoSeconds(kWait)), std::future_status::ready);
  EXPECT_THAT(messages.get(), ElementsAre("m-0", "m-1", "m-2"));
}

// Client streaming.

TEST_P(Streaming, ClientStreamReadsUntilHalfCloseThenReplies) {
  auto writer = ClientStream();
  for (const char* message : {"a", "b", "c"}) {
    ASSERT_TRUE(writer.Write(MakeRequest(TestRequest::ECHO, message)));
  }
  absl::StatusOr<TestReply> reply = writer.Finish();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "a,b,c");
}

TEST_P(Streaming, ClientStreamHandlerErrorReachesTheClient) {
  auto writer = ClientStream();
  TestRequest request = MakeRequest(TestRequest::FAIL, "refused");
  request.set_code(static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
  ASSERT_TRUE(writer.Write(request));
  absl::StatusOr<TestReply> reply = writer.Finish();
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(reply.status().message(), "refused");
}

TEST_P(Streaming, ClientStreamHandlerThrowingEndsWithInternal) {
  auto writer = ClientStream();
  ASSERT_TRUE(writer.Write(MakeRequest(TestRequest::THROW, "bad input")));
  absl::StatusOr<TestReply> reply = writer.Finish();
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(reply.status().message(), HasSubstr("bad input"));
}

TEST_P(Streaming, ClientStreamClientCancelEndsTheReader) {
  auto writer = ClientStream();
  ASSERT_TRUE(writer.Write(MakeRequest(TestRequest::WAIT_FOR_CANCEL)));
  ASSERT_TRUE(server_->service().WaitForHandlersWaiting(1, kWait));
  writer.Cancel();
  EXPECT_EQ(writer.Finish().status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(server_->service().WaitForCancellationsSeen(1, kWait));
}

TEST_P(Streaming, ClientStreamDeadlineMidStreamEndsTheReader) {
  auto writer = ClientStream(CallOptions().set_timeout(absl::Milliseconds(300)));
  // A slow writer: it writes until the deadline breaks the stream.
  for (int i = 0; i < 2000 && writer.Write(MakeRequest(TestRequest::WAIT_FOR_CANCEL)); ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(writer.Finish().status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(server_->service().WaitForCancellationsSeen(1, kWait));
}

// Bidirectional.

TEST_P(Streaming, BidiEchoesEachMessageAndFinishesOnHalfClose) {
  auto stream = Bidi();
  TestReply reply;
  for (const char* message : {"x", "y", "z"}) {
    ASSERT_TRUE(stream.Write(MakeRequest(TestRequest::ECHO, message)));
    ASSERT_TRUE(stream.Read(&reply));
    EXPECT_EQ(reply.message(), absl::StrCat(message, "-0"));
  }
  stream.WritesDone();
  EXPECT_FALSE(stream.Read(&reply));
  EXPECT_TRUE(stream.Finish().ok());
}

// The server writes a burst of replies to one request, faster than they go out: they are sent
// coalesced, and the last of the burst goes out without waiting for anything more from the
// handler (which writes nothing until the next request).
TEST_P(Streaming, BidiBurstOfRepliesArrivesBeforeTheNextRequest) {
  auto stream = Bidi();
  TestReply reply;
  for (const char* message : {"p", "q"}) {
    ASSERT_TRUE(stream.Write(StreamRequest(TestRequest::ECHO, 200, message)));
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(stream.Read(&reply)) << message << ": reply " << i;
      EXPECT_EQ(reply.message(), absl::StrCat(message, "-", i));
    }
  }
  stream.WritesDone();
  EXPECT_FALSE(stream.Read(&reply));
  EXPECT_TRUE(stream.Finish().ok());
}

TEST_P(Streaming, BidiErrorMidStreamArrivesAfterEarlierReplies) {
  auto stream = Bidi();
  TestReply reply;
  ASSERT_TRUE(stream.Write(MakeRequest(TestRequest::ECHO, "first")));
  ASSERT_TRUE(stream.Read(&reply));
  TestRequest failing = MakeRequest(TestRequest::FAIL, "no more");
  failing.set_code(static_cast<int>(grpc::StatusCode::OUT_OF_RANGE));
  ASSERT_TRUE(stream.Write(failing));
  EXPECT_FALSE(stream.Read(&reply));
  absl::Status status = stream.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(status.message(), "no more");
}

TEST_P(Streaming, BidiHandlerThrowingMidStreamEndsWithInternal) {
  auto stream = Bidi();
  TestReply reply;
  ASSERT_TRUE(stream.Write(MakeRequest(TestRequest::ECHO, "first")));
  ASSERT_TRUE(stream.Read(&reply));
  ASSERT_TRUE(stream.Write(MakeRequest(TestRequest::THROW, "thrown")));
  EXPECT_FALSE(stream.Read(&reply));
  absl::Status status = stream.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("thrown"));
}

TEST_P(Streaming, BidiClientCancelMidStreamEndsTheHandler) {
  auto stream = Bidi();
  TestReply reply;
  ASSERT_TRUE(stream.Write(MakeRequest(TestRequest::ECHO, "one")));
  ASSERT_TRUE(stream.Read(&reply));
  ASSERT_TRUE(stream.Write(MakeRequest(TestRequest::WAIT_FOR_CANCEL)));
  ASSERT_TRUE(server_->service().WaitForHandlersWaiting(1, kWait));
  stream.Cancel();
  EXPECT_FALSE(stream.Read(&reply));
  EXPECT_EQ(stream.Finish().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(server_->service().WaitForCancellationsSeen(1, kWait));
}

TEST_P(Streaming, BidiFromACoroutine) {
  CoroutineLoop loop({.name = "client-loop"});
  auto exchange = [this]() -> Task<std::vector<std::string>> {
    auto stream = Bidi();
    std::vector<std::string> messages;
    for (const char* message : {"p", "q"}) {
      if (!co_await stream.CoWrite(MakeRequest(TestRequest::ECHO, message))) break;
      std::optional<TestReply> reply = co_await stream.CoRead();
      if (reply) messages.push_back(reply->message());
    }
    stream.WritesDone();
    while (co_await stream.CoRead()) {
    }
    messages.push_back((co_await stream.CoFinish()).ToString());
    co_return messages;
  };
  std::future<std::vector<std::string>> messages =
      asio::co_spawn(loop.executor(), exchange(), asio::use_future);
  ASSERT_EQ(messages.wait_for(absl::ToChronoSeconds(kWait)), std::future_status::ready);
  EXPECT_THAT(messages.get(), ElementsAre("p-0", "q-0", "OK"));
}

// Every streaming call takes the same path as a unary one: received, started on its executor,
// finished, and recorded once gRPC is done with it, with the time spent in each stage.
TEST_P(Streaming, EveryKindIsRecordedWithItsStageTimes) {
  ClientReader<TestReply> reader = ServerStream(StreamRequest(TestRequest::ECHO, 3));
  EXPECT_EQ(ReadAll(reader).size(), 3u);
  EXPECT_TRUE(reader.Finish().ok());

  ClientWriter<TestRequest, TestReply> writer = ClientStream();
  ASSERT_TRUE(writer.Write(MakeRequest(TestRequest::ECHO, "a")));
  EXPECT_TRUE(writer.Finish().ok());

  ClientReaderWriter<TestRequest, TestReply> bidi = Bidi();
  TestReply reply;
  ASSERT_TRUE(bidi.Write(MakeRequest(TestRequest::ECHO, "b")));
  ASSERT_TRUE(bidi.Read(&reply));
  bidi.WritesDone();
  EXPECT_FALSE(bidi.Read(&reply));
  EXPECT_TRUE(bidi.Finish().ok());

  for (const char* kind : {"ServerStream", "ClientStream", "Bidi"}) {
    SCOPED_TRACE(kind);
    const MethodStats stats = server_->StatsOnceIdle(MethodPrefix(kind));
    EXPECT_EQ(stats.started, 1u);
    EXPECT_EQ(stats.finished_ok, 1u);
    EXPECT_EQ(stats.ran, 1u);
    EXPECT_GE(stats.max_queued, stats.mean_queued);
    EXPECT_GE(stats.mean_queued, absl::ZeroDuration());
    EXPECT_GT(stats.mean_running, absl::ZeroDuration());
  }
}

TEST(StreamLimits, BoundTheWriteQueueOfEveryCall) {
  StreamLimits limits;
  limits.max_queued_messages = 4;
  limits.max_queued_bytes = 3 * 1024;
  auto server = TestServer::Start(
      [limits](ServerBuilder& builder, ServiceOptions&) { builder.SetStreamLimits(limits); });
  ASSERT_NE(server, nullptr);
  TestRequest request = StreamRequest(TestRequest::ECHO, 2000);
  request.set_payload_bytes(1000);
  auto reader = server->client().ServerStreamBlocking(request, Options());
  TestReply reply;
  int received = 0;
  while (reader.Read(&reply)) {
    if (++received % 100 == 0) absl::SleepFor(absl::Milliseconds(1));  // The slow reader.
  }
  EXPECT_EQ(received, 2000);
  EXPECT_TRUE(reader.Finish().ok());
  for (const MethodStats& stats : server->server().method_stats()) {
    if (stats.method != "/tandem.testing.TestService/ServerStreamBlocking") continue;
    EXPECT_GT(stats.max_queued_bytes, 0u);
    EXPECT_LE(stats.max_queued_bytes, limits.max_queued_bytes);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryStyle, Streaming,
                         ::testing::Values(Style::kBlocking, Style::kCoroutine,
                                           Style::kCallback),
                         [](const auto& info) { return StyleName(info.param); });

}  // namespace
}  // namespace tandem::testing
