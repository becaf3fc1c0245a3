#include "broker/http/tls_front.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace jobq::broker::http {
namespace {

// How often a relay looks at the stop flag while nothing moves.
constexpr int kPollMs = 200;

void SetTimeouts(int fd, int timeout_ms) {
  timeval timeout{};
  timeout.tv_sec = timeout_ms / 1000;
  timeout.tv_usec = (timeout_ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);
    if (sent <= 0) {
      return false;
    }
    data += sent;
    size -= static_cast<size_t>(sent);
  }
  return true;
}

bool SslWriteAll(SSL* ssl, const char* data, size_t size) {
  while (size > 0) {
    const int written = SSL_write(ssl, data, static_cast<int>(size));
    if (written <= 0) {
      return false;
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

}  // namespace

TlsFront::~TlsFront() { Stop(); }

absl::Status TlsFront::Start(const std::string& address, const std::string& cert_path,
                             const std::string& key_path, int plain_port, size_t connections_max,
                             int timeout_ms) {
  plain_port_ = plain_port;
  connections_max_ = connections_max;
  timeout_ms_ = timeout_ms;
  context_ = SSL_CTX_new(TLS_server_method());
  if (context_ == nullptr) {
    return absl::InternalError("OpenSSL cannot make a TLS context");
  }
  SSL_CTX_set_min_proto_version(context_, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(context_, cert_path.c_str()) != 1) {
    return absl::InvalidArgumentError("--admin-tls-cert " + cert_path +
                                      ": not a readable PEM certificate chain");
  }
  if (SSL_CTX_use_PrivateKey_file(context_, key_path.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(context_) != 1) {
    return absl::InvalidArgumentError("--admin-tls-key " + key_path +
                                      " is not the private key of --admin-tls-cert " + cert_path);
  }
  const size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = address.substr(colon + 1);
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return absl::InvalidArgumentError("--http address \"" + address +
                                      "\": HOST must be an IP address, PORT a number");
  }
  listener_ = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int yes = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  const bool bound = listener_ >= 0 && bind(listener_, found->ai_addr, found->ai_addrlen) == 0 &&
                     listen(listener_, 64) == 0;
  freeaddrinfo(found);
  if (!bound) {
    const std::string why = std::strerror(errno);
    Stop();
    return absl::UnavailableError("cannot serve --http on " + address + ": " + why);
  }
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  getsockname(listener_, reinterpret_cast<sockaddr*>(&local), &length);
  const int bound_port = local.ss_family == AF_INET6
                             ? ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port)
                             : ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  bound_address_ = address.substr(0, colon) + ":" + std::to_string(bound_port);
  acceptor_ = std::thread([this] { Accept(); });
  return absl::OkStatus();
}

void TlsFront::Accept() {
  while (!stopping_.load()) {
    pollfd listening{listener_, POLLIN, 0};
    if (poll(&listening, 1, kPollMs) <= 0) {
      continue;
    }
    const int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      continue;
    }
    std::lock_guard lock(mutex_);
    JoinFinished();
    if (active_ >= connections_max_) {
      close(client);  // over the bound: refused at once
      continue;
    }
    ++active_;
    relays_.emplace_back([this, client] { Relay(client); });
  }
}

void TlsFront::Relay(int client) {
  SetTimeouts(client, timeout_ms_);
  SSL* ssl = SSL_new(context_);
  int plain = -1;
  if (ssl != nullptr && SSL_set_fd(ssl, client) == 1 && SSL_accept(ssl) == 1) {
    plain = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in backend{};
    backend.sin_family = AF_INET;
    backend.sin_port = htons(static_cast<uint16_t>(plain_port_));
    backend.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (plain >= 0 && connect(plain, reinterpret_cast<sockaddr*>(&backend), sizeof(backend)) != 0) {
      close(plain);
      plain = -1;
    }
  }
  if (plain >= 0) {
    SetTimeouts(plain, timeout_ms_);
    char buffer[16 * 1024];
    bool open = true;
    while (open && !stopping_.load()) {
      pollfd fds[2] = {{client, POLLIN, 0}, {plain, POLLIN, 0}};
      // Bytes OpenSSL already decrypted are not on the socket any more.
      const bool pending = SSL_pending(ssl) > 0;
      if (!pending && poll(fds, 2, kPollMs) <= 0) {
        continue;
      }
      if (pending || (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const int got = SSL_read(ssl, buffer, sizeof(buffer));
        open = got > 0 && SendAll(plain, buffer, static_cast<size_t>(got));
      }
      if (open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t got = recv(plain, buffer, sizeof(buffer), 0);
        open = got > 0 && SslWriteAll(ssl, buffer, static_cast<size_t>(got));
      }
    }
    SSL_shutdown(ssl);
    close(plain);
  }
  ERR_clear_error();  // OpenSSL's error queue is per thread: leave it empty
  if (ssl != nullptr) {
    SSL_free(ssl);
  }
  close(client);
  std::lock_guard lock(mutex_);
  --active_;
  finished_.push_back(std::this_thread::get_id());
}

void TlsFront::JoinFinished() {
  for (const std::thread::id& id : finished_) {
    for (auto relay = relays_.begin(); relay != relays_.end(); ++relay) {
      if (relay->get_id() == id) {
        relay->join();  // it has returned, or is returning from Relay
        relays_.erase(relay);
        break;
      }
    }
  }
  finished_.clear();
}

void TlsFront::Stop() {
  stopping_.store(true);
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  std::list<std::thread> relays;
  {
    std::lock_guard lock(mutex_);
    relays.swap(relays_);
    finished_.clear();
  }
  for (std::thread& relay : relays) {
    relay.join();
  }
  if (listener_ >= 0) {
    close(listener_);
    listener_ = -1;
  }
  if (context_ != nullptr) {
    SSL_CTX_free(context_);
    context_ = nullptr;
  }
}

}  // namespace jobq::broker::http
