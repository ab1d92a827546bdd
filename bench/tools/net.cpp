#include "net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bench {

Endpoint parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("expected HOST:PORT, got " + text);
  return {text.substr(0, colon), std::stoi(text.substr(colon + 1))};
}

std::string source_address(std::size_t index) { return "127.0.1." + std::to_string(1 + index % 250); }

Conn::Conn(const Endpoint& endpoint, const std::string& source, int timeout_seconds) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw NetError(std::string("socket: ") + std::strerror(errno));
  timeval tv{timeout_seconds, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd_);
      throw NetError("bind " + source + ": " + std::strerror(errno));
    }
  }
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(static_cast<uint16_t>(endpoint.port));
  if (::inet_pton(AF_INET, endpoint.host.c_str(), &peer.sin_addr) != 1) {
    ::close(fd_);
    throw NetError("not an IPv4 address: " + endpoint.host);
  }
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
    int e = errno;
    ::close(fd_);
    throw NetError("connect " + endpoint.host + ":" + std::to_string(endpoint.port) + ": " + std::strerror(e));
  }
}

Conn::~Conn() {
  if (fd_ >= 0) ::close(fd_);
}

void Conn::send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw NetError(std::string("send: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool Conn::fill() {
  if (pos_ > 0 && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  std::size_t old = buffer_.size();
  buffer_.resize(old + 65536);
  ssize_t n;
  do {
    n = ::recv(fd_, buffer_.data() + old, 65536, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    buffer_.resize(old);
    if (n == 0) throw NetError("connection closed by the server");
    throw NetError(std::string("recv: ") + std::strerror(errno));
  }
  buffer_.resize(old + static_cast<std::size_t>(n));
  return true;
}

std::string_view Conn::line() {
  std::size_t scanned = pos_;
  for (;;) {
    auto nl = buffer_.find('\n', scanned);
    if (nl != std::string::npos) {
      std::size_t end = nl;
      if (end > pos_ && buffer_[end - 1] == '\r') --end;
      std::string_view out(buffer_.data() + pos_, end - pos_);
      pos_ = nl + 1;
      return out;
    }
    std::size_t offset = buffer_.size() - pos_;
    fill();
    scanned = pos_ + offset;
  }
}

std::string_view Conn::bytes(std::size_t n) {
  while (buffer_.size() - pos_ < n) fill();
  std::string_view out(buffer_.data() + pos_, n);
  pos_ += n;
  return out;
}

}  // namespace bench
