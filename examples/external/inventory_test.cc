// The Inventory service through a real Tandem server and client, built against @tandem.
#include <memory>

#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "inventory_service.h"
#include "server/server.h"

namespace inventory {
namespace {

class InventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tandem::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0").RegisterService(&service_);
    absl::StatusOr<std::unique_ptr<tandem::Server>> server = builder.BuildAndStart();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<InventoryTandem::Client>(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }

  static tandem::CallOptions Options() {
    return tandem::CallOptions().set_timeout(absl::Seconds(20));
  }

  InventoryService service_;
  std::unique_ptr<tandem::Server> server_;
  std::unique_ptr<InventoryTandem::Client> client_;
};

TEST_F(InventoryTest, AddedStockIsReadBackByTheCoroutineHandler) {
  Restock restock;
  restock.set_sku("widget");
  restock.set_count(3);
  ASSERT_TRUE(client_->Add(restock, Options()).ok());
  absl::StatusOr<Stock> stock = client_->Add(restock, Options());
  ASSERT_TRUE(stock.ok()) << stock.status();
  EXPECT_EQ(stock->count(), 6);

  Item item;
  item.set_sku("widget");
  stock = client_->Get(item, Options());
  ASSERT_TRUE(stock.ok()) << stock.status();
  EXPECT_EQ(stock->count(), 6);
}

TEST_F(InventoryTest, AnUnknownItemIsNotFound) {
  Item item;
  item.set_sku("gadget");
  EXPECT_EQ(client_->Get(item, Options()).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(InventoryTest, AnEmptySkuIsRefused) {
  EXPECT_EQ(client_->Add(Restock(), Options()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inventory
