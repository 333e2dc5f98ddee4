// inventory_client: restocks an item and reads its stock back.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "grpcpp/create_channel.h"
#include "inventory.tandem.h"
#include "tools/parse_flags.h"

ABSL_FLAG(std::string, target, "", "the server, HOST:PORT");
ABSL_FLAG(std::string, sku, "widget", "the item to restock");
ABSL_FLAG(int64_t, count, 1, "how many to add");

int main(int argc, char** argv) {
  tandem::ParseFlags(argc, argv, "Restocks an item on an Inventory server and reads it back.");
  if (absl::GetFlag(FLAGS_target).empty()) {
    std::fprintf(stderr, "inventory_client: --target=HOST:PORT is required\n");
    return 2;
  }
  inventory::InventoryTandem::Client client(
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  const auto options = tandem::CallOptions().set_timeout(absl::Seconds(5));

  inventory::Restock restock;
  restock.set_sku(absl::GetFlag(FLAGS_sku));
  restock.set_count(absl::GetFlag(FLAGS_count));
  absl::StatusOr<inventory::Stock> added = client.Add(restock, options);
  inventory::Item item;
  item.set_sku(restock.sku());
  absl::StatusOr<inventory::Stock> stock = added.ok() ? client.Get(item, options) : added;
  if (!stock.ok()) {
    std::fprintf(stderr, "inventory_client: %s\n", stock.status().ToString().c_str());
    return 1;
  }
  std::printf("%s: %lld in stock\n", stock->sku().c_str(), static_cast<long long>(stock->count()));
  return 0;
}
