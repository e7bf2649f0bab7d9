// TFTP (RFC 1350, options RFC 2347/2348/2349, windowsize RFC 7440) codec.
#pragma once
#include <optional>
#include <string_view>

#include "bytes.hpp"
#include "result.hpp"

namespace bs::proto {

inline constexpr uint16_t kTftpPort = 69;
inline constexpr uint16_t kTftpDefaultBlksize = 512;
inline constexpr uint16_t kTftpMinBlksize = 8;      // RFC 2348
inline constexpr uint16_t kTftpMaxBlksize = 65464;  // RFC 2348

enum class TftpOp : uint16_t { rrq = 1, wrq = 2, data = 3, ack = 4, error = 5, oack = 6 };

enum TftpError : uint16_t {
  kErrUndefined = 0,
  kErrNotFound = 1,
  kErrAccess = 2,
  kErrDiskFull = 3,
  kErrIllegalOp = 4,
  kErrUnknownTid = 5,
  kErrExists = 6,
  kErrNoUser = 7,
  kErrOptionRefused = 8,  // RFC 2347
};

// Options of a RRQ/WRQ. Values outside the RFC ranges are dropped as if not sent
// (RFC 2347: the server ignores options it does not accept); unknown options are ignored.
struct TftpOptions {
  std::optional<uint16_t> blksize;     // 8..65464
  bool tsize = false;                  // tsize present (servers ignore a request's value)
  uint64_t tsize_value = 0;            // its value: an OACK's file size
  std::optional<uint8_t> timeout;      // seconds 1..255
  std::optional<uint16_t> windowsize;  // 1..65535
  // RFC 2090: in a request, present (its value is empty); in an OACK, "addr,port,mc"
  // (parse_tftp_multicast reads it).
  std::optional<std::string_view> multicast;
};

// The value of an OACK's multicast option (RFC 2090): where the group's DATA goes, and whether
// this client is the master client (the one whose ACKs pace the transfer).
struct TftpMulticast {
  Ip4 addr = 0;  // the group address
  uint16_t port = 0;
  bool master = false;
};
// "239.255.77.1,1760,1": all three fields, the address dotted-quad, the port 1..65535, mc 0 or 1.
std::optional<TftpMulticast> parse_tftp_multicast(std::string_view value);

struct TftpPacket {
  TftpOp op{};
  // RRQ/WRQ
  std::string_view filename;  // as sent, not sanitised
  std::string_view mode;      // "octet", "netascii", "mail", any case
  TftpOptions options;
  // DATA/ACK
  uint16_t block = 0;
  Bytes data;  // DATA payload
  // ERROR
  uint16_t error_code = 0;
  std::string_view error_msg;
};

Result<TftpPacket> parse_tftp(Bytes payload);

// Writers return the number of bytes written, 0 when out is too small.
size_t write_tftp_data_header(MutBytes out, uint16_t block);  // 4 bytes
size_t write_tftp_ack(MutBytes out, uint16_t block);
size_t write_tftp_error(MutBytes out, uint16_t code, std::string_view msg);
// OACK with those options that are set (tsize written when tsize is set).
struct TftpOack {
  std::optional<uint16_t> blksize;
  std::optional<uint64_t> tsize;
  std::optional<uint8_t> timeout;
  std::optional<uint16_t> windowsize;
  std::optional<TftpMulticast> multicast;
};
size_t write_tftp_oack(MutBytes out, const TftpOack& o);
// A request (client side; used by the tests and the bench).
size_t write_tftp_request(MutBytes out, TftpOp op, std::string_view filename, std::string_view mode,
                          const TftpOptions& o);

}  // namespace bs::proto
