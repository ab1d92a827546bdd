// The Store interface's default implementations.
#include "store/store.hpp"

#include "mime/header.hpp"

namespace tern::store {

const char* dkim_key_state_name(DkimKeyState state) {
  switch (state) {
    case DkimKeyState::pending: return "pending";
    case DkimKeyState::active: return "active";
    case DkimKeyState::retired: return "retired";
  }
  return "?";
}

Task<std::vector<MessageForFetch>> Store::messages_for_fetch(std::vector<Id> message_ids, bool with_data) {
  std::vector<MessageForFetch> out;
  out.reserve(message_ids.size());
  for (Id id : message_ids) {
    MessageForFetch one;
    if (with_data) {
      auto loaded = co_await message_for_fetch(id);
      if (loaded) one = std::move(*loaded);
      else if (loaded.error().code != Errc::not_found) co_return std::move(loaded).error();
    } else {
      auto structure = co_await message_structure(id);
      if (structure) one.structure = std::move(*structure);
      else if (structure.error().code != Errc::not_found) co_return std::move(structure).error();
    }
    out.push_back(std::move(one));
  }
  co_return out;
}

Task<std::string> Store::read_message_part(Id message_id, std::uint64_t offset, std::size_t length) {
  auto data = co_await read_message(message_id);
  if (!data) co_return std::move(data).error();
  if (offset >= data->size()) co_return std::string();
  co_return data->substr(static_cast<std::size_t>(offset), length);
}

Task<std::vector<std::optional<std::string>>> Store::message_headers(std::vector<Id> message_ids) {
  std::vector<std::optional<std::string>> out;
  out.reserve(message_ids.size());
  for (Id id : message_ids) {
    auto data = co_await read_message(id);
    if (!data) {
      if (data.error().code != Errc::not_found) co_return std::move(data).error();
      out.emplace_back();
      continue;
    }
    // The same cut as the stored header_size (MessageMeta), from the bytes.
    data->resize(mime::header_size(*data));
    out.push_back(std::move(*data));
  }
  co_return out;
}

}  // namespace tern::store
