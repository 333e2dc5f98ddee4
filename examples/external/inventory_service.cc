#include "inventory_service.h"

namespace inventory {

grpc::Status InventoryService::Add(tandem::ServerContext&, const Restock& request,
                                   Stock* reply) {
  if (request.sku().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "sku must not be empty");
  }
  absl::MutexLock lock(&mu_);
  reply->set_sku(request.sku());
  reply->set_count(counts_[request.sku()] += request.count());
  return grpc::Status::OK;
}

tandem::Task<grpc::Status> InventoryService::Get(tandem::ServerContext&, const Item& request,
                                                 Stock* reply) {
  absl::MutexLock lock(&mu_);  // held only briefly, never across a co_await
  auto known = counts_.find(request.sku());
  if (known == counts_.end()) {
    co_return grpc::Status(grpc::StatusCode::NOT_FOUND, "no item " + request.sku());
  }
  reply->set_sku(known->first);
  reply->set_count(known->second);
  co_return grpc::Status::OK;
}

}  // namespace inventory
