// RFC 8463 Appendix A: the RFC 8032 7.1 Ed25519 test key and the RFC 6376
// example message it signs, shared by the signing and verification tests.
#pragma once

#include <string_view>

namespace tern::dkim::example {

inline constexpr std::string_view secret = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
inline constexpr std::string_view public_key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
inline constexpr std::string_view header =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n";
inline constexpr std::string_view body = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";

}  // namespace tern::dkim::example
