// AnchorGrpcCallbackQueue: keeps gRPC's process-wide callback queue for the life of the process,
// so that a client may be destroyed while its calls are in flight.
//
// Why. gRPC 1.51 on Linux has no background poller (epoll1), so every callback-API call, client
// or server, completes on one process-wide completion queue served by threads of its own
// (CompletionQueue::CallbackAlternativeCQ). Channels and servers count their references to it;
// when the count returns to zero, the queue is shut down, its threads are joined and it is
// deleted, on whichever thread let go of the last reference. Tandem's calls end on those threads,
// and a call's ClientContext holds its channel: when a client is destroyed before its calls end,
// the last call to end drops the last reference on one of the queue's own threads. That thread
// cannot join itself, so it deletes the queue and then goes back to serving it (a double free,
// or a corrupted heap). tests/client/client_lifetime_test reproduces it.
//
// What. One channel that is never destroyed makes one call (cancelled before it starts, so it
// ends at once and the channel never connects), which takes a reference to the queue that is
// never given back. The queue and its threads then live as long as the process,
// as they would with gRPC's background poller. No gRPC API takes the reference directly, and no
// library fits: this is the smallest thing that does it.
//
// Threads: any thread; the first call starts the anchoring call and returns without waiting for
// it, later calls return at once. Generated clients call it when constructed.
#ifndef TANDEM_CLIENT_INTERNAL_CALLBACK_QUEUE_ANCHOR_H_
#define TANDEM_CLIENT_INTERNAL_CALLBACK_QUEUE_ANCHOR_H_

namespace tandem::client_internal {

void AnchorGrpcCallbackQueue();

}  // namespace tandem::client_internal

#endif  // TANDEM_CLIENT_INTERNAL_CALLBACK_QUEUE_ANCHOR_H_
