// Completion token for coroutines that take errors as values:
// `auto [ec, n] = co_await socket.async_read_some(buffer, use_tuple);`
// (Asio 1.22 keeps as_tuple under experimental/.)
#pragma once

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace tern {

inline constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace tern
