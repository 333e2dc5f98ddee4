// Client streaming calls: ClientReader (server streaming), ClientWriter (client streaming) and
// ClientReaderWriter (bidirectional), returned by the generated client's streaming methods.
//
// The call starts when the generated method returns the handle. Each operation comes in the
// three forms the server's handles have too (executors/message_stream.h): Read/Write/Finish
// wait on the calling thread (never call them on a gRPC thread or a coroutine loop);
// CoRead/CoWrite/CoFinish are awaited and resume on the coroutine's executor;
// AsyncRead/AsyncWrite/AsyncFinish take an Asio completion token (a plain callback runs on a
// gRPC thread and must not block).
//
// Protocol: read until a read reports the end (false / nullopt), then Finish for the status.
// Start no read or write once Finish has been called.
// A write completes once gRPC has taken the message, so one write is in flight at a time and a
// fast writer is held to the server's pace. WritesDone half-closes after the last write.
// Dropping the handle of a call that has not finished cancels it.
//
// Threads: one read and one write may be in flight at once; the handle is otherwise used by one
// thread at a time. Cancel is thread-safe.
#ifndef TANDEM_CLIENT_STREAM_H_
#define TANDEM_CLIENT_STREAM_H_

#include <atomic>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "asio/async_result.hpp"
#include "asio/use_awaitable.hpp"
#include "absl/strings/string_view.h"
#include "client/call_options.h"
#include "client/internal/wire_message.h"
#include "client/status.h"
#include "executors/completion.h"
#include "executors/message_stream.h"
#include "executors/task.h"
#include "executors/wait_for_completion.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/client_callback.h"

namespace tandem {
namespace client_internal {

enum class ClientStreamKind { kServerStreaming, kClientStreaming, kBidi };

// What a handle needs of any call, whatever its message types.
class ClientCallBase {
 public:
  using FinishDone = absl::AnyInvocable<void(grpc::Status) &&>;

  virtual grpc::ClientContext* context() = 0;
  // `done` gets the call's final status once it has ended. Never blocks. After it, the handle
  // starts no more operations (see the hold in ClientStreamCall).
  virtual void PostFinish(FinishDone done) = 0;
  // The handle is gone: cancels the call if it still runs, and drops the handle's reference.
  virtual void Abandon() = 0;

 protected:
  ~ClientCallBase() = default;
};

// The writing end of a client stream: a write is accepted (true) once gRPC has taken the message.
template <class Request>
class ClientWriteEnd : public MessageSink<Request> {
 public:
  // Half-closes after the write in flight, if any. Never blocks.
  virtual void PostWritesDone() = 0;

 protected:
  ~ClientWriteEnd() = default;
};

// The state of one client streaming call, and gRPC's reactor for it. gRPC runs the call as a raw
// method: requests are serialized by the writer's thread, responses parsed on the gRPC thread
// that reads them (client/internal/wire_message.h). A response that does not parse cancels the
// call, and its Finish reports INTERNAL naming the method and the type, instead of a clean end.
// Threads: Post* may be called from any thread and never block; reactions run on gRPC threads
// and only update state and run the registered completions (which only post or notify).
// Lifetime: reference-counted: gRPC's reference is dropped by OnDone, the handle's by its
// destructor (which cancels a call still running).
template <class Request, class Response, ClientStreamKind kKind>
class ClientStreamCall final
    : public std::conditional_t<
          kKind == ClientStreamKind::kServerStreaming, grpc::ClientReadReactor<grpc::ByteBuffer>,
          std::conditional_t<kKind == ClientStreamKind::kClientStreaming,
                             grpc::ClientWriteReactor<grpc::ByteBuffer>,
                             grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>>>,
      public ClientCallBase,
      public MessageSource<Response>,
      public ClientWriteEnd<Request> {
 public:
  static constexpr bool kReads = kKind != ClientStreamKind::kClientStreaming;
  static constexpr bool kWrites = kKind != ClientStreamKind::kServerStreaming;
  using ReadDone = typename MessageSource<Response>::ReadDone;
  using OpDone = typename MessageSink<Request>::WriteDone;

  // `method` is the generated client's constant, "/package.Service/Method".
  ClientStreamCall(absl::string_view method, const CallOptions& options)
      : method_(method),
        context_(std::make_shared<grpc::ClientContext>()),
        in_scope_(options.ApplyTo(context_)) {}

  grpc::ClientContext* context() override { return context_.get(); }
  // For client streaming: the single response, parsed when the call ends OK.
  Response* response() { return &response_; }
  // For client streaming: where gRPC puts the single response's bytes.
  grpc::ByteBuffer* response_bytes() { return &response_bytes_; }
  // For server streaming, before the call starts: serializes the request into the buffer gRPC
  // sends (kept until the call ends) and returns it. A request that does not serialize fails the
  // call (Finish reports why).
  grpc::ByteBuffer* SerializeRequest(const Request& request) ABSL_LOCKS_EXCLUDED(mu_) {
    if (grpc::Status status = SerializeRequestMessage(method_, request, &request_bytes_);
        !status.ok()) {
      FailLocally(std::move(status));
    }
    return &request_bytes_;
  }

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // gRPC may end a call (OnDone) as soon as no operation is pending, and an operation started
  // after that would touch a freed call. The handle therefore holds the call open (a gRPC
  // "hold", taken before StartCall) for as long as it may start operations: until Finish or
  // until the handle goes.
  void ReleaseHoldOnce() ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      if (hold_released_) return;
      hold_released_ = true;
      read_closed_ = true;
      write_closed_ = true;
    }
    this->RemoveHold();
  }

  void Abandon() override {
    bool running;
    {
      absl::MutexLock lock(&mu_);
      running = !status_.has_value();
    }
    if (running) context_->TryCancel();
    ReleaseHoldOnce();
    Unref();
  }

  void PostRead(ReadDone done) override ABSL_LOCKS_EXCLUDED(mu_) {
    bool start = false;
    {
      absl::MutexLock lock(&mu_);
      if (!read_closed_ && !read_done_) {
        read_done_ = std::move(done);
        start = true;
      }
    }
    if (!start) {
      std::move(done)(std::nullopt);
    } else if constexpr (kReads) {
      this->StartRead(&read_buffer_);
    }
  }

  void PostWrite(Request message, OpDone done) override ABSL_LOCKS_EXCLUDED(mu_) {
    grpc::ByteBuffer bytes;
    if (grpc::Status status = SerializeRequestMessage(method_, message, &bytes); !status.ok()) {
      FailLocally(std::move(status));
      std::move(done)(false);
      return;
    }
    bool start = false;
    {
      absl::MutexLock lock(&mu_);
      if (!write_closed_ && !write_done_) {
        write_done_ = std::move(done);
        write_buffer_ = std::move(bytes);
        start = true;
      }
    }
    if (!start) {
      std::move(done)(false);
    } else if constexpr (kWrites) {
      this->StartWrite(&write_buffer_);
    }
  }

  // Half-closes once no write is in flight. Never blocks.
  void PostWritesDone() override ABSL_LOCKS_EXCLUDED(mu_) {
    bool start = false;
    {
      absl::MutexLock lock(&mu_);
      if (writes_done_) return;
      writes_done_ = true;
      write_closed_ = true;
      start = !write_done_;  // Otherwise OnWriteDone starts it.
    }
    if constexpr (kWrites) {
      if (start) this->StartWritesDone();
    }
  }

  // `done` gets the call's final status once it has ended.
  void PostFinish(FinishDone done) override ABSL_LOCKS_EXCLUDED(mu_) {
    std::optional<grpc::Status> status;
    {
      absl::MutexLock lock(&mu_);
      if (status_.has_value()) {
        status = status_;
      } else {
        finish_done_ = std::move(done);
      }
    }
    ReleaseHoldOnce();  // May run OnDone inline, which runs finish_done_.
    if (status.has_value()) std::move(done)(*std::move(status));
  }

  // Reactions: overrides where the kind has them, never called where it has not. `override`
  // cannot be written on a function that overrides in some instantiations only.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winconsistent-missing-override"
#endif
  void OnReadDone(bool ok) ABSL_LOCKS_EXCLUDED(mu_) {
    std::optional<Response> response;
    if (ok) {
      response.emplace();
      grpc::Status parsed = ParseResponseMessage(method_, &read_buffer_, &*response, ++reads_);
      if (!parsed.ok()) {
        response.reset();
        FailLocally(std::move(parsed));
      }
    }
    ReadDone done;
    {
      absl::MutexLock lock(&mu_);
      done = std::move(read_done_);
      read_done_ = nullptr;
      if (!response.has_value()) read_closed_ = true;
    }
    std::move(done)(std::move(response));
  }

  void OnWriteDone(bool ok) ABSL_LOCKS_EXCLUDED(mu_) {
    OpDone done;
    bool start_writes_done = false;
    {
      absl::MutexLock lock(&mu_);
      done = std::move(write_done_);
      write_done_ = nullptr;
      if (!ok) write_closed_ = true;
      start_writes_done = writes_done_ && ok;
    }
    if constexpr (kWrites) {
      if (start_writes_done) this->StartWritesDone();
    }
    std::move(done)(ok);
  }
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

  // The call's final status: a local failure (a response that did not parse, a request that did
  // not serialize) wins over the CANCELLED its cancellation caused; a client-streaming response
  // that does not parse turns an OK into INTERNAL.
  void OnDone(const grpc::Status& received) override ABSL_LOCKS_EXCLUDED(mu_) {
    grpc::Status status = received;
    if constexpr (kKind == ClientStreamKind::kClientStreaming) {
      if (status.ok()) status = ParseResponseMessage(method_, &response_bytes_, &response_);
    }
    FinishDone done;
    ReadDone reader;
    OpDone writer;
    {
      absl::MutexLock lock(&mu_);
      if (local_error_.has_value()) status = *local_error_;
      status_ = status;
      read_closed_ = true;
      write_closed_ = true;
      done = std::move(finish_done_);
      finish_done_ = nullptr;
      reader = std::move(read_done_);
      read_done_ = nullptr;
      writer = std::move(write_done_);
      write_done_ = nullptr;
    }
    if (reader) std::move(reader)(std::nullopt);
    if (writer) std::move(writer)(false);
    if (done) std::move(done)(status);
    Unref();
  }

 private:
  ~ClientStreamCall() override = default;

  // Ends the call from this side with `status` (the first such wins): cancels it, and OnDone
  // reports `status` instead of what gRPC says. Any thread; never blocks.
  void FailLocally(grpc::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      if (!local_error_.has_value()) local_error_ = std::move(status);
    }
    context_->TryCancel();
  }

  const absl::string_view method_;
  std::shared_ptr<grpc::ClientContext> context_;  // shared: cancellations hold a weak_ptr
  const CallScope::Registration in_scope_;
  std::atomic<int> refs_{2};                      // gRPC's (OnDone) and the handle's

  mutable absl::Mutex mu_;
  grpc::ByteBuffer request_bytes_;   // server streaming: the request, until the call ends
  grpc::ByteBuffer response_bytes_;  // client streaming: gRPC's until OnDone
  Response response_;                // client streaming: parsed from response_bytes_ at OnDone
  grpc::ByteBuffer read_buffer_;     // gRPC's between StartRead and OnReadDone
  size_t reads_ = 0;                 // responses read; touched only by OnReadDone
  grpc::ByteBuffer write_buffer_;    // gRPC's between StartWrite and OnWriteDone
  std::optional<grpc::Status> local_error_ ABSL_GUARDED_BY(mu_);
  ReadDone read_done_ ABSL_GUARDED_BY(mu_);
  OpDone write_done_ ABSL_GUARDED_BY(mu_);
  FinishDone finish_done_ ABSL_GUARDED_BY(mu_);
  bool read_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool write_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mu_);
  bool hold_released_ ABSL_GUARDED_BY(mu_) = false;
};

// The call a handle refers to: cancels a call still running when the last handle goes.
class ClientCallHandle {
 public:
  explicit ClientCallHandle(ClientCallBase* call) : call_(call) {}
  ClientCallHandle(ClientCallHandle&& other) noexcept : call_(std::exchange(other.call_, nullptr)) {}
  ClientCallHandle& operator=(ClientCallHandle&&) = delete;
  ~ClientCallHandle() {
    if (call_ != nullptr) call_->Abandon();
  }

  ClientCallBase* operator->() const { return call_; }

 private:
  ClientCallBase* call_;
};

// Creates the call, lets `attach` hand it to gRPC (stub->async()->Method(...)), starts it.
template <class Call, class Attach>
Call* StartClientStream(absl::string_view method, const CallOptions& options, Attach attach) {
  auto* call = new Call(method, options);
  attach(call);
  call->AddHold();  // Released by Finish or by the handle's end (ReleaseHoldOnce).
  call->StartCall();
  return call;
}

}  // namespace client_internal

// The end of any client stream: its status, and cancellation.
class ClientStreamEnd {
 public:
  // Waits for the call's final status. Read to the end first: the call ends only then.
  absl::Status Finish() {
    return ToAbslStatus(WaitForCompletion<grpc::Status>(
        [this](auto done) { call_->PostFinish(std::move(done)); }));
  }

  // Completes with absl::Status, as Finish returns.
  template <class CompletionToken>
  auto AsyncFinish(CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(absl::Status)>(
        [this](auto handler) {
          call_->PostFinish([handler = std::move(handler)](grpc::Status status) mutable {
            CompleteOnItsExecutor(std::move(handler), ToAbslStatus(status));
          });
        },
        token);
  }

  Task<absl::Status> CoFinish() { return AsyncFinish(asio::use_awaitable); }

  // Cancels the call: pending and later operations fail, Finish reports CANCELLED. Any thread.
  void Cancel() { call_->context()->TryCancel(); }

  // gRPC's context, e.g. for the server's initial and trailing metadata after Finish.
  grpc::ClientContext* grpc_context() { return call_->context(); }

 protected:
  explicit ClientStreamEnd(client_internal::ClientCallBase* call) : call_(call) {}

  client_internal::ClientCallHandle call_;
};

// Writing requests (ClientWriter and ClientReaderWriter): Write, CoWrite and AsyncWrite, done
// once gRPC has taken the request, and WritesDone.
template <class Request>
class ClientStreamWriting : public StreamWrites<Request> {
 public:
  // Tells the server no more requests will come (after the write in flight). Never blocks.
  void WritesDone() { writes_->PostWritesDone(); }

 protected:
  explicit ClientStreamWriting(client_internal::ClientWriteEnd<Request>* writes)
      : StreamWrites<Request>(writes), writes_(writes) {}

 private:
  client_internal::ClientWriteEnd<Request>* writes_;
};

// A server-streaming call: read the responses, then Finish.
template <class Response>
class ClientReader : public ClientStreamEnd, public StreamReads<Response> {
 public:
  template <class Call>
  explicit ClientReader(Call* call) : ClientStreamEnd(call), StreamReads<Response>(call) {}
};

// A client-streaming call: write the requests, then Finish for the single response (Finish
// half-closes first if WritesDone was not called).
template <class Request, class Response>
class ClientWriter : public ClientStreamEnd, public ClientStreamWriting<Request> {
 public:
  template <class Call>
  explicit ClientWriter(Call* call)
      : ClientStreamEnd(call), ClientStreamWriting<Request>(call), response_(call->response()) {}

  absl::StatusOr<Response> Finish() {
    this->WritesDone();
    absl::Status status = ClientStreamEnd::Finish();
    if (!status.ok()) return status;
    return std::move(*response_);
  }

  template <class CompletionToken>
  auto AsyncFinish(CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(absl::StatusOr<Response>)>(
        [this](auto handler) {
          this->WritesDone();
          call_->PostFinish([handler = std::move(handler),
                             response = response_](grpc::Status status) mutable {
            absl::StatusOr<Response> result =
                status.ok() ? absl::StatusOr<Response>(std::move(*response))
                            : absl::StatusOr<Response>(ToAbslStatus(status));
            CompleteOnItsExecutor(std::move(handler), std::move(result));
          });
        },
        token);
  }

  Task<absl::StatusOr<Response>> CoFinish() { return AsyncFinish(asio::use_awaitable); }

 private:
  Response* response_;  // owned by the call, which this handle keeps alive
};

// A bidirectional call: reads and writes may overlap; WritesDone, read to the end, Finish.
template <class Request, class Response>
class ClientReaderWriter : public ClientStreamEnd,
                           public StreamReads<Response>,
                           public ClientStreamWriting<Request> {
 public:
  template <class Call>
  explicit ClientReaderWriter(Call* call)
      : ClientStreamEnd(call), StreamReads<Response>(call), ClientStreamWriting<Request>(call) {}
};

}  // namespace tandem

#endif  // TANDEM_CLIENT_STREAM_H_
