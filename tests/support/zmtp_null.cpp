#include "tests/support/zmtp_null.h"

#include <sys/socket.h>

#include <cstdint>

namespace jobq::testing {

bool SendAll(int fd, std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t sent = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (sent <= 0) {
      return false;
    }
    done += static_cast<size_t>(sent);
  }
  return true;
}

bool ReceiveExactly(int fd, size_t count, std::string* bytes) {
  std::string buffer(count, '\0');
  size_t done = 0;
  while (done < count) {
    const ssize_t got = recv(fd, buffer.data() + done, count - done, 0);
    if (got <= 0) {
      return false;
    }
    done += static_cast<size_t>(got);
  }
  if (bytes != nullptr) {
    *bytes = std::move(buffer);
  }
  return true;
}

bool ZmtpNullHandshake(int fd, std::string_view socket_type) {
  std::string greeting(64, '\0');
  greeting[0] = '\xff';
  greeting[9] = '\x7f';
  greeting[10] = 3;  // version 3.0
  greeting.replace(12, 4, "NULL");
  std::string ready = std::string("\x05READY") + "\x0bSocket-Type";
  ready += std::string("\0\0\0", 3) + static_cast<char>(socket_type.size());
  ready += socket_type;
  ready.insert(0, 1, static_cast<char>(ready.size()));
  ready.insert(0, 1, '\x04');  // a short command frame
  if (!SendAll(fd, greeting) || !SendAll(fd, ready) || !ReceiveExactly(fd, 64)) {
    return false;
  }
  std::string header;
  if (!ReceiveExactly(fd, 2, &header)) {
    return false;
  }
  return ReceiveExactly(fd, static_cast<uint8_t>(header[1]));  // the peer's READY body
}

}  // namespace jobq::testing
