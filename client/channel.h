// CreateChannel: a gRPC channel for Tandem's generated clients, with the settings a service
// running in several processes needs: client-side load balancing over every address a target
// names, HTTP/2 keepalive that notices a server gone silent, and quick reconnection.
//
//   // Three processes on one host, calls spread over them:
//   auto channel = tandem::CreateChannel(tandem::AddressListTarget({"10.0.0.1:50051",
//                                                                   "10.0.0.2:50051"}));
//   // Every address a DNS name resolves to (gRPC re-resolves when a connection drops):
//   auto channel = tandem::CreateChannel("dns:///greeter.internal:50051");
//   GreeterTandem::Client client(channel);
//
// All of it is gRPC's own machinery (its resolvers, its round_robin policy, its keepalive), set
// through channel arguments; nothing here routes calls.
// Threads: any thread; the channel is gRPC's and thread-safe.
#ifndef TANDEM_CLIENT_CHANNEL_H_
#define TANDEM_CLIENT_CHANNEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace tandem {

struct ChannelOptions {
  // Insecure when null; see security/tls_credentials.h for TLS.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // gRPC's load-balancing policy: "round_robin" spreads calls over every address of the
  // target, "pick_first" sends them all to the first that answers (gRPC's default).
  std::string load_balancing_policy = "round_robin";
  // Keepalive: a connection with calls in flight and nothing received for `keepalive_time` gets
  // a ping; no answer within `keepalive_timeout` closes it, and its calls end UNAVAILABLE at
  // once rather than at their deadlines. Tandem servers accept pings every 10 s; servers of
  // other gRPC stacks by default every 5 minutes, and close connections that ping more often
  // ("too_many_pings"): raise keepalive_time for those. absl::InfiniteDuration(): no pings.
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // Waits between attempts to reconnect to an address, growing from the first to the most.
  // gRPC's defaults are 1 s and 120 s: a restarted server could wait two minutes for traffic.
  absl::Duration initial_reconnect_backoff = absl::Seconds(1);
  absl::Duration max_reconnect_backoff = absl::Seconds(10);
  // The name to check the server's TLS certificate against, if not the target's host.
  std::string tls_server_name;
};

// The channel arguments `options` stands for, for code that builds channels itself.
grpc::ChannelArguments ChannelArgumentsFor(const ChannelOptions& options);

// A channel to `target`: "host:port", "dns:///host:port", "ipv4:a:p,b:p" (AddressListTarget),
// or any other target gRPC resolves.
std::shared_ptr<grpc::Channel> CreateChannel(const std::string& target,
                                             const ChannelOptions& options = {});

// The gRPC target naming each of `addresses` ("host:port" with an IP address, IPv4 or IPv6 in
// brackets; all of one family), for a channel that spreads calls over all of them.
std::string AddressListTarget(const std::vector<std::string>& addresses);

}  // namespace tandem

#endif  // TANDEM_CLIENT_CHANNEL_H_
