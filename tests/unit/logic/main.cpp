// The DHCP lease indexes are DPDK rte_hash tables, so this executable brings up a minimal EAL
// (one lcore, ordinary pages, no devices, no shared files) before the tests run. Works without
// root; a failure to start it fails the run.
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::string prefix = "--file-prefix=bslogic" + std::to_string(getpid());
  std::vector<std::string> args = {
      argv[0], "-l",       "0",           "--no-huge",      "-m",
      "64",    "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=warning",
      prefix};
  std::vector<char*> eal;
  for (auto& a : args) eal.push_back(a.data());
  if (rte_eal_init(int(eal.size()), eal.data()) < 0) {
    std::fprintf(stderr, "FATAL: logic_tests cannot start DPDK's EAL (--no-huge): %s\n",
                 rte_strerror(rte_errno));
    return 1;
  }
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  std::error_code ec;
  std::filesystem::remove_all(runtime_dir, ec);  // ours alone: the prefix holds our pid
  return rc;
}
