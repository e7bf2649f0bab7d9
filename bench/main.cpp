// bootstorm-bench: load generators for the appliance.
//   tftp --dpdk VDEV --file NAME --local-copy PATH ...   simulated TFTP clients over DPDK
// (dhcp and whole boot storms come later; bench/dhcp-perfdhcp.sh drives perfdhcp meanwhile).
#include <CLI/CLI.hpp>

#include "tftp_cmd.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bootstorm-bench: load generators for bootstorm"};
  app.require_subcommand(1);
  bs::bench::TftpCommand tftp;
  bs::bench::add_tftp_command(app, tftp);
  CLI11_PARSE(app, argc, argv);
  if (app.got_subcommand("tftp")) return bs::bench::run_tftp(tftp, argv[0]);
  return 2;
}
