#include "pcap_frames.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

namespace bs::test {

std::string data_path(const std::string& name) {
  if (const char* dir = std::getenv("BS_TEST_DATA_DIR")) return std::string(dir) + "/" + name;
  return std::string(BS_TEST_DATA_DIR) + "/" + name;
}

std::vector<Frame> read_pcap(const std::string& name) {
  std::vector<Frame> frames;
  char err[PCAP_ERRBUF_SIZE] = {};
  const std::string path = data_path(name);
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (!p) {
    ADD_FAILURE() << "pcap_open_offline(" << path << "): " << err;
    return frames;
  }
  if (pcap_datalink(p) != DLT_EN10MB) ADD_FAILURE() << path << ": not an Ethernet capture";
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    if (h->caplen != h->len) ADD_FAILURE() << path << ": frame truncated by the snap length";
    frames.emplace_back(data, data + h->caplen);
  }
  if (rc != PCAP_ERROR_BREAK) ADD_FAILURE() << path << ": " << pcap_geterr(p);
  pcap_close(p);
  return frames;
}

}  // namespace bs::test
