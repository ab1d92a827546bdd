// Blocking TCP client connections with a buffered reader, shared by the load
// generators. Every read and write has a timeout; a failure throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bench {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string host;
  int port = 0;
};

// "HOST:PORT" (IPv4 literal).
Endpoint parse_endpoint(const std::string& text);

// The loopback source address of client number `index`: 127.0.1.1 ..
// 127.0.1.250, so that per-address limits (login throttles, per-IP
// connection caps) see many clients, as a real server would.
std::string source_address(std::size_t index);

struct NetError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Conn {
 public:
  Conn(const Endpoint& endpoint, const std::string& source = {}, int timeout_seconds = 60);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void send(std::string_view data);
  // The next line without its CRLF (or LF). Valid until the next read.
  std::string_view line();
  // Exactly n bytes. Valid until the next read.
  std::string_view bytes(std::size_t n);
  int fd() const { return fd_; }

 private:
  bool fill();
  int fd_ = -1;
  std::string buffer_;
  std::size_t pos_ = 0;
};

// Milliseconds between two time points, as a double.
inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace bench
