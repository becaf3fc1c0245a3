#include "broker/net/connection_table.h"

namespace jobq::broker::net {

bool ConnectionTable::Accepted(int fd) {
  // The monitor reports every disconnect before the descriptor can be
  // reused, so a known `fd` here means an event was lost: the old entry
  // is stale either way.
  Disconnected(fd);
  if (admitted_.size() >= max_) {
    cut_.insert(fd);
    ++cut_total_;
    return false;
  }
  admitted_.insert(fd);
  return true;
}

void ConnectionTable::Disconnected(int fd) {
  if (admitted_.erase(fd) == 0) {
    cut_.erase(fd);
  }
}

}  // namespace jobq::broker::net
