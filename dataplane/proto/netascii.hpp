// netascii (RFC 1350, from Telnet's NVT ASCII, RFC 764): what a TFTP server sends for a file
// read in "netascii" mode. Each LF becomes CR LF, each CR becomes CR NUL; other bytes as is.
#pragma once
#include "bytes.hpp"

namespace bs::proto {

// Length of the netascii form of in.
uint64_t netascii_size(Bytes in);
// Writes the netascii form of in; returns the bytes written, or 0 (nothing written) when out is
// shorter than netascii_size(in) and in is not empty.
uint64_t netascii_encode(Bytes in, MutBytes out);

}  // namespace bs::proto
