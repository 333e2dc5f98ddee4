// Message streams: the two ends of a stream of messages (MessageSource, MessageSink), and the
// three forms in which every Tandem stream handle, client and server alike, offers reading and
// writing (StreamReads, StreamWrites):
//   - Read / Write wait for the result, as a Tandem blocking point (executors/blocking.h): on a
//     fiber they suspend only the fiber, elsewhere they block the thread. Never on a gRPC thread
//     or a coroutine loop.
//   - CoRead / CoWrite are awaited: `co_await stream.CoWrite(message)`; the coroutine resumes on
//     its own executor, never on the thread that completed the operation.
//   - AsyncRead / AsyncWrite take an Asio completion token; a plain callback runs on the thread
//     that completes the operation (often a gRPC thread) or at once, and must never block.
// The ends are implemented by the calls (server/internal/stream_call.h, client/stream.h); the
// handles (server/stream.h, client/stream.h) derive from StreamReads and StreamWrites.
//
// Threads: one read at a time and one write at a time per end; reads and writes may overlap.
// Post* never block, and their completions only post or notify.
// This layer knows nothing about gRPC.
#ifndef TANDEM_EXECUTORS_MESSAGE_STREAM_H_
#define TANDEM_EXECUTORS_MESSAGE_STREAM_H_

#include <optional>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "asio/async_result.hpp"
#include "asio/use_awaitable.hpp"
#include "executors/completion.h"
#include "executors/task.h"
#include "executors/wait_for_completion.h"

namespace tandem {

// Where a stream's messages come from.
template <class Message>
class MessageSource {
 public:
  // Gets the next message, or nullopt once the stream has ended (closed by the other side,
  // cancelled or finished). Runs on the thread that produced the message, or at once on the
  // caller's: it must only post or notify.
  using ReadDone = absl::AnyInvocable<void(std::optional<Message>) &&>;

  // Asks for the next message. Never blocks. One read at a time: a read started while another
  // is pending gets nullopt.
  virtual void PostRead(ReadDone done) = 0;

 protected:
  ~MessageSource() = default;
};

// Where a stream's messages go.
template <class Message>
class MessageSink {
 public:
  // Gets true once the sink has accepted the message (each sink says when that is), false if
  // the stream can no longer be written. Runs on the thread that accepts it, or at once on the
  // caller's: it must only post or notify.
  using WriteDone = absl::AnyInvocable<void(bool) &&>;

  // Hands `message` to the stream. Never blocks. One write at a time.
  virtual void PostWrite(Message message, WriteDone done) = 0;

 protected:
  ~MessageSink() = default;
};

// Reading a stream, in the three forms.
template <class Message>
class StreamReads {
 public:
  // Waits for the next message; false once the stream has ended.
  bool Read(Message* message) {
    std::optional<Message> next = WaitForCompletion<std::optional<Message>>(
        [this](auto done) { source_->PostRead(std::move(done)); });
    if (!next.has_value()) return false;
    *message = std::move(*next);
    return true;
  }

  // Completes with std::optional<Message>: the next message, or nullopt at the end.
  template <class CompletionToken>
  auto AsyncRead(CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::optional<Message>)>(
        [this](auto handler) {
          source_->PostRead([handler = std::move(handler)](std::optional<Message> next) mutable {
            CompleteOnItsExecutor(std::move(handler), std::move(next));
          });
        },
        token);
  }

  // `std::optional<Message> next = co_await stream.CoRead();`
  Task<std::optional<Message>> CoRead() { return AsyncRead(asio::use_awaitable); }

 protected:
  explicit StreamReads(MessageSource<Message>* source) : source_(source) {}

 private:
  MessageSource<Message>* source_;
};

// Writing a stream, in the three forms.
template <class Message>
class StreamWrites {
 public:
  // Waits until the stream has accepted `message`; false if it can no longer be written.
  bool Write(Message message) {
    return WaitForCompletion<bool>(
        [&](auto done) { sink_->PostWrite(std::move(message), std::move(done)); });
  }

  // Completes with bool, as Write returns.
  template <class CompletionToken>
  auto AsyncWrite(Message message, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(bool)>(
        [this](auto handler, Message message) {
          sink_->PostWrite(std::move(message), [handler = std::move(handler)](bool ok) mutable {
            CompleteOnItsExecutor(std::move(handler), ok);
          });
        },
        token, std::move(message));
  }

  // `if (!co_await stream.CoWrite(message)) ...`
  Task<bool> CoWrite(Message message) {
    return AsyncWrite(std::move(message), asio::use_awaitable);
  }

 protected:
  explicit StreamWrites(MessageSink<Message>* sink) : sink_(sink) {}

 private:
  MessageSink<Message>* sink_;
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_MESSAGE_STREAM_H_
