// Blocking stream handlers on a fiber pool: a handler's Write that waits for the client to take
// messages suspends only its fiber. The client reads eight streams in turn, one message at a time,
// from one thread, while a one-thread fiber pool serves all eight handlers: that works only if a
// handler waiting for room lets the others run (a handler holding the thread would keep the
// client waiting on another stream until the deadline). The client's channel keeps HTTP/2 flow
// control to a small fixed window, so that a handler far ahead of its reader does wait.
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "executors/fiber_pool.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

TEST(FiberStreams, OneThreadServesManyBlockingWritersThatWaitForTheirReaders) {
  constexpr int kStreams = 8;
  constexpr int kMessages = 40;
  constexpr int kPayloadBytes = 16 * 1024;  // 640 KiB a stream: ten times the window
  auto pool = std::make_shared<FiberPool>(FiberPool::Options{.name = "writers", .threads = 1});
  auto server = TestServer::Start([&](ServerBuilder& builder, ServiceOptions& options) {
    builder.SetStreamLimits({.max_queued_messages = 2, .max_queued_bytes = 2 * kPayloadBytes});
    options.Bind("ServerStreamBlocking", pool);
  });
  ASSERT_NE(server, nullptr);
  grpc::ChannelArguments small_window;
  small_window.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  small_window.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
  TestServiceTandem::Client client(
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server->server().port()),
                                grpc::InsecureChannelCredentials(), small_window));

  TestRequest request = MakeRequest(TestRequest::ECHO, "m");
  request.set_count(kMessages);
  request.set_payload_bytes(kPayloadBytes);
  std::vector<ClientReader<TestReply>> readers;
  for (int i = 0; i < kStreams; ++i) {
    readers.push_back(
        client.ServerStreamBlocking(request, CallOptions().set_timeout(absl::Seconds(30))));
  }
  TestReply reply;
  for (int message = 0; message < kMessages; ++message) {
    for (int stream = 0; stream < kStreams; ++stream) {
      ASSERT_TRUE(readers[stream].Read(&reply)) << "stream " << stream << ", message " << message;
      ASSERT_EQ(reply.payload().size(), static_cast<size_t>(kPayloadBytes));
    }
  }
  for (auto& reader : readers) {
    EXPECT_FALSE(reader.Read(&reply));
    EXPECT_TRUE(reader.Finish().ok());
  }
}

}  // namespace
}  // namespace tandem::testing
