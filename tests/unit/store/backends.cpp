// The back ends the shared store suite runs against.
#include "store_test_support.hpp"

namespace tern::store::testing {

std::vector<BackendFactory> store_backends() {
  return {
      BackendFactory{"sqlite",
                     [](const std::string& location) -> Result<std::unique_ptr<Store>> {
                       StoreOptions options;
                       options.backend = "sqlite";
                       options.data_dir = location;
                       return open_store(options);
                     }},
  };
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(store_backends()),
                         [](const ::testing::TestParamInfo<BackendFactory>& param_info) { return param_info.param.name; });

}  // namespace tern::store::testing
