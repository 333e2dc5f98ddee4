// StreamCall: the state of one streaming call on the server, and its reply shim for streams.
//
// One class serves the three streaming kinds (server, client and bidirectional streaming); the
// handler sees it through the handles in server/stream.h. gRPC runs it as a raw method: messages
// cross as bytes, and the call parses each request and serializes each response itself (see
// wire_message.h: a request message that does not parse ends the call with INTERNAL, where gRPC
// would have reported a clean end of stream). What it guarantees:
//   - One write in flight at a time (gRPC's rule). A response is serialized by the writer, on its
//     own thread, before it is queued; the queue holds bytes. Further writes wait in a bounded
//     queue (StreamLimits); a writer that finds the queue full is parked until OnWriteDone has
//     drained it to half, so a fast writer and a slow reader cost a bounded amount of memory, not
//     an unbounded one, and the writer wakes once per half a queue.
//   - Finish goes out after the last queued write.
//   - One read at a time, started only when the handler asks for a message.
//   - gRPC's reactions (OnReadDone, OnWriteDone, OnCancel, OnDone) only update state and run the
//     completions the handler registered, which themselves only post or notify. Nothing in them
//     blocks, and no user code runs in them.
//
// Threads: PostRead, PostWrite, PostFinish, AddHandle and ReleaseHandle may be called from any
// thread and never block; gRPC is never called with mu_ held (it may run reactions inline).
// Lifetime: see ServerCall; every handle of server/stream.h holds the call.
#ifndef TANDEM_SERVER_INTERNAL_STREAM_CALL_H_
#define TANDEM_SERVER_INTERNAL_STREAM_CALL_H_

#include <atomic>
#include <cstddef>
#include <deque>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "executors/message_stream.h"
#include "server/internal/wire_message.h"
#include "server/internal/method_binding.h"
#include "server/internal/server_call.h"
#include "server/server_context.h"

namespace tandem::server_internal {

enum class StreamKind { kServerStreaming, kClientStreaming, kBidi };

// The message ends the handles see (executors/message_stream.h): a read gets the next request;
// a write is accepted (true) once the response is in the call's write queue, and refused
// (false) when the stream is cancelled, failed or finishing.
template <class Request, class Response, StreamKind kKind>
class StreamCall final : public ServerCall,
                         public MessageSource<Request>,
                         public MessageSink<Response> {
 public:
  static constexpr bool kReads = kKind != StreamKind::kServerStreaming;
  static constexpr bool kWrites = kKind != StreamKind::kClientStreaming;
  using ReadDone = typename MessageSource<Request>::ReadDone;
  using WriteQueued = typename MessageSink<Response>::WriteDone;

  // `response_bytes` (client streaming only) is gRPC's, valid until OnDone.
  StreamCall(MethodBinding& method, grpc::CallbackServerContext* grpc_context,
             grpc::ByteBuffer* response_bytes = nullptr)
      : ServerCall(method, grpc_context, "stream"),
        reactor_(this),
        response_bytes_(response_bytes) {}

  // The reactor to return to gRPC from the method handler.
  auto* reactor() { return &reactor_; }

  // Server streaming: the request, parsed before the handler starts.
  Request* request() { return &request_; }

  // Client streaming: the response the handler fills, sent by a PostFinish with an OK status.
  Response* response() { return &response_; }

  void PostRead(ReadDone done) override ABSL_LOCKS_EXCLUDED(mu_) {
    if constexpr (!kReads) {
      std::move(done)(std::nullopt);  // Unreachable: no handle gives this kind a reader.
      return;
    }
    bool start = false;
    {
      absl::MutexLock lock(&mu_);
      // No read once the call is finishing: gRPC may end it (OnDone) at any moment then.
      if (!read_closed_ && !read_done_ && !finish_status_.has_value()) {
        read_done_ = std::move(done);
        start = true;
      }
    }
    if (start) {
      if constexpr (kReads) reactor_.StartRead(&read_buffer_);
    } else {
      std::move(done)(std::nullopt);
    }
  }

  void PostWrite(Response message, WriteQueued queued) override ABSL_LOCKS_EXCLUDED(mu_) {
    if constexpr (!kWrites) {
      std::move(queued)(false);  // Unreachable: no handle gives this kind a writer.
      return;
    }
    grpc::ByteBuffer serialized;
    if (grpc::Status status = SerializeResponseMessage(method_, message, &serialized);
        !status.ok()) {
      PostFinish(std::move(status));
      std::move(queued)(false);
      return;
    }
    const size_t bytes = serialized.Length();
    bool accepted = false;
    bool rejected = false;
    {
      absl::MutexLock lock(&mu_);
      if (write_closed_) {
        rejected = true;
      } else if (parked_.empty() && HasRoomLocked(bytes)) {
        EnqueueLocked(std::move(serialized), bytes);
        accepted = true;
      } else {
        parked_.push_back(Parked{std::move(serialized), bytes, std::move(queued)});
      }
    }
    if (accepted) {
      StartNextWrite();
      std::move(queued)(true);
    } else if (rejected) {
      std::move(queued)(false);
    }
  }

  bool PostFinish(grpc::Status status) override ABSL_LOCKS_EXCLUDED(mu_) {
    // Client streaming sends the response with an OK status. It is serialized before the lock,
    // into a buffer of our own: gRPC may be sending an earlier Finish's response right now.
    grpc::ByteBuffer response;
    if constexpr (kKind == StreamKind::kClientStreaming) {
      if (status.ok()) status = SerializeResponseMessage(method_, response_, &response);
    }
    std::deque<Parked> refused;
    {
      absl::MutexLock lock(&mu_);
      if (finish_status_.has_value()) return false;
      if constexpr (kKind == StreamKind::kClientStreaming) response_bytes_->Swap(&response);
      finish_status_ = std::move(status);
      write_closed_ = true;
      refused.swap(parked_);
    }
    for (Parked& parked : refused) std::move(parked.queued)(false);
    FinishIfDrained();
    return true;
  }

  // The per-call queue, for tests and stats.
  size_t queued_bytes() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return queued_bytes_;
  }

 private:
  struct Queued {
    grpc::ByteBuffer message;
    size_t bytes;
    absl::Time queued_at;
  };
  struct Parked {
    grpc::ByteBuffer message;
    size_t bytes;
    WriteQueued queued;
  };

  using ReactorBase = std::conditional_t<
      kKind == StreamKind::kServerStreaming, grpc::ServerWriteReactor<grpc::ByteBuffer>,
      std::conditional_t<kKind == StreamKind::kClientStreaming,
                         grpc::ServerReadReactor<grpc::ByteBuffer>,
                         grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>>>;

  // gRPC's reactor. Its reactions run on gRPC threads and only forward to the call.
  class Reactor final : public ReactorBase {
   public:
    explicit Reactor(StreamCall* call) : call_(call) {}
    // gRPC may run OnDone (and OnCancel) on the thread that completes the call instead of
    // hopping to its executor thread: safe, as these reactions never block.
    bool InternalInlineable() override { return true; }
    void OnCancel() override { call_->context_.MarkCancelled(); }
    void OnDone() override { call_->OnDone(); }
    // Overrides where the kind has the reaction; never called where it has not. `override`
    // cannot be written on a function that overrides in some instantiations only.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winconsistent-missing-override"
#endif
    void OnReadDone(bool ok) { call_->OnReadDone(ok); }
    void OnWriteDone(bool ok) { call_->OnWriteDone(ok); }
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

   private:
    StreamCall* const call_;
  };

  ~StreamCall() override = default;

  bool HasRoomLocked(size_t bytes) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const StreamLimits& limits = method_.stream_limits;
    // An empty queue takes any message, so one larger than the byte limit still goes out.
    return queue_.empty() || (queue_.size() < limits.max_queued_messages &&
                              queued_bytes_ + bytes <= limits.max_queued_bytes);
  }

  bool BelowLowWaterLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const StreamLimits& limits = method_.stream_limits;
    return queue_.size() <= limits.max_queued_messages / 2 &&
           queued_bytes_ <= limits.max_queued_bytes / 2;
  }

  void EnqueueLocked(grpc::ByteBuffer message, size_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    queue_.push_back(Queued{std::move(message), bytes, absl::Now()});
    queued_bytes_ += bytes;
    method_.RecordQueuedBytes(queued_bytes_);
  }

  // Starts the next queued write if none is in flight. Never holds mu_ while calling gRPC.
  // While more messages wait behind it, the write carries gRPC's buffer hint: the transport may
  // hold it (up to its write buffer, 64 KiB by default) and send it with the ones that follow,
  // in fewer frames and syscalls, and still reports it done at once. The last queued message
  // goes without the hint, which flushes them all, so nothing waits for a message that may not
  // come.
  void StartNextWrite() ABSL_LOCKS_EXCLUDED(mu_) {
    grpc::WriteOptions options;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || queue_.empty()) return;
      writing_ = true;
      in_flight_ = std::move(queue_.front().message);
      in_flight_bytes_ = queue_.front().bytes;
      method_.RecordWriteHandoff(absl::Now() - queue_.front().queued_at);
      queued_bytes_ -= queue_.front().bytes;
      queue_.pop_front();
      if (!queue_.empty()) options.set_buffer_hint();
    }
    if constexpr (kWrites) reactor_.StartWrite(&in_flight_, options);
  }

  // gRPC thread. Makes room: moves parked writers into the queue and tells them.
  void OnWriteDone(bool ok) ABSL_LOCKS_EXCLUDED(mu_) {
    std::deque<Parked> admitted;
    std::deque<Parked> refused;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (ok) method_.RecordWritten(in_flight_bytes_);
      if (!ok) {
        // The stream is broken: nothing more will go out.
        write_closed_ = true;
        queue_.clear();
        queued_bytes_ = 0;
        refused.swap(parked_);
      }
      // Parked writers wait for the queue to drain to half before any is let in, so a writer
      // that outpaces its client wakes once per half a queue, not once per message.
      const bool drained = BelowLowWaterLocked();
      while (drained && !parked_.empty() && HasRoomLocked(parked_.front().bytes)) {
        EnqueueLocked(std::move(parked_.front().message), parked_.front().bytes);
        admitted.push_back(std::move(parked_.front()));
        parked_.pop_front();
      }
    }
    // A server write fails only when the call is cancelled; the handler that learns of it from
    // a failed write sees IsCancelled() already true, whichever reaction gRPC runs first.
    if (!ok) context_.MarkCancelled();
    for (Parked& parked : admitted) std::move(parked.queued)(true);
    for (Parked& parked : refused) std::move(parked.queued)(false);
    StartNextWrite();
    FinishIfDrained();
  }

  // gRPC thread. Parses the request and hands it to the waiting reader, or ends the reading
  // side: at the end of the stream, or at a request that does not parse, which also ends the
  // call (its handler's own status comes too late and is dropped).
  void OnReadDone(bool ok) ABSL_LOCKS_EXCLUDED(mu_) {
    std::optional<Request> request;
    grpc::Status malformed;
    if (ok) {
      ++requests_read_;
      request.emplace();
      malformed = ParseRequestMessage(method_, read_buffer_, &*request, requests_read_);
      if (!malformed.ok()) request.reset();
      read_buffer_.Clear();
    }
    ReadDone done;
    {
      absl::MutexLock lock(&mu_);
      done = std::move(read_done_);
      read_done_ = nullptr;
      if (!request.has_value()) read_closed_ = true;
    }
    // A read also fails when the stream breaks (gRPC refused an oversize message, the client
    // cancelled): the handler must not take that for the client's half-close. gRPC's IsCancelled
    // never blocks in the callback API, and may know before its OnCancel reaction runs.
    if (!malformed.ok() || (!ok && context_.grpc_context()->IsCancelled())) {
      context_.MarkCancelled();
    }
    // Finished before the reader hears of the end, so the handler's own status loses.
    if (!malformed.ok()) PostFinish(std::move(malformed));
    std::move(done)(std::move(request));
  }

  // Sends the finish once a finish is pending and no write is queued or in flight.
  void FinishIfDrained() ABSL_LOCKS_EXCLUDED(mu_) {
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (!finish_status_.has_value() || finish_sent_ || writing_ || !queue_.empty()) return;
      finish_sent_ = true;
      status = *finish_status_;
    }
    MarkFinished();
    // Keeps the call alive even if gRPC runs OnDone inline, inside Finish.
    Ref();
    reactor_.Finish(std::move(status));
    Unref();
  }

  // gRPC thread, last reaction. Records the outcome, fails what still waits, then drops gRPC's
  // reference. The call finished OK only if it sent OK and was not cancelled on the way.
  void OnDone() ABSL_LOCKS_EXCLUDED(mu_) {
    ReadDone reader;
    std::deque<Parked> refused;
    std::optional<grpc::StatusCode> sent;
    {
      absl::MutexLock lock(&mu_);
      if (finish_status_.has_value()) sent = finish_status_->error_code();
      read_closed_ = true;
      write_closed_ = true;
      reader = std::move(read_done_);
      read_done_ = nullptr;
      refused.swap(parked_);
    }
    RecordDone(sent);
    if (reader) std::move(reader)(std::nullopt);
    for (Parked& parked : refused) std::move(parked.queued)(false);
    Unref();
  }

  Reactor reactor_;

  mutable absl::Mutex mu_;
  // Writing.
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Parked> parked_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_closed_ ABSL_GUARDED_BY(mu_) = false;
  // Owned by gRPC between StartWrite and OnWriteDone (writing_ is true): untouched then.
  grpc::ByteBuffer in_flight_;
  size_t in_flight_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Reading. read_buffer_ is gRPC's between StartRead and OnReadDone; requests_read_ is touched
  // only in OnReadDone, and reads never overlap.
  grpc::ByteBuffer read_buffer_;
  size_t requests_read_ = 0;
  // The server-streaming request, and the client-streaming response and gRPC's buffer for it.
  Request request_;
  Response response_;
  grpc::ByteBuffer* const response_bytes_;
  ReadDone read_done_ ABSL_GUARDED_BY(mu_);
  bool read_closed_ ABSL_GUARDED_BY(mu_) = false;
  // Finishing.
  std::optional<grpc::Status> finish_status_ ABSL_GUARDED_BY(mu_);
  bool finish_sent_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_STREAM_CALL_H_
