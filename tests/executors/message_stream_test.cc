// Message streams (executors/message_stream.h): the three forms every stream handle offers,
// client and server alike, over any source and sink. Reads give each message once, in order,
// then "no more"; writes give the sink's verdict; the waiting forms wait, a coroutine resumes on
// its own loop whatever thread completes its operation, and a plain callback runs on that
// thread.
#include "executors/message_stream.h"

#include <deque>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "asio/co_spawn.hpp"
#include "asio/use_future.hpp"
#include "executors/coroutine_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem {
namespace {

using ::testing::ElementsAre;

// An in-memory stream whose operations complete on a thread of its own, as a gRPC reaction
// would: a read waits for a message or the end; a write is accepted while the pipe is open.
class Pipe final : public MessageSource<std::string>, public MessageSink<std::string> {
 public:
  ~Pipe() { completer_.join(); }

  void PostRead(ReadDone done) override {
    absl::MutexLock lock(&mu_);
    readers_.push_back(std::move(done));
  }

  void PostWrite(std::string message, WriteDone done) override {
    absl::MutexLock lock(&mu_);
    writes_.push_back({std::move(message), std::move(done)});
  }

  // Ends the stream once every message written so far has been read.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  std::thread::id completer_id() const { return completer_.get_id(); }

 private:
  struct Write {
    std::string message;
    WriteDone done;
  };

  // The completing thread: accepts writes, and matches messages with readers.
  void Complete() {
    while (true) {
      std::optional<Write> write;
      ReadDone reader;
      std::optional<std::string> next;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !writes_.empty() || (!readers_.empty() && (!messages_.empty() || closed_));
        };
        mu_.Await(absl::Condition(&ready));
        if (!writes_.empty()) {
          write = std::move(writes_.front());
          writes_.pop_front();
          if (!closed_) messages_.push_back(write->message);
        } else {
          reader = std::move(readers_.front());
          readers_.pop_front();
          if (!messages_.empty()) {
            next = std::move(messages_.front());
            messages_.pop_front();
          }
        }
      }
      if (write) {
        std::move(write->done)(!closed_for_writes());
      } else {
        const bool end = !next.has_value();
        std::move(reader)(std::move(next));
        if (end) return;  // Every test reads to the end last.
      }
    }
  }

  bool closed_for_writes() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }

  absl::Mutex mu_;
  std::deque<ReadDone> readers_ ABSL_GUARDED_BY(mu_);
  std::deque<Write> writes_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> messages_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread completer_{[this] { Complete(); }};
};

// A handle on a pipe with both directions, as a bidirectional stream handle is.
class PipeHandle : public StreamReads<std::string>, public StreamWrites<std::string> {
 public:
  explicit PipeHandle(Pipe* pipe) : StreamReads<std::string>(pipe), StreamWrites<std::string>(pipe) {}
};

TEST(MessageStream, WaitingFormsWriteThenReadEachMessageOnceInOrderThenTheEnd) {
  Pipe pipe;
  PipeHandle stream(&pipe);
  EXPECT_TRUE(stream.Write("a"));
  EXPECT_TRUE(stream.Write("b"));
  pipe.Close();
  EXPECT_FALSE(stream.Write("after close"));

  std::vector<std::string> read;
  std::string message;
  while (stream.Read(&message)) read.push_back(message);
  EXPECT_THAT(read, ElementsAre("a", "b"));
}

Task<std::vector<std::string>> WriteAndReadAll(PipeHandle& stream, Pipe& pipe,
                                               CoroutineLoop& loop, bool* stayed_on_loop) {
  *stayed_on_loop = true;
  for (const char* message : {"x", "y", "z"}) {
    const bool written = co_await stream.CoWrite(message);
    *stayed_on_loop &= written && loop.IsLoopThread();
  }
  pipe.Close();
  std::vector<std::string> read;
  while (std::optional<std::string> next = co_await stream.CoRead()) {
    *stayed_on_loop &= loop.IsLoopThread();
    read.push_back(*std::move(next));
  }
  *stayed_on_loop &= loop.IsLoopThread();
  co_return read;
}

TEST(MessageStream, CoroutineFormsResumeOnTheirLoopNotOnTheCompletingThread) {
  CoroutineLoop loop({.name = "stream-test-loop"});
  Pipe pipe;
  PipeHandle stream(&pipe);
  bool stayed_on_loop = false;
  std::future<std::vector<std::string>> read = asio::co_spawn(
      loop.executor(), WriteAndReadAll(stream, pipe, loop, &stayed_on_loop), asio::use_future);
  ASSERT_EQ(read.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_THAT(read.get(), ElementsAre("x", "y", "z"));
  EXPECT_TRUE(stayed_on_loop);
  loop.ShutdownAndWait();
}

TEST(MessageStream, PlainCallbacksRunOnTheThreadThatCompletesTheOperation) {
  Pipe pipe;
  PipeHandle stream(&pipe);
  absl::Notification written;
  std::thread::id write_thread;
  stream.AsyncWrite("m", [&](bool ok) {
    EXPECT_TRUE(ok);
    write_thread = std::this_thread::get_id();
    written.Notify();
  });
  ASSERT_TRUE(written.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(write_thread, pipe.completer_id());

  absl::Notification read;
  std::optional<std::string> message;
  std::thread::id read_thread;
  stream.AsyncRead([&](std::optional<std::string> next) {
    message = std::move(next);
    read_thread = std::this_thread::get_id();
    read.Notify();
  });
  ASSERT_TRUE(read.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(message, "m");
  EXPECT_EQ(read_thread, pipe.completer_id());

  pipe.Close();
  std::string end;
  EXPECT_FALSE(stream.Read(&end));
}

}  // namespace
}  // namespace tandem
