// Implementation: one implementation of a service, named, as a value that sits in a list beside
// the others. The old class and its rewrite derive from the same generated FooTandem::Service<...>
// but are different types (ServerBuilder::RegisterService takes the concrete one), so the list
// holds how to make and register a fresh instance of each, not the classes:
//
//   auto connect = [](auto& greeter, tandem::testing::InProcessServer& server) {
//     greeter.ConnectClient(server.NewClient<GreeterTandem::Client>());
//   };
//   std::vector<tandem::testing::Implementation> greeters = {
//       Implementation::Of<GreeterService>("Greeter", connect),
//       Implementation::Of<CoroutineGreeterService>("CoroutineGreeter", connect),
//       Implementation::FromFactory("Sharded", [] { return std::make_unique<Sharded>(4); }),
//   };
//
// Every server started from an Implementation gets a fresh instance, made while the server is
// built, so no test sees state another test left behind. `on_started`, if given, gets the instance
// and its InProcessServer once the server serves, before InProcessServer::Start returns: the place
// to give the instance what needs the running server (a client of itself or of another server).
//
// Name: shown in test names ("CoroutineGreeter_Fibers"), so letters and digits only.
// Threads: an Implementation is a value, copied freely. register_fresh (so the factory) and
// on_started run on the thread that starts the server; servers started at once from one
// Implementation call them at once, which std::make_unique and a stateless lambda allow.
// Lifetime: the instance lives until its server has shut down and its executors have stopped.
#ifndef TANDEM_TESTING_IMPLEMENTATION_H_
#define TANDEM_TESTING_IMPLEMENTATION_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "server/server.h"
#include "server/service.h"

namespace tandem::testing {

class InProcessServer;

struct Implementation {
  // A fresh instance, registered on a builder. InProcessServer keeps it.
  struct Registered {
    std::shared_ptr<void> instance;  // kept until the server has shut down
    std::function<void(InProcessServer&)> on_started;  // null: nothing to do
  };

  // `Impl`, made by std::make_unique<Impl>(); then on_started(Impl&, InProcessServer&).
  template <class Impl>
  static Implementation Of(std::string name) {
    return FromFactory(std::move(name), [] { return std::make_unique<Impl>(); });
  }
  template <class Impl, class OnStarted>
  static Implementation Of(std::string name, OnStarted on_started) {
    return FromFactory(std::move(name), [] { return std::make_unique<Impl>(); },
                       std::move(on_started));
  }

  // Made by `make()`, which returns a std::unique_ptr or std::shared_ptr of a class derived from
  // a generated FooTandem::Service<Impl> (anything else fails to compile at RegisterService).
  template <class Factory>
  static Implementation FromFactory(std::string name, Factory make) {
    return FromFactory(std::move(name), std::move(make), nullptr);
  }
  template <class Factory, class OnStarted>
  static Implementation FromFactory(std::string name, Factory make, OnStarted on_started);

  // An instance the caller owns, for InProcessServer::Start(ServiceImpl*): every server started
  // from this registers the same instance, which must outlive them.
  template <class Impl>
  static Implementation Unowned(std::string name, Impl* instance) {
    return FromFactory(std::move(name), [instance] {
      return std::shared_ptr<Impl>(instance, [](Impl*) {});
    });
  }

  std::string name;
  // Makes a fresh instance and registers it on `builder` with `options`.
  std::function<Registered(ServerBuilder& builder, ServiceOptions options)> register_fresh;
};

template <class Factory, class OnStarted>
Implementation Implementation::FromFactory(std::string name, Factory make, OnStarted on_started) {
  using Made = std::invoke_result_t<const Factory&>;
  using Impl = typename Made::element_type;
  return Implementation{
      .name = std::move(name),
      .register_fresh = [make = std::move(make), on_started = std::move(on_started)](
                            ServerBuilder& builder, ServiceOptions options) -> Registered {
        std::shared_ptr<Impl> instance(make());
        builder.RegisterService(instance.get(), std::move(options));
        Registered registered{.instance = instance};
        if constexpr (!std::is_same_v<OnStarted, std::nullptr_t>) {
          registered.on_started = [impl = instance.get(), on_started](InProcessServer& server) {
            on_started(*impl, server);
          };
        }
        return registered;
      }};
}

}  // namespace tandem::testing

#endif  // TANDEM_TESTING_IMPLEMENTATION_H_
