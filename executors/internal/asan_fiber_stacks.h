// AddressSanitizer and fiber stacks: what ASan must be told so that it is right on fibers.
//
// ASan keeps one stack per thread. Boost.Fiber runs fibers on stacks of their own and switches
// between them inside Boost.Context; Debian builds Boost.Context with its assembly (fcontext)
// back end, which, unlike the ucontext one, never tells ASan about a switch (Boost's own
// BOOST_USE_ASAN support needs the ucontext back end and a rebuilt Boost). Unannounced, a throw
// on a fiber stack makes ASan skip the stack clean-up it does for every exception
// ("ASan is ignoring requested __asan_handle_no_return"), stale poison stays on the fiber's stack,
// and the next frames there are reported as overflows that are not there.
//
// So, in ASan builds only, asan_fiber_stacks.cc takes over Boost.Context's two switch functions
// (jump_fcontext and ontop_fcontext, which libboost_fiber calls through the dynamic linker) and
// announces every switch with __sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber
// before passing it on to Boost's own. To name the stack a switch goes to, it must know where
// every fiber stack lies: the stacks Tandem maps (StackPool) are registered here; the per-thread
// dispatcher stacks Boost.Fiber allocates with malloc are found through ASan's heap; a thread's
// own stack it asks pthreads for.
//
// In other builds these functions do nothing and compile away.
// Threads: all are thread-safe.
#ifndef TANDEM_EXECUTORS_INTERNAL_ASAN_FIBER_STACKS_H_
#define TANDEM_EXECUTORS_INTERNAL_ASAN_FIBER_STACKS_H_

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define TANDEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TANDEM_ASAN 1
#endif
#endif

namespace tandem::executors_internal {

#if defined(TANDEM_ASAN)
// A stack of `size` bytes whose highest address is `top` (Boost's stack_context::sp) will run
// fibers. Clears any poison an earlier user of the memory left on it.
void RegisterFiberStack(void* top, size_t size);
// The stack is no longer used for fibers, and is about to be unmapped: clears the poison its
// fibers' frames left on it, which would otherwise stay on whatever is mapped there next (ASan
// reported absl's own allocations there as stack-use-after-scope).
void UnregisterFiberStack(void* top);
#else
inline void RegisterFiberStack(void*, size_t) {}
inline void UnregisterFiberStack(void*) {}
#endif

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_ASAN_FIBER_STACKS_H_
