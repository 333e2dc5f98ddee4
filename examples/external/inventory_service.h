// InventoryService: stock counts by SKU, kept in memory. Add is a blocking handler (on the
// server's thread pool), Get a coroutine (on its coroutine loop): one service, two styles.
// Threads: handlers may run concurrently; the counts are guarded by a mutex.
#ifndef INVENTORY_SERVICE_H_
#define INVENTORY_SERVICE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "inventory.tandem.h"

namespace inventory {

class InventoryService final : public InventoryTandem::Service<InventoryService> {
 public:
  grpc::Status Add(tandem::ServerContext& context, const Restock& request, Stock* reply)
      ABSL_LOCKS_EXCLUDED(mu_);
  tandem::Task<grpc::Status> Get(tandem::ServerContext& context, const Item& request,
                                 Stock* reply) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  std::map<std::string, int64_t> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inventory

#endif  // INVENTORY_SERVICE_H_
