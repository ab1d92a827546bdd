// open_store: picks the back end named in the configuration.
#include <fmt/format.h>

#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace tern::store {

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  if (options.backend == "sqlite") {
    auto opened = sqlite::SqliteStore::open(
        sqlite::SqliteOptions{.data_dir = options.data_dir, .reader_threads = options.reader_threads});
    if (!opened) return std::move(opened).error();
    return std::unique_ptr<Store>(std::move(opened).value());
  }
  if (options.backend == "postgres") {
    return make_error(Errc::invalid, "the postgres store back end is not built in yet; use backend = \"sqlite\"");
  }
  return make_error(Errc::invalid,
                    fmt::format("unknown store back end \"{}\" (expected \"sqlite\" or \"postgres\")", options.backend));
}

}  // namespace tern::store
