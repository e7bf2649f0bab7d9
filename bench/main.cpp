// bootstorm-bench: load generators for the appliance, and for any boot server.
//   storm   --interface IF --clients N --json FILE   a whole PXE boot storm
//   dhcp    --interface IF --rate R ...              perfdhcp-style DHCP exchanges
//   tftp    --dpdk VDEV --file NAME --local-copy PATH one file by many TFTP clients
//   compare a.json b.json --html report.html          storm runs side by side
#include <CLI/CLI.hpp>

#include "compare_cmd.hpp"
#include "dhcp_cmd.hpp"
#include "storm_cmd.hpp"
#include "tftp_cmd.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bootstorm-bench: boot-storm, DHCP and TFTP load generators"};
  app.require_subcommand(1);
  bs::bench::StormCommand storm;
  bs::bench::add_storm_command(app, storm);
  bs::bench::DhcpCommand dhcp;
  bs::bench::add_dhcp_command(app, dhcp);
  bs::bench::TftpCommand tftp;
  bs::bench::add_tftp_command(app, tftp);
  bs::bench::CompareCommand compare;
  bs::bench::add_compare_command(app, compare);
  CLI11_PARSE(app, argc, argv);
  if (app.got_subcommand("storm")) return bs::bench::run_storm(storm, argv[0]);
  if (app.got_subcommand("dhcp")) return bs::bench::run_dhcp(dhcp, argv[0]);
  if (app.got_subcommand("tftp")) return bs::bench::run_tftp(tftp, argv[0]);
  if (app.got_subcommand("compare")) return bs::bench::run_compare(compare);
  return 2;
}
