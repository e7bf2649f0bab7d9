// The control process's HTTP server serving the TFTP root read-only at /boot/ (iPXE and UEFI HTTP
// boot) with TFTP path sanitising, and the iPXE scripts at /ipxe/, over real HTTP on loopback.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "control/http_server.hpp"
#include "temp_site.hpp"

namespace bs::control {
namespace {

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(s);
  return ntohs(a.sin_port);
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char((i * 7 + i / 251) & 0xff);
  return s;
}

class HttpBoot : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.write("tftp/pxelinux.0", "PXELINUX");
    site_.write("tftp/centos7/vmlinuz", kernel_);
    site_.write("secret.txt", "outside the root");
    std::filesystem::create_directories(site_.path("tftp/empty-dir"));
    std::filesystem::create_symlink(site_.path("tftp/pxelinux.0"), site_.path("tftp/link.0"));
    ::mkfifo(site_.path("tftp/fifo").c_str(), 0600);
    HttpContent content;
    content.kickstarts = {{"node001", "ks\n"}};
    content.ipxe_scripts = {{"node002", "#!ipxe\nboot\n"}, {"default", "#!ipxe\nexit\n"}};
    content.boot_root = site_.path("tftp");
    http_ = std::make_unique<HttpServer>(content, stats_);
    port_ = free_port();
    http_->start("127.0.0.1", uint16_t(port_));
    for (int i = 0; i < 500 && !http_->listening(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(http_->listening());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_url_encode(false);  // send the paths exactly as written
  }
  void TearDown() override { http_->stop(); }

  std::pair<int, std::string> get(const std::string& path) {
    auto res = client_->Get(path.c_str());
    if (!res) return {0, ""};
    return {res->status, res->body};
  }

  test::TempSite site_;
  std::string kernel_ = pattern(3 * 1024 * 1024 + 17);  // several provider calls
  Stats stats_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

TEST_F(HttpBoot, ServesFilesOfTheTftpRoot) {
  EXPECT_EQ(get("/boot/pxelinux.0"), std::make_pair(200, std::string("PXELINUX")));
  auto res = client_->Get("/boot/centos7/vmlinuz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(res->body.size(), kernel_.size());
  EXPECT_TRUE(res->body == kernel_);
  // Paths are read like TFTP file names: '\', '//', '.' and '..' inside the root are fine.
  EXPECT_EQ(get("/boot//centos7/../pxelinux.0").first, 200);
  EXPECT_EQ(get("/boot/./centos7\\vmlinuz").first, 200);
  EXPECT_EQ(get("/boot/link.0"), std::make_pair(200, std::string("PXELINUX")));  // symlink
  // Ranges (a resumed download) and HEAD.
  httplib::Headers range = {{"Range", "bytes=1000-1009"}};
  auto part = client_->Get("/boot/centos7/vmlinuz", range);
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, kernel_.substr(1000, 10));
  auto head = client_->Head("/boot/centos7/vmlinuz");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), std::to_string(kernel_.size()));
}

TEST_F(HttpBoot, NothingOutsideTheRoot) {
  for (const char* path :
       {"/boot/../secret.txt", "/boot/centos7/../../secret.txt", "/boot/%2e%2e/secret.txt",
        "/boot/..%2fsecret.txt", "/boot/..\\secret.txt", "/boot/a/../../secret.txt"}) {
    auto [status, body] = get(path);
    EXPECT_EQ(status, 403) << path;
    EXPECT_EQ(body, "path escapes the TFTP root\n") << path;
  }
  // A leading '/' is relative to the root (as GRUB asks over TFTP), never the file system's.
  EXPECT_EQ(get("/boot//etc/passwd").first, 404);
  EXPECT_EQ(get("/boot/pxelinux.0%00.txt").first, 403);  // NUL
  EXPECT_EQ(get("/boot/pxe%01linux.0").first, 403);      // a control character
  EXPECT_EQ(get("/boot/pxe%0alinux.0").first, 404);      // a newline: no route at all
  EXPECT_EQ(get("/boot/" + std::string(300, 'a')),
            std::make_pair(403, std::string("file name too long\n")));
}

TEST_F(HttpBoot, MissingDirectoriesAndSpecialFilesAre404) {
  EXPECT_EQ(get("/boot/nope.0").first, 404);
  EXPECT_EQ(get("/boot/empty-dir").first, 404);
  EXPECT_EQ(get("/boot/centos7").first, 404);
  EXPECT_EQ(get("/boot/").first, 404);
  EXPECT_EQ(get("/boot/fifo").first, 404);  // and the handler did not hang on it
  EXPECT_EQ(get("/pxelinux.0").first, 404);
}

TEST_F(HttpBoot, IpxeScripts) {
  auto res = client_->Get("/ipxe/node002.ipxe");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "#!ipxe\nboot\n");
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain");
  EXPECT_EQ(get("/ipxe/default.ipxe"), std::make_pair(200, std::string("#!ipxe\nexit\n")));
  EXPECT_EQ(get("/ipxe/node001.ipxe").first, 404);  // node001 does not boot iPXE
  EXPECT_EQ(get("/ipxe/../ks/node001.ks").first, 404);
  EXPECT_EQ(get("/ks/node001.ks"), std::make_pair(200, std::string("ks\n")));
}

TEST(HttpBootOff, NoRootNoBootFiles) {
  Stats stats;
  HttpServer http(HttpContent{}, stats);
  int port = free_port();
  http.start("127.0.0.1", uint16_t(port));
  for (int i = 0; i < 500 && !http.listening(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(http.listening());
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/boot/etc/passwd");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  http.stop();
}

}  // namespace
}  // namespace bs::control
