#pragma once
// WatcherList: the clients waiting for a job's outcome, as a vector of
// routing ids that takes one pointer in the Job until someone watches. Most
// jobs have one watcher or none, and a Job is kept for every job the broker
// holds: the 16 bytes saved put a job's node in a smaller allocation class
// (docs/benchmarks.md). Not thread-safe.

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace jobq::broker::core {

class WatcherList {
 public:
  using const_iterator = std::vector<std::string>::const_iterator;

  WatcherList() = default;
  WatcherList(std::initializer_list<std::string> clients) { *this = clients; }
  WatcherList(const WatcherList& other) { *this = other; }
  WatcherList(WatcherList&&) noexcept = default;
  WatcherList& operator=(const WatcherList& other) {
    if (this != &other) {
      clients_ =
          other.empty() ? nullptr : std::make_unique<std::vector<std::string>>(*other.clients_);
    }
    return *this;
  }
  WatcherList& operator=(WatcherList&&) noexcept = default;
  WatcherList& operator=(std::initializer_list<std::string> clients) {
    clients_ = clients.size() == 0 ? nullptr : std::make_unique<std::vector<std::string>>(clients);
    return *this;
  }

  void push_back(std::string client) {
    if (clients_ == nullptr) {
      clients_ = std::make_unique<std::vector<std::string>>();
    }
    clients_->push_back(std::move(client));
  }
  bool empty() const { return clients_ == nullptr || clients_->empty(); }
  size_t size() const { return clients_ == nullptr ? 0 : clients_->size(); }
  const_iterator begin() const {
    return clients_ == nullptr ? const_iterator() : clients_->cbegin();
  }
  const_iterator end() const { return clients_ == nullptr ? const_iterator() : clients_->cend(); }
  // Frees the list, not just its entries.
  void clear() { clients_.reset(); }

 private:
  std::unique_ptr<std::vector<std::string>> clients_;
};

}  // namespace jobq::broker::core
