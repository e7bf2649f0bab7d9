#include "tftp.hpp"

namespace bs::proto {
namespace {

// Reads a NUL-terminated string at b[pos]; advances pos past the NUL. False when no NUL.
bool take_cstr(Bytes b, size_t& pos, std::string_view& out) {
  for (size_t i = pos; i < b.size(); ++i) {
    if (b[i] == 0) {
      out = std::string_view(reinterpret_cast<const char*>(b.data() + pos), i - pos);
      pos = i + 1;
      return true;
    }
  }
  return false;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Decimal digits only, no sign, no overflow.
std::optional<uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + uint64_t(c - '0');
  }
  return v;
}

// Applies one option; values outside the RFC ranges are ignored as if the option were absent.
void apply_option(TftpOptions& o, std::string_view name, std::string_view value) {
  if (iequals(name, "multicast")) {
    o.multicast = value;
    return;
  }
  const auto v = parse_decimal(value);
  if (!v) return;
  if (iequals(name, "blksize")) {
    if (*v >= kTftpMinBlksize && *v <= kTftpMaxBlksize) o.blksize = uint16_t(*v);
  } else if (iequals(name, "tsize")) {
    o.tsize = true;
    o.tsize_value = *v;
  } else if (iequals(name, "timeout")) {
    if (*v >= 1 && *v <= 255) o.timeout = uint8_t(*v);
  } else if (iequals(name, "windowsize")) {
    if (*v >= 1 && *v <= 65535) o.windowsize = uint16_t(*v);
  }
}

// Parses name/value pairs up to the end of the packet.
Drop parse_options(Bytes b, size_t pos, TftpOptions& o) {
  while (pos < b.size()) {
    std::string_view name, value;
    if (!take_cstr(b, pos, name) || !take_cstr(b, pos, value)) return Drop::tftp_unterminated;
    apply_option(o, name, value);
  }
  return Drop::none;
}

void put_decimal(Writer& w, uint64_t v) {
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = char('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) w.u8(uint8_t(digits[--n]));
}

void put_cstr(Writer& w, std::string_view s) {
  const size_t nul = s.find('\0');
  w.str(nul == std::string_view::npos ? s : s.substr(0, nul));
  w.u8(0);
}

void put_option(Writer& w, std::string_view name, uint64_t v) {
  put_cstr(w, name);
  put_decimal(w, v);
  w.u8(0);
}

// "addr,port,mc", every field present (atftp's parser skips empty fields).
void put_multicast(Writer& w, const TftpMulticast& m) {
  put_cstr(w, "multicast");
  for (int shift = 24; shift >= 0; shift -= 8) {
    put_decimal(w, (m.addr >> shift) & 0xff);
    w.u8(shift ? '.' : ',');
  }
  put_decimal(w, m.port);
  w.u8(',');
  w.u8(m.master ? '1' : '0');
  w.u8(0);
}

}  // namespace

Result<TftpPacket> parse_tftp(Bytes b) {
  if (b.size() < 2) return Drop::tftp_short;
  TftpPacket p;
  const uint16_t op = load16(b.data());
  size_t pos = 2;
  switch (op) {
    case uint16_t(TftpOp::rrq):
    case uint16_t(TftpOp::wrq): {
      p.op = TftpOp(op);
      if (!take_cstr(b, pos, p.filename) || !take_cstr(b, pos, p.mode))
        return Drop::tftp_unterminated;
      const Drop d = parse_options(b, pos, p.options);
      if (d != Drop::none) return d;
      return p;
    }
    case uint16_t(TftpOp::data):
    case uint16_t(TftpOp::ack):
      if (b.size() < 4) return Drop::tftp_short;
      p.op = TftpOp(op);
      p.block = load16(b.data() + 2);
      if (p.op == TftpOp::data) p.data = b.subspan(4);
      return p;
    case uint16_t(TftpOp::error):
      if (b.size() < 4) return Drop::tftp_short;
      p.op = TftpOp::error;
      p.error_code = load16(b.data() + 2);
      pos = 4;
      if (!take_cstr(b, pos, p.error_msg)) return Drop::tftp_unterminated;
      return p;
    case uint16_t(TftpOp::oack): {
      p.op = TftpOp::oack;
      const Drop d = parse_options(b, pos, p.options);
      if (d != Drop::none) return d;
      return p;
    }
    default:
      return Drop::tftp_opcode;
  }
}

size_t write_tftp_data_header(MutBytes out, uint16_t block) {
  Writer w(out);
  w.u16(uint16_t(TftpOp::data));
  w.u16(block);
  return w.ok() ? w.size() : 0;
}

size_t write_tftp_ack(MutBytes out, uint16_t block) {
  Writer w(out);
  w.u16(uint16_t(TftpOp::ack));
  w.u16(block);
  return w.ok() ? w.size() : 0;
}

size_t write_tftp_error(MutBytes out, uint16_t code, std::string_view msg) {
  Writer w(out);
  w.u16(uint16_t(TftpOp::error));
  w.u16(code);
  put_cstr(w, msg);
  return w.ok() ? w.size() : 0;
}

size_t write_tftp_oack(MutBytes out, const TftpOack& o) {
  Writer w(out);
  w.u16(uint16_t(TftpOp::oack));
  if (o.blksize) put_option(w, "blksize", *o.blksize);
  if (o.tsize) put_option(w, "tsize", *o.tsize);
  if (o.timeout) put_option(w, "timeout", *o.timeout);
  if (o.windowsize) put_option(w, "windowsize", *o.windowsize);
  if (o.multicast) put_multicast(w, *o.multicast);
  return w.ok() ? w.size() : 0;
}

size_t write_tftp_request(MutBytes out, TftpOp op, std::string_view filename, std::string_view mode,
                          const TftpOptions& o) {
  if (op != TftpOp::rrq && op != TftpOp::wrq) return 0;
  Writer w(out);
  w.u16(uint16_t(op));
  put_cstr(w, filename);
  put_cstr(w, mode);
  if (o.blksize) put_option(w, "blksize", *o.blksize);
  if (o.tsize) put_option(w, "tsize", 0);
  if (o.timeout) put_option(w, "timeout", *o.timeout);
  if (o.windowsize) put_option(w, "windowsize", *o.windowsize);
  if (o.multicast) {
    put_cstr(w, "multicast");
    w.u8(0);  // a request's value is empty (RFC 2090)
  }
  return w.ok() ? w.size() : 0;
}

std::optional<TftpMulticast> parse_tftp_multicast(std::string_view v) {
  // Split on the two commas; each field must be non-empty.
  const size_t c1 = v.find(',');
  if (c1 == std::string_view::npos) return std::nullopt;
  const size_t c2 = v.find(',', c1 + 1);
  if (c2 == std::string_view::npos || v.find(',', c2 + 1) != std::string_view::npos)
    return std::nullopt;
  const std::string_view addr = v.substr(0, c1), port = v.substr(c1 + 1, c2 - c1 - 1),
                         mc = v.substr(c2 + 1);
  TftpMulticast m;
  const auto a = parse_ip(addr);
  if (!a) return std::nullopt;
  m.addr = *a;
  const auto p = parse_decimal(port);
  if (!p || *p == 0 || *p > 65535) return std::nullopt;
  m.port = uint16_t(*p);
  if (mc != "0" && mc != "1") return std::nullopt;
  m.master = mc == "1";
  return m;
}

}  // namespace bs::proto
