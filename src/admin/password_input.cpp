#include "admin/password_input.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <istream>

namespace tern::admin {

namespace {

Result<std::string> check_password(std::string password) {
  if (password.empty()) return make_error(Errc::invalid, "the password is empty");
  if (password.size() > 1024) return make_error(Errc::invalid, "the password is longer than 1024 octets");
  if (password.find('\0') != std::string::npos)
    return make_error(Errc::invalid, "the password contains a NUL byte");
  return password;
}

// Reads a line from the terminal descriptor with echo disabled.
Result<std::string> read_tty_line(int fd, const char* prompt) {
  (void)!::write(fd, prompt, std::char_traits<char>::length(prompt));
  termios saved{};
  bool restore = ::tcgetattr(fd, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n' && line.size() <= 1024) line += c;
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &saved);
  (void)!::write(fd, "\n", 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

Result<std::string> read_password_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return make_error(Errc::invalid, "no password on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return check_password(std::move(line));
}

Result<std::string> prompt_password() {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return make_error(Errc::invalid, "no terminal to ask for the password; use --password-stdin");
  auto first = read_tty_line(fd, "Password: ");
  auto second = read_tty_line(fd, "Repeat password: ");
  ::close(fd);
  if (!first || !second) return make_error(Errc::invalid, "could not read the password");
  if (*first != *second) return make_error(Errc::invalid, "the passwords do not match");
  return check_password(std::move(*first));
}

}  // namespace tern::admin
