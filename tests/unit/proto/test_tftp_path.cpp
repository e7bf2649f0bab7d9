// TFTP file-name sanitising: the rules table of tftp_path.hpp.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/proto/tftp_path.hpp"

namespace bs::proto {
namespace {

using namespace std::string_view_literals;

struct PathCase {
  std::string_view in;
  PathError err;
  std::string_view out;
};

TEST(TftpPath, RulesTable) {
  const PathCase cases[] = {
      {"pxelinux.0", PathError::none, "pxelinux.0"},
      {"/pxelinux.0", PathError::none, "pxelinux.0"},
      {"//pxelinux.0", PathError::none, "pxelinux.0"},
      {"\\grub\\grub.cfg", PathError::none, "grub/grub.cfg"},
      {"/grub/x86_64-efi/normal.mod", PathError::none, "grub/x86_64-efi/normal.mod"},
      {"pxelinux.cfg/01-52-54-00-12-34-56", PathError::none, "pxelinux.cfg/01-52-54-00-12-34-56"},
      {"a/../b", PathError::none, "b"},
      {"a/b/../../c", PathError::none, "c"},
      {"a/./b//c/", PathError::none, "a/b/c"},
      {"./a", PathError::none, "a"},
      {"a/b/..", PathError::none, "a"},
      {"..a/b..", PathError::none, "..a/b.."},
      {"...", PathError::none, "..."},
      {"a\\..\\b", PathError::none, "b"},
      {"../etc/passwd", PathError::escapes_root, ""},
      {"/../etc/passwd", PathError::escapes_root, ""},
      {"a/../../x", PathError::escapes_root, ""},
      {"..", PathError::escapes_root, ""},
      {"\\..\\..\\windows", PathError::escapes_root, ""},
      {"", PathError::empty, ""},
      {"/", PathError::empty, ""},
      {"\\\\", PathError::empty, ""},
      {"./.", PathError::empty, ""},
      {"a/..", PathError::empty, ""},
      {"a\0b"sv, PathError::nul, ""},
      {"pxelinux.0\n", PathError::nul, ""},
      {"a\tb", PathError::nul, ""},
      {"a\x7f", PathError::nul, ""},
      {"\x1b[31m", PathError::nul, ""},
  };
  for (const auto& c : cases) {
    TftpPath p;
    EXPECT_EQ(sanitize_tftp_path(c.in, p), c.err) << "'" << c.in << "'";
    if (c.err == PathError::none) {
      EXPECT_EQ(p.view(), c.out) << "'" << c.in << "'";
      EXPECT_EQ(p.buf[p.len], '\0');
    } else {
      EXPECT_EQ(p.len, 0u) << "'" << c.in << "'";
    }
  }
}

TEST(TftpPath, LengthLimit) {
  TftpPath p;
  const std::string max(255, 'x');
  ASSERT_EQ(sanitize_tftp_path(max, p), PathError::none);
  EXPECT_EQ(p.len, 255);
  EXPECT_EQ(p.view(), max);
  EXPECT_EQ(sanitize_tftp_path(max + "x", p), PathError::too_long);
  EXPECT_EQ(sanitize_tftp_path("/" + max, p), PathError::too_long);  // the name itself counts
  // Deep but short enough after resolution is still judged on the name as sent.
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "a/";
  ASSERT_EQ(sanitize_tftp_path(deep, p), PathError::none);
  EXPECT_EQ(p.len, 199);
}

TEST(TftpPath, HighBytesAreKept) {
  TftpPath p;  // UTF-8 names are not control characters
  ASSERT_EQ(sanitize_tftp_path("b\xc3\xa9"
                               "b\xc3\xa9.cfg",
                               p),
            PathError::none);
  EXPECT_EQ(p.view(),
            "b\xc3\xa9"
            "b\xc3\xa9.cfg");
}

TEST(TftpPath, ErrorTexts) {
  EXPECT_STREQ(path_error_text(PathError::none), "ok");
  EXPECT_STREQ(path_error_text(PathError::escapes_root), "path escapes the TFTP root");
  EXPECT_STRNE(path_error_text(PathError::nul), path_error_text(PathError::too_long));
  EXPECT_STRNE(path_error_text(PathError::empty), path_error_text(PathError::too_long));
}

}  // namespace
}  // namespace bs::proto
