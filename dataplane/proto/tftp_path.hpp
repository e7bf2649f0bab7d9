// Sanitising TFTP file names into paths relative to the TFTP root (pure, no allocation).
#pragma once
#include <cstdint>
#include <string_view>

namespace bs::proto {

inline constexpr size_t kMaxTftpPath = 255;

enum class PathError : uint8_t {
  none,
  empty,         // nothing left after stripping '/' (or an empty name)
  too_long,      // the name or the result is longer than kMaxTftpPath
  nul,           // an embedded NUL or another control character
  escapes_root,  // '..' above the root
};
const char* path_error_text(PathError e);

struct TftpPath {
  char buf[kMaxTftpPath + 1];  // NUL-terminated
  uint16_t len = 0;
  std::string_view view() const { return {buf, len}; }
};

// Rules: '\' is read as '/'; leading '/'s are relative to the root (GRUB asks for
// "/grub/..."); empty and "." segments vanish; ".." pops a segment and is an error above the
// root; control characters (incl. NUL) are errors; longer than 255 is an error.
PathError sanitize_tftp_path(std::string_view name, TftpPath& out);

}  // namespace bs::proto
