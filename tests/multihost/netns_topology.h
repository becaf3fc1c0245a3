#pragma once
// NetnsTopology: a small network of "hosts" on this machine for multi-host
// tests. Each host is a network namespace with one veth interface (eth0)
// whose other end is a port of a bridge; the bridge lives in a namespace of
// its own (the "switch"), so the machine's own network is never touched.
//
//     switch ns:  br0 ── p-broker ┄┄ eth0 (10.77.0.1)  broker ns
//                     ── p-w1     ┄┄ eth0 (10.77.0.11) w1 ns
//                     ── ...
//
// Namespaces are named "jobqmh-<pid>-<n>-<host>": unique per process and per
// topology, so parallel runs do not clash. The destructor kills whatever
// still runs in them and deletes them, also when a test failed; a run that
// was killed leaves its namespaces behind, and the next topology created on
// the machine removes those whose <pid> is gone (or a zombie, or another
// program), with what still runs in them. Needs root and `ip`
// (iproute2). Not thread-safe.

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace jobq::testing {

// Why this process cannot make network namespaces (not root, no `ip`);
// empty when it may try. A failing `ip netns add` shows as a NetnsError
// from the NetnsTopology constructor.
std::string NetnsUnavailableReason();

class NetnsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class NetnsTopology {
 public:
  // Removes stale namespaces of killed runs, then creates the switch
  // namespace and its bridge. Throws NetnsError when `ip` fails.
  NetnsTopology();
  ~NetnsTopology();
  NetnsTopology(const NetnsTopology&) = delete;
  NetnsTopology& operator=(const NetnsTopology&) = delete;

  // A new host `name` (letters, digits; at most 10 characters) with
  // `address`/24 on its eth0 and loopback up, plugged into the switch.
  void AddHost(const std::string& name, const std::string& address);

  // `argv` run inside `host`'s namespace: ip netns exec NS argv... (ip
  // execs the program, so the pid of a process started with it is the
  // program's own).
  std::vector<std::string> Exec(const std::string& host,
                                const std::vector<std::string>& argv) const;

  // Pulls `host`'s cable out of the switch (its switch port down: nothing
  // passes either way, and no TCP reset is sent), and plugs it back.
  void CutLink(const std::string& host);
  void RestoreLink(const std::string& host);

  const std::string& Namespace(const std::string& host) const;
  // The namespace's file, for setns(2): /run/netns/NAME.
  std::string NamespacePath(const std::string& host) const;
  const std::string& Address(const std::string& host) const;

  // Runs `fn` on a thread that has entered `host`'s network namespace (the
  // test's own threads stay where they are), e.g. to open a TCP connection
  // to a port bound on the host's loopback. Exceptions propagate.
  template <typename Fn>
  auto InNamespace(const std::string& host, Fn fn) const;

  // Deletes namespaces "jobqmh-<pid>-..." whose process is gone, after
  // killing what still runs in them. Returns how many it deleted.
  static int RemoveStale();

 private:
  void RunInThread(const std::string& host, const std::function<void()>& fn) const;

  std::string prefix_;
  std::string switch_ns_;
  std::vector<std::string> namespaces_;  // created, in order
  std::map<std::string, std::string> namespace_of_;
  std::map<std::string, std::string> address_of_;
};

// GET http://127.0.0.1:PORT/PATH from inside `host`'s namespace (HTTP/1.0,
// no TLS); the body, or NetnsError when it cannot connect.
std::string HttpGetInHost(const NetnsTopology& topology, const std::string& host, int port,
                          const std::string& path);

template <typename Fn>
auto NetnsTopology::InNamespace(const std::string& host, Fn fn) const {
  using Result = decltype(fn());
  if constexpr (std::is_void_v<Result>) {
    RunInThread(host, fn);
  } else {
    Result result{};
    RunInThread(host, [&] { result = fn(); });
    return result;
  }
}

}  // namespace jobq::testing
