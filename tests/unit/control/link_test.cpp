// The dataplane link against a fake dataplane on a unix socket, event log lines, /status,
// /metrics and the kickstart over real HTTP on loopback.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "control/dataplane_link.hpp"
#include "control/event_log.hpp"
#include "control/http_server.hpp"
#include "dataplane/snapshot/wire.hpp"

namespace bs::control {
namespace {

Event make_event(EventType t, const char* ip, const char* text, uint64_t bytes = 0,
                 uint32_t us = 0) {
  Event e;
  e.type = t;
  e.mac = *proto::Mac::parse("52:54:00:12:34:56");
  e.ip = *proto::parse_ip(ip);
  e.bytes = bytes;
  e.duration_us = us;
  e.set_text(text);
  return e;
}

TEST(EventLog, DhcpdAndTftpdStyle) {
  EXPECT_EQ(format_event(make_event(EventType::dhcp_discover, "0.0.0.0", ""), "bs0"),
            "DHCPDISCOVER from 52:54:00:12:34:56 via bs0");
  EXPECT_EQ(format_event(make_event(EventType::dhcp_offer, "10.77.0.11", ""), "bs0"),
            "DHCPOFFER on 10.77.0.11 to 52:54:00:12:34:56 via bs0");
  EXPECT_EQ(format_event(make_event(EventType::dhcp_request, "10.77.0.11", ""), "bs0"),
            "DHCPREQUEST for 10.77.0.11 from 52:54:00:12:34:56 via bs0");
  EXPECT_EQ(format_event(make_event(EventType::dhcp_ack, "10.77.0.11", "pxelinux.0"), "bs0"),
            "DHCPACK on 10.77.0.11 to 52:54:00:12:34:56 via bs0 (boot file pxelinux.0)");
  EXPECT_EQ(format_event(make_event(EventType::dhcp_nak, "10.77.0.99", "wrong address"), "bs0"),
            "DHCPNAK on 10.77.0.99 to 52:54:00:12:34:56 via bs0 (wrong address)");
  EXPECT_EQ(format_event(make_event(EventType::tftp_start, "10.77.0.11", "pxelinux.0"), "bs0"),
            "RRQ from 10.77.0.11 filename pxelinux.0");
  EXPECT_EQ(
      format_event(
          make_event(EventType::tftp_done, "10.77.0.11", "centos7/vmlinuz", 8388608, 70250), "bs0"),
      "sent centos7/vmlinuz to 10.77.0.11 (8388608 bytes in 70.2 ms)");
  EXPECT_EQ(
      format_event(make_event(EventType::tftp_miss, "10.77.0.11", "pxelinux.cfg/C0A8"), "bs0"),
      "pxelinux.cfg/C0A8: file not found (to 10.77.0.11)");
}

// A one-connection fake dataplane: listens, accepts, returns the first line it receives.
class FakeDataplane {
 public:
  FakeDataplane() {
    char tmpl[] = "/tmp/bs-link-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/dataplane.sock";
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd_, 1), 0);
  }
  ~FakeDataplane() {
    if (fd_ >= 0) ::close(fd_);
    ::close(listen_fd_);
    std::filesystem::remove_all(dir_);
  }
  bool accept_and_read_line(std::string* line, int timeout_ms = 5000) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
    fd_ = ::accept(listen_fd_, nullptr, nullptr);
    char c;
    while (::read(fd_, &c, 1) == 1) {
      if (c == '\n') return true;
      *line += c;
    }
    return false;
  }
  void send(const std::string& s) {
    ASSERT_EQ(::write(fd_, s.data(), s.size()), ssize_t(s.size()));
  }
  void hang_up() { ::close(fd_), fd_ = -1; }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
  int listen_fd_ = -1, fd_ = -1;
};

template <typename F>
bool eventually(F f) {
  for (int i = 0; i < 100; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(EventLog, LimiterCapsTheRateAndReportsWhatItSuppressed) {
  using Clock = LogLimiter::Clock;
  LogLimiter lim(/*rate=*/10, /*burst=*/5);
  Clock::time_point t0 = Clock::now();
  int allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += lim.allow(t0);  // a burst at one instant
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(lim.due_report(t0), 95u);
  EXPECT_EQ(lim.due_report(t0), 0u);  // reported once
  // Half a second later the bucket holds 5 tokens again (10/s), not more than the burst.
  allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += lim.allow(t0 + std::chrono::milliseconds(500));
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(lim.due_report(t0 + std::chrono::milliseconds(500)), 0u);  // within a second
  EXPECT_EQ(lim.due_report(t0 + std::chrono::milliseconds(1001)), 95u);
}

TEST(DataplaneLink, SendsSnapshotCountsEventsAndReconnects) {
  FakeDataplane dp;
  Stats stats;
  DataplaneLink link(dp.path(), R"({"generation":5,"hosts":[]})", "bs0", stats);
  link.start();
  std::string line;
  ASSERT_TRUE(dp.accept_and_read_line(&line));
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["type"], "snapshot");
  EXPECT_EQ(j["snapshot"]["generation"], 5);
  EXPECT_TRUE(eventually([&] { return stats.is_connected(); }));

  dp.send(wire::encode_event(make_event(EventType::dhcp_ack, "10.77.0.11", "pxelinux.0")) + "\n" +
          "{\"type\":\"applied\",\"generation\":5}\n" + "not json\n" +
          wire::encode_event(make_event(EventType::dhcp_ack, "10.77.0.12", "pxelinux.0")) + "\n");
  EXPECT_TRUE(eventually([&] { return stats.event_count(EventType::dhcp_ack) == 2; }));
  EXPECT_EQ(stats.applied_generation(), 5u);
  EXPECT_EQ(stats.event_count(EventType::dhcp_offer), 0u);

  // The dataplane goes away and comes back: the link reconnects and sends the snapshot again.
  dp.hang_up();
  EXPECT_TRUE(eventually([&] { return !stats.is_connected(); }));
  std::string again;
  ASSERT_TRUE(dp.accept_and_read_line(&again));
  EXPECT_EQ(again, line);
  link.stop();
}

TEST(DataplaneLink, RejectedAndStatsMessages) {
  Stats stats;
  DataplaneLink link("/nonexistent/dataplane.sock", "{}", "bs0", stats);
  link.handle_line(R"({"type":"rejected","error":"pool overlaps"})");
  link.handle_line(R"({"type":"stats","drops":{"bad_checksum":3},"counters":{"rx":10}})");
  std::string status = stats.status_json();
  EXPECT_NE(status.find("pool overlaps"), std::string::npos) << status;
  std::string m = stats.metrics();
  EXPECT_NE(m.find("bootstorm_snapshot_rejections_total 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("bootstorm_dataplane_drops_total{reason=\"bad_checksum\"} 3\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("bootstorm_dataplane_counters_total{name=\"rx\"} 10\n"), std::string::npos) << m;
}

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

TEST(HttpServer, KickstartStatusMetrics) {
  Stats stats;
  stats.built(9);
  stats.event(EventType::dhcp_ack);
  HttpContent content;
  content.kickstarts = {{"node001", "network --hostname=node001\n"}};
  HttpServer http(content, stats);
  int port = free_port();
  http.start("127.0.0.1", uint16_t(port));
  ASSERT_TRUE(eventually([&] { return http.listening(); }));
  httplib::Client c("127.0.0.1", port);
  auto ks = c.Get("/ks/node001.ks");
  ASSERT_TRUE(ks);
  EXPECT_EQ(ks->status, 200);
  EXPECT_EQ(ks->body, "network --hostname=node001\n");
  EXPECT_EQ(ks->get_header_value("Content-Type"), "text/plain");
  auto missing = c.Get("/ks/node002.ks");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto other = c.Get("/etc/passwd");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  auto status = c.Get("/status");
  ASSERT_TRUE(status);
  auto j = nlohmann::json::parse(status->body);
  EXPECT_EQ(j["generation"]["built"], 9);
  EXPECT_EQ(j["dataplane"]["connected"], false);
  EXPECT_EQ(j["events"]["dhcp_ack"], 1);
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("bootstorm_events_total{type=\"dhcp_ack\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("bootstorm_events_total{type=\"tftp_done\"} 0\n"),
            std::string::npos);
  http.stop();
  EXPECT_FALSE(http.listening());
}

}  // namespace
}  // namespace bs::control
