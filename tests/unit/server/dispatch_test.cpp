// The server's refusal of a connection it has no slot for: each protocol's
// own words (RFC 5321 3.1 421, RFC 3206 [SYS/TEMP], RFC 9051 BYE
// [UNAVAILABLE]) instead of a greeting, and nothing on TLS-first listeners,
// whose clients expect a handshake first.
#include "server/dispatch.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "net/memory.hpp"

namespace tern::server {
namespace {

std::string refusal(Protocol protocol) {
  asio::io_context io;
  auto connection = std::make_shared<net::MemoryConnection>(io.get_executor());
  asio::co_spawn(io, refuse_busy(protocol, *connection), asio::detached);
  io.run();
  return connection->take_output();
}

TEST(RefuseBusy, EachProtocolSaysItInItsOwnWords) {
  EXPECT_EQ(refusal(Protocol::smtp), "421 4.7.0 Too many connections, try again later\r\n");
  EXPECT_EQ(refusal(Protocol::submission), "421 4.7.0 Too many connections, try again later\r\n");
  EXPECT_EQ(refusal(Protocol::pop3), "-ERR [SYS/TEMP] too many connections\r\n");
  EXPECT_EQ(refusal(Protocol::imap), "* BYE [UNAVAILABLE] too many connections, try again later\r\n");
}

TEST(RefuseBusy, TlsFirstListenersAreClosedWithoutAWord) {
  EXPECT_EQ(refusal(Protocol::submissions), "");
  EXPECT_EQ(refusal(Protocol::pop3s), "");
  EXPECT_EQ(refusal(Protocol::imaps), "");
}

TEST(Dispatch, EveryConfigurableProtocolIsServed) {
  for (auto p : {Protocol::smtp, Protocol::submission, Protocol::submissions, Protocol::pop3, Protocol::pop3s,
                 Protocol::imap, Protocol::imaps})
    EXPECT_TRUE(protocol_available(p)) << protocol_name(p);
}

}  // namespace
}  // namespace tern::server
