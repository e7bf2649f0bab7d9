// Reads every frame of a capture under tests/data/ through libpcap, for the codec tests.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bs::test {

using Frame = std::vector<uint8_t>;

// Path of a file under tests/data/ (absolute, so the test runs from any working directory).
std::string data_path(const std::string& name);

// All frames of the capture; fails the calling test (ADD_FAILURE) and returns {} on error.
std::vector<Frame> read_pcap(const std::string& name);

}  // namespace bs::test
