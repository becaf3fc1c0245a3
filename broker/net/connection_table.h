#pragma once
// ConnectionTable: the connections one ROUTER socket holds, as its socket
// monitor reports them (accepted, disconnected; each by its file
// descriptor), and which of them are over --connections-max and must be
// cut. libzmq reads a message into a buffer of the size its first bytes
// announce, so each connection can hold up to --message-max of an
// unfinished message; bounding the connections bounds that memory.
//
// Pure bookkeeping, fed by SocketWatch; not thread-safe.

#include <cstddef>
#include <cstdint>
#include <unordered_set>

namespace jobq::broker::net {

class ConnectionTable {
 public:
  // `max` >= 1 connections are admitted at once.
  explicit ConnectionTable(size_t max) : max_(max) {}

  // A connection accepted on `fd`. False when it is over the bound: the
  // caller cuts it, and it is not counted.
  bool Accepted(int fd);
  // The connection on `fd` is gone (its descriptor may be reused next).
  void Disconnected(int fd);

  // Refused and not yet reported gone: cutting `fd` is still meant for it.
  bool IsCut(int fd) const { return cut_.count(fd) > 0; }
  size_t admitted() const { return admitted_.size(); }
  size_t cut_open() const { return cut_.size(); }  // cut, not yet reported gone
  uint64_t cut_total() const { return cut_total_; }

 private:
  const size_t max_;
  std::unordered_set<int> admitted_;
  std::unordered_set<int> cut_;
  uint64_t cut_total_ = 0;
};

}  // namespace jobq::broker::net
