#include "netascii.hpp"

namespace bs::proto {

uint64_t netascii_size(Bytes in) {
  uint64_t n = in.size();
  for (uint8_t c : in) n += c == '\n' || c == '\r';
  return n;
}

uint64_t netascii_encode(Bytes in, MutBytes out) {
  if (out.size() < netascii_size(in)) return 0;
  uint64_t o = 0;
  for (uint8_t c : in) {
    if (c == '\n') {
      out[o++] = '\r';
      out[o++] = '\n';
    } else if (c == '\r') {
      out[o++] = '\r';
      out[o++] = '\0';
    } else {
      out[o++] = c;
    }
  }
  return o;
}

}  // namespace bs::proto
