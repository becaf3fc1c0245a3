#include "tests/multihost/netns_topology.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/support/process.h"

namespace jobq::testing {
namespace {

constexpr const char* kPrefix = "jobqmh-";

std::string IpBinary() {
  for (const char* candidate : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(candidate, X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

// Runs `ip ARGS...`; throws NetnsError with its stderr when it fails.
std::string Ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {IpBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult result = RunCommand(argv, "", std::chrono::seconds(20));
  if (result.exit_code != 0) {
    std::string command;
    for (const std::string& arg : argv) {
      command += (command.empty() ? "" : " ") + arg;
    }
    throw NetnsError(command + " failed (" + std::to_string(result.exit_code) + "): " + result.err);
  }
  return result.out;
}

// `ip` that may fail (cleanup): true when it worked.
bool TryIp(const std::vector<std::string>& args) {
  try {
    Ip(args);
    return true;
  } catch (const NetnsError&) {
    return false;
  }
}

std::vector<std::string> NamespaceNames() {
  std::vector<std::string> names;
  std::string out;
  try {
    out = Ip({"netns", "list"});
  } catch (const NetnsError&) {
    return names;
  }
  // "NAME" or "NAME (id: N)" per line.
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    if (fields >> name) {
      names.push_back(name);
    }
  }
  return names;
}

// SIGKILLs every process in namespace `name` (`ip netns pids`). Our own
// children among them are reaped by their Process objects.
void KillProcessesIn(const std::string& name) {
  std::string out;
  try {
    out = Ip({"netns", "pids", name});
  } catch (const NetnsError&) {
    return;
  }
  std::istringstream in(out);
  pid_t pid = 0;
  while (in >> pid) {
    if (pid > 1 && pid != ::getpid()) {
      ::kill(pid, SIGKILL);
    }
  }
}

void DeleteNamespace(const std::string& name) {
  KillProcessesIn(name);
  if (!TryIp({"netns", "del", name})) {
    std::cerr << "[ netns: could not delete " << name << " ]" << std::endl;
  }
}

// Whether the run that made namespaces "jobqmh-<pid>-..." still goes: its
// process is there, is not a zombie, and runs a program of our name (not
// an unrelated process that got the pid again).
bool OwnerAlive(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  const std::string stat = ReadFile(proc + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) {
    return false;
  }
  const char state = stat[paren + 2];
  if (state == 'Z' || state == 'X') {
    return false;
  }
  return ReadFile(proc + "/comm") == ReadFile("/proc/self/comm");
}

}  // namespace

std::string NetnsUnavailableReason() {
  if (::geteuid() != 0) {
    return "multi-host tests need root (they create network namespaces); run them as root: "
           "ctest --test-dir build -L multihost";
  }
  if (IpBinary().empty()) {
    return "multi-host tests need `ip` (Debian package iproute2)";
  }
  if (::access("/proc/self/ns/net", R_OK) != 0) {
    return "no network namespaces in this kernel";
  }
  return "";
}

int NetnsTopology::RemoveStale() {
  int removed = 0;
  for (const std::string& name : NamespaceNames()) {
    if (name.rfind(kPrefix, 0) != 0) {
      continue;
    }
    const std::string rest = name.substr(std::strlen(kPrefix));
    const size_t dash = rest.find('-');
    if (dash == std::string::npos || dash == 0) {
      continue;
    }
    pid_t owner = 0;
    try {
      owner = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    } catch (const std::exception&) {
      continue;
    }
    if (owner <= 0 || !OwnerAlive(owner)) {
      DeleteNamespace(name);
      ++removed;
    }
  }
  return removed;
}

NetnsTopology::NetnsTopology() {
  static std::atomic<int> topologies{0};
  const int removed = RemoveStale();
  if (removed > 0) {
    std::cerr << "[ netns: removed " << removed << " namespaces left by killed runs ]" << std::endl;
  }
  prefix_ = kPrefix + std::to_string(::getpid()) + "-" + std::to_string(topologies++) + "-";
  switch_ns_ = prefix_ + "switch";
  Ip({"netns", "add", switch_ns_});
  namespaces_.push_back(switch_ns_);
  try {
    Ip({"-n", switch_ns_, "link", "add", "br0", "type", "bridge"});
    Ip({"-n", switch_ns_, "link", "set", "br0", "up"});
  } catch (...) {
    for (const std::string& name : namespaces_) {
      DeleteNamespace(name);
    }
    throw;
  }
}

NetnsTopology::~NetnsTopology() {
  // Hosts first, then the switch (whose deletion takes the veth pairs).
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    DeleteNamespace(*it);
  }
}

void NetnsTopology::AddHost(const std::string& name, const std::string& address) {
  if (name.empty() || name.size() > 10 || namespace_of_.count(name) != 0) {
    throw NetnsError("bad or duplicate host name: " + name);
  }
  const std::string ns = prefix_ + name;
  const std::string port = "p-" + name;  // in the switch; at most 12 characters
  Ip({"netns", "add", ns});
  namespaces_.push_back(ns);
  namespace_of_[name] = ns;
  address_of_[name] = address;
  // Both ends are made inside namespaces: no interface ever appears in the
  // machine's own namespace, so names cannot clash with it or other runs.
  Ip({"-n", switch_ns_, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns});
  Ip({"-n", switch_ns_, "link", "set", port, "master", "br0"});
  Ip({"-n", switch_ns_, "link", "set", port, "up"});
  Ip({"-n", ns, "addr", "add", address + "/24", "dev", "eth0"});
  Ip({"-n", ns, "link", "set", "eth0", "up"});
  Ip({"-n", ns, "link", "set", "lo", "up"});
}

std::vector<std::string> NetnsTopology::Exec(const std::string& host,
                                             const std::vector<std::string>& argv) const {
  std::vector<std::string> out = {IpBinary(), "netns", "exec", Namespace(host)};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void NetnsTopology::CutLink(const std::string& host) {
  Ip({"-n", switch_ns_, "link", "set", "p-" + host, "down"});
}

void NetnsTopology::RestoreLink(const std::string& host) {
  Ip({"-n", switch_ns_, "link", "set", "p-" + host, "up"});
}

const std::string& NetnsTopology::Namespace(const std::string& host) const {
  auto it = namespace_of_.find(host);
  if (it == namespace_of_.end()) {
    throw NetnsError("no host " + host);
  }
  return it->second;
}

std::string NetnsTopology::NamespacePath(const std::string& host) const {
  return "/run/netns/" + Namespace(host);
}

const std::string& NetnsTopology::Address(const std::string& host) const {
  auto it = address_of_.find(host);
  if (it == address_of_.end()) {
    throw NetnsError("no host " + host);
  }
  return it->second;
}

void NetnsTopology::RunInThread(const std::string& host, const std::function<void()>& fn) const {
  const std::string path = NamespacePath(host);
  std::exception_ptr error;
  std::thread thread([&] {
    try {
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        throw NetnsError("cannot open " + path + ": " + std::strerror(errno));
      }
      const int rc = ::setns(fd, CLONE_NEWNET);
      const int setns_errno = errno;
      ::close(fd);
      if (rc != 0) {
        throw NetnsError("setns " + path + ": " + std::strerror(setns_errno));
      }
      fn();
    } catch (...) {
      error = std::current_exception();
    }
  });
  thread.join();
  if (error) {
    std::rethrow_exception(error);
  }
}

std::string HttpGetInHost(const NetnsTopology& topology, const std::string& host, int port,
                          const std::string& path) {
  return topology.InNamespace(host, [&]() -> std::string {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw NetnsError(std::string("socket: ") + std::strerror(errno));
    }
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    timeval timeout{};
    timeout.tv_sec = 5;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      throw NetnsError("connect 127.0.0.1:" + std::to_string(port) + " in " + host + ": " +
                       std::strerror(errno));
    }
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      throw NetnsError(std::string("send: ") + std::strerror(errno));
    }
    std::string response;
    char buffer[8192];
    while (true) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n < 0) {
        throw NetnsError(std::string("recv: ") + std::strerror(errno));
      }
      if (n == 0) {
        break;
      }
      response.append(buffer, static_cast<size_t>(n));
    }
    const size_t body = response.find("\r\n\r\n");
    if (response.rfind("HTTP/1.", 0) != 0 || body == std::string::npos ||
        response.find(" 200 ") > response.find("\r\n")) {
      throw NetnsError("GET " + path + ": " + response.substr(0, 200));
    }
    return response.substr(body + 4);
  });
}

}  // namespace jobq::testing
