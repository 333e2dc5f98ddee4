#include "executors/internal/asan_fiber_stacks.h"

#if defined(TANDEM_ASAN)

#include <dlfcn.h>
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "boost/context/detail/fcontext.hpp"
#include "sanitizer/asan_interface.h"
#include "sanitizer/common_interface_defs.h"

namespace tandem::executors_internal {
namespace {

struct StackBounds {
  const void* bottom = nullptr;
  size_t size = 0;

  bool Contains(const void* address) const {
    const auto a = reinterpret_cast<uintptr_t>(address);
    const auto b = reinterpret_cast<uintptr_t>(bottom);
    return a >= b && a < b + size;
  }
};

// The fiber stacks Tandem maps, by their highest address.
class FiberStackRegistry {
 public:
  void Add(void* top, size_t size) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    stacks_[reinterpret_cast<uintptr_t>(top)] = size;
  }

  // Returns the stack's size; 0 for a stack never added.
  size_t Remove(void* top) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    const auto stack = stacks_.find(reinterpret_cast<uintptr_t>(top));
    if (stack == stacks_.end()) return 0;
    const size_t size = stack->second;
    stacks_.erase(stack);
    return size;
  }

  bool Find(const void* address, StackBounds* bounds) const ABSL_LOCKS_EXCLUDED(mu_) {
    const auto a = reinterpret_cast<uintptr_t>(address);
    absl::MutexLock lock(&mu_);
    const auto above = stacks_.upper_bound(a);
    if (above == stacks_.end() || above->first - above->second > a) return false;
    *bounds = {reinterpret_cast<const void*>(above->first - above->second), above->second};
    return true;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<uintptr_t, size_t> stacks_ ABSL_GUARDED_BY(mu_);
};

FiberStackRegistry& Registry() {
  // Never destroyed: fibers may still switch after main returns.
  static auto* const registry = new FiberStackRegistry;
  return *registry;
}

// Per-thread state is read through these non-inlined functions, never cached in a caller: a fiber
// that switches out on one thread may be switched back in on another, and an address taken before
// the switch would be the old thread's. The empty asm keeps the compiler from treating them as
// pure functions whose result it may reuse.
__attribute__((noinline)) bool* SwitchPendingOnThisThread() {
  static thread_local bool pending = false;
  asm volatile("");
  return &pending;
}

__attribute__((noinline)) StackBounds ThisThreadsOwnStack() {
  static thread_local StackBounds bounds = [] {
    StackBounds result;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* bottom = nullptr;
      size_t size = 0;
      if (pthread_attr_getstack(&attr, &bottom, &size) == 0) result = {bottom, size};
      pthread_attr_destroy(&attr);
    }
    return result;
  }();
  asm volatile("");
  return bounds;
}

// The stack that `address` (a saved context, which lies on its stack) belongs to.
StackBounds StackContaining(const void* address) {
  StackBounds bounds;
  if (Registry().Find(address, &bounds)) return bounds;
  bounds = ThisThreadsOwnStack();
  if (bounds.Contains(address)) return bounds;
  // Boost.Fiber's per-thread dispatcher runs on a stack it allocates with malloc.
  void* chunk = nullptr;
  size_t chunk_size = 0;
  char name[1];
  const char* kind = __asan_locate_address(const_cast<void*>(address), name, sizeof(name), &chunk,
                                           &chunk_size);
  if (kind != nullptr && std::strcmp(kind, "heap") == 0) return {chunk, chunk_size};
  std::fprintf(stderr, "tandem: ASan cannot tell which stack %p is on; reports may be wrong\n",
               address);
  return {};
}

// Called on the stack being left, just before the switch.
void BeginSwitch(const void* to, void** fake_stack) {
  bool* pending = SwitchPendingOnThisThread();
  // A context's first run starts inside Boost (fiber_entry), not in a switch function that
  // returns, so nobody finished the switch that started it: its own first switch does.
  if (*pending) __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
  const StackBounds target = StackContaining(to);
  *pending = true;
  __sanitizer_start_switch_fiber(fake_stack, target.bottom, target.size);
}

// Called on the stack switched back to, just after the switch (possibly on another thread).
void EndSwitch(void* fake_stack) {
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
  *SwitchPendingOnThisThread() = false;
}

template <class Fn>
Fn BoostContextFunction(const char* name) {
  void* const fn = dlsym(RTLD_NEXT, name);
  if (fn == nullptr) {
    std::fprintf(stderr, "tandem: %s not found after Tandem's own; is Boost.Context linked?\n",
                 name);
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

}  // namespace

void RegisterFiberStack(void* top, size_t size) {
  __asan_unpoison_memory_region(static_cast<char*>(top) - size, size);
  Registry().Add(top, size);
}

void UnregisterFiberStack(void* top) {
  const size_t size = Registry().Remove(top);
  __asan_unpoison_memory_region(static_cast<char*>(top) - size, size);
}

}  // namespace tandem::executors_internal

// Boost.Context's switch functions, taken over: the dynamic linker binds libboost_fiber's calls
// (and those of Boost's templates compiled into Tandem) to these, which announce the switch to
// ASan and pass it on to Boost's own, found after this one in the lookup order.
namespace boost::context::detail {

extern "C" transfer_t jump_fcontext(fcontext_t const to, void* vp) {
  using Jump = transfer_t (*)(fcontext_t, void*);
  static const Jump boost_jump = tandem::executors_internal::BoostContextFunction<Jump>(
      "jump_fcontext");
  void* fake_stack = nullptr;
  tandem::executors_internal::BeginSwitch(to, &fake_stack);
  const transfer_t back = boost_jump(to, vp);
  tandem::executors_internal::EndSwitch(fake_stack);
  return back;
}

extern "C" transfer_t ontop_fcontext(fcontext_t const to, void* vp, transfer_t (*fn)(transfer_t)) {
  using Ontop = transfer_t (*)(fcontext_t, void*, transfer_t (*)(transfer_t));
  static const Ontop boost_ontop = tandem::executors_internal::BoostContextFunction<Ontop>(
      "ontop_fcontext");
  void* fake_stack = nullptr;
  tandem::executors_internal::BeginSwitch(to, &fake_stack);
  const transfer_t back = boost_ontop(to, vp, fn);
  tandem::executors_internal::EndSwitch(fake_stack);
  return back;
}

}  // namespace boost::context::detail

#endif  // TANDEM_ASAN
