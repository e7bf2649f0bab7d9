#include "tftp_path.hpp"

namespace bs::proto {

const char* path_error_text(PathError e) {
  switch (e) {
    case PathError::none:
      return "ok";
    case PathError::empty:
      return "empty file name";
    case PathError::too_long:
      return "file name too long";
    case PathError::nul:
      return "control character in file name";
    case PathError::escapes_root:
      return "path escapes the TFTP root";
  }
  return "?";
}

PathError sanitize_tftp_path(std::string_view name, TftpPath& out) {
  out.len = 0;
  out.buf[0] = '\0';
  if (name.size() > kMaxTftpPath) return PathError::too_long;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return PathError::nul;
  }
  // Segment by segment; out.buf holds the segments kept so far joined by '/'.
  size_t len = 0;
  size_t i = 0;
  while (i < name.size()) {
    while (i < name.size() && (name[i] == '/' || name[i] == '\\')) ++i;
    const size_t start = i;
    while (i < name.size() && name[i] != '/' && name[i] != '\\') ++i;
    const std::string_view seg = name.substr(start, i - start);
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (len == 0) return PathError::escapes_root;
      while (len > 0 && out.buf[len - 1] != '/') --len;  // drop the last segment
      if (len > 0) --len;                                // and its separator
      continue;
    }
    // The result never exceeds the input's length, so it always fits the buffer.
    if (len > 0) out.buf[len++] = '/';
    for (char c : seg) out.buf[len++] = c;
  }
  if (len == 0) return PathError::empty;
  out.buf[len] = '\0';
  out.len = uint16_t(len);
  return PathError::none;
}

}  // namespace bs::proto
