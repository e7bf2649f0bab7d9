// Tier 2 entry point: the EAL is initialised once per process, before any test runs, so this
// executable has its own main() (gtest without gtest_main).
#include <gtest/gtest.h>
#include <rte_eal.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "harness.hpp"

namespace {

// The EAL leaves its runtime directory (<run>/dpdk/<file-prefix>) behind; ours is unique to this
// process, so remove it.
void remove_runtime_dir(const std::string& dir) {
  if (std::filesystem::path(dir).filename().string().starts_with("bsdptest")) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::string error;
  bool up = bs::test::init_world(argv[0], &error);
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  if (!up) {
    // A failure, never a skip: CI runs this as root, where the EAL must come up.
    std::fprintf(stderr,
                 "FATAL: dataplane_test cannot set up DPDK in-process: %s\n"
                 "(needs the EAL with --no-huge --no-shconf, io_uring and the net_ring PMD)\n",
                 error.c_str());
    remove_runtime_dir(runtime_dir);
    return 1;
  }
  int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  remove_runtime_dir(runtime_dir);
  return rc;
}
