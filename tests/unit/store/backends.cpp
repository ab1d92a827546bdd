// The back ends the shared store suite runs against.
#include "store_test_support.hpp"

namespace tern::store::testing {

std::vector<BackendFactory> store_backends() {
  return {
      BackendFactory{"sqlite",
                     [](const std::string& location) -> Result<std::unique_ptr<Store>> {
                       return open_store(StoreOptions{.backend = "sqlite", .data_dir = location});
                     }},
  };
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(store_backends()),
                         [](const ::testing::TestParamInfo<BackendFactory>& info) { return info.param.name; });

}  // namespace tern::store::testing
