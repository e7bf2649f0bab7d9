// The lease journal on its own: replay, compaction, group commit, the hold hook, torn and
// corrupt records, an unknown header, and a full disk (a small tmpfs, when run as root).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <rte_hash_crc.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "dataplane/dhcp/journal.hpp"

namespace bs::dhcp {
namespace {

namespace fs = std::filesystem;
constexpr uint64_t kNow = 1'700'000'000;  // unix seconds

proto::Mac mac_n(uint32_t n) {
  return proto::Mac{{0x52, 0x54, 0x00, uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)}};
}
proto::Ip4 ip_n(uint32_t n) {
  return (10u << 24) + 0x10000 + n;
}
JournalLease lease(uint32_t n, proto::Ip4 a, uint64_t expires = kNow + 3600, bool bound = true) {
  return JournalLease{mac_n(n), a, expires, bound};
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/bs-journal-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
  fs::path journal() const { return path / "leases.journal"; }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

std::unique_ptr<Journal> open_journal(const TempDir& d, std::vector<JournalLease>* live = nullptr,
                                      ReplayStats* stats = nullptr, Journal::Options o = {},
                                      uint64_t now = kNow) {
  o.dir = d.str();
  std::string error;
  auto j = Journal::open(o, now, live, stats, &error);
  EXPECT_TRUE(j) << error;
  return j;
}

// Pumps (waiting on the eventfd between pumps) until done() holds; false after 5 s.
template <class Pred>
bool pump_until(Journal& j, Pred done, uint64_t now_ms = 0) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    j.pump(now_ms);
    if (done()) break;
    pollfd p{j.event_fd(), POLLIN, 0};
    ::poll(&p, 1, 10);
  }
  return true;
}

bool same(const JournalLease& a, const JournalLease& b) {
  return a.mac == b.mac && a.ip == b.ip && a.expires_unix_s == b.expires_unix_s &&
         a.bound == b.bound;
}

TEST(Journal, RoundTripLastRecordPerMacWinsAndCompactionShrinks) {
  TempDir d;
  std::vector<JournalLease> live;
  ReplayStats st;
  auto j = open_journal(d, &live, &st);
  ASSERT_TRUE(j);
  EXPECT_TRUE(live.empty());
  EXPECT_EQ(st.records, 0u);
  EXPECT_TRUE(st.compacted);
  EXPECT_EQ(j->file_bytes(), Journal::kHeaderSize);
  EXPECT_EQ(j->committed(), 0u);

  const std::vector<JournalLease> recs = {
      lease(1, ip_n(10)),  // superseded by 4
      lease(2, ip_n(11)),  // live
      lease(3, ip_n(12)),  // freed by 5
      lease(1, ip_n(20)),  // live: last record of MAC 1
      lease(3, ip_n(12), kNow + 3600, false),
      lease(4, ip_n(13), kNow - 1),   // already expired
      lease(5, ip_n(14), kNow + 10),  // expires 10 s after kNow
  };
  for (size_t i = 0; i < recs.size(); ++i) ASSERT_TRUE(j->append(recs[i], i + 1));
  EXPECT_TRUE(j->busy());
  ASSERT_TRUE(pump_until(*j, [&] { return j->committed() == recs.size(); }));
  EXPECT_FALSE(j->busy());
  EXPECT_TRUE(j->healthy());
  const uint64_t full = Journal::kHeaderSize + recs.size() * Journal::kRecordSize;
  EXPECT_EQ(j->file_bytes(), full);
  EXPECT_EQ(fs::file_size(d.journal()), full);
  EXPECT_EQ(j->counters().records, recs.size());
  EXPECT_EQ(j->counters().bytes, recs.size() * Journal::kRecordSize);
  j.reset();

  j = open_journal(d, &live, &st);
  ASSERT_TRUE(j);
  EXPECT_EQ(st.records, recs.size());
  EXPECT_EQ(st.corrupt, 0u);
  EXPECT_EQ(st.torn_bytes, 0u);
  EXPECT_TRUE(st.compacted);
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(st.live, 3u);
  EXPECT_TRUE(same(live[0], recs[1]));  // in record order
  EXPECT_TRUE(same(live[1], recs[3]));
  EXPECT_TRUE(same(live[2], recs[6]));
  EXPECT_EQ(j->file_bytes(), Journal::kHeaderSize + 3 * Journal::kRecordSize);
  EXPECT_EQ(fs::file_size(d.journal()), j->file_bytes());
  EXPECT_LT(j->file_bytes(), full);
  EXPECT_FALSE(fs::exists(d.path / "leases.journal.tmp"));
  j.reset();

  // Later, MAC 5's lease has run out too; a read-only replay agrees with open().
  std::string error;
  ASSERT_TRUE(Journal::replay(d.str(), kNow + 10, &live, &st, &error)) << error;
  ASSERT_EQ(live.size(), 2u);
  EXPECT_FALSE(st.compacted);
  EXPECT_EQ(fs::file_size(d.journal()), Journal::kHeaderSize + 3 * Journal::kRecordSize);
}

TEST(Journal, ChecksumsAreDpdkCrc32c) {
  TempDir d;
  auto j = open_journal(d);
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->append(lease(1, ip_n(1)), 1));
  ASSERT_TRUE(pump_until(*j, [&] { return j->committed() == 1; }));
  const std::string bytes = read_file(d.journal());
  ASSERT_EQ(bytes.size(), Journal::kHeaderSize + Journal::kRecordSize);
  for (size_t at : {size_t(0), size_t(Journal::kHeaderSize)}) {  // header, record
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + at;
    EXPECT_EQ(proto::load32(p + 28), rte_hash_crc(p, 28, 0xffffffffu)) << at;
  }
  EXPECT_EQ(bytes.substr(0, 4), "BSLJ");
}

TEST(Journal, LaterLeaseOfAnAddressWins) {
  TempDir d;
  auto j = open_journal(d);
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->append(lease(1, ip_n(10)), 1));
  ASSERT_TRUE(j->append(lease(2, ip_n(10)), 2));
  ASSERT_TRUE(pump_until(*j, [&] { return j->committed() == 2; }));
  j.reset();
  std::vector<JournalLease> live;
  j = open_journal(d, &live);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].mac, mac_n(2));
}

TEST(Journal, EventFdSignalsCompletion) {
  TempDir d;
  auto j = open_journal(d);
  ASSERT_TRUE(j);
  ASSERT_GE(j->event_fd(), 0);
  ASSERT_TRUE(j->append(lease(1, ip_n(1)), 1));
  EXPECT_TRUE(j->pump(0));  // submitted
  pollfd p{j->event_fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ASSERT_TRUE(pump_until(*j, [&] { return j->committed() == 1; }));
  EXPECT_FALSE(j->pump(0));  // nothing left to do
}

TEST(Journal, GroupCommitsEverythingQueuedDuringAFlush) {
  TempDir d;
  auto j = open_journal(d);
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->append(lease(0, ip_n(0)), 1));
  ASSERT_TRUE(j->pump(0));  // flush 1 in flight
  for (uint32_t i = 1; i <= 100; ++i) ASSERT_TRUE(j->append(lease(i, ip_n(i)), i + 1));
  ASSERT_TRUE(pump_until(*j, [&] { return j->committed() == 101; }));
  EXPECT_EQ(j->counters().flushes, 2u);
  EXPECT_EQ(j->counters().records, 101u);
}

TEST(Journal, BatchesAreCutAtMaxBatchAndTheQueueWraps) {
  TempDir d;
  Journal::Options o;
  o.max_batch = 3;
  o.max_pending = 4;
  auto j = open_journal(d, nullptr, nullptr, o);
  ASSERT_TRUE(j);
  uint64_t tag = 0;
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(j->append(lease(i, ip_n(i)), ++tag));
  EXPECT_FALSE(j->append(lease(99, ip_n(99)), tag + 1));  // full: nothing queued
  EXPECT_EQ(j->queued(), 4u);
  ASSERT_TRUE(pump_until(*j, [&] { return j->committed() == 4; }));
  EXPECT_EQ(j->counters().flushes, 2u);                                               // 3 + 1
  for (uint32_t i = 4; i < 8; ++i) ASSERT_TRUE(j->append(lease(i, ip_n(i)), ++tag));  // wraps
  ASSERT_TRUE(pump_until(*j, [&] { return j->committed() == 8; }));
  EXPECT_EQ(j->counters().flushes, 4u);
  j.reset();
  std::vector<JournalLease> live;
  j = open_journal(d, &live);
  ASSERT_EQ(live.size(), 8u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_TRUE(same(live[i], lease(i, ip_n(i)))) << i;
}

TEST(Journal, HoldKeepsCommittedBack) {
  TempDir d;
  auto j = open_journal(d);
  ASSERT_TRUE(j);
  j->hold(true);
  ASSERT_TRUE(j->append(lease(1, ip_n(1)), 1));
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(j->pump(0));
    pollfd p{j->event_fd(), POLLIN, 0};
    ::poll(&p, 1, 2);
  }
  EXPECT_EQ(j->committed(), 0u);
  EXPECT_TRUE(j->busy());
  EXPECT_EQ(j->counters().flushes, 0u);
  EXPECT_EQ(fs::file_size(d.journal()), Journal::kHeaderSize);
  j->hold(false);
  ASSERT_TRUE(pump_until(*j, [&] { return j->committed() == 1; }));
  EXPECT_FALSE(j->busy());
}

// Writes three leases (MACs 1..3) and closes; returns them.
std::vector<JournalLease> three_leases(const TempDir& d) {
  std::vector<JournalLease> recs = {lease(1, ip_n(1)), lease(2, ip_n(2)), lease(3, ip_n(3))};
  auto j = open_journal(d);
  if (!j) return {};
  for (size_t i = 0; i < recs.size(); ++i) j->append(recs[i], i + 1);
  EXPECT_TRUE(pump_until(*j, [&] { return j->committed() == 3; }));
  return recs;
}

// Reopens after damage: expects `good` records back, then appends one more lease and checks
// that it lands right after them.
void expect_recovers(const TempDir& d, const std::vector<JournalLease>& good,
                     const ReplayStats& want) {
  std::vector<JournalLease> live;
  ReplayStats st;
  auto j = open_journal(d, &live, &st);
  ASSERT_TRUE(j);
  EXPECT_EQ(st.records, want.records);
  EXPECT_EQ(st.corrupt, want.corrupt);
  EXPECT_EQ(st.torn_bytes, want.torn_bytes);
  ASSERT_EQ(live.size(), good.size());
  for (size_t i = 0; i < good.size(); ++i) EXPECT_TRUE(same(live[i], good[i])) << i;
  const JournalLease extra = lease(9, ip_n(9));
  ASSERT_TRUE(j->append(extra, 1));
  ASSERT_TRUE(pump_until(*j, [&] { return j->committed() == 1; }));
  j.reset();
  ASSERT_TRUE(Journal::replay(d.str(), kNow, &live, &st, nullptr));
  EXPECT_EQ(st.corrupt, 0u);
  EXPECT_EQ(st.torn_bytes, 0u);
  ASSERT_EQ(live.size(), good.size() + 1);
  EXPECT_TRUE(same(live.back(), extra));
  EXPECT_EQ(fs::file_size(d.journal()),
            Journal::kHeaderSize + (good.size() + 1) * Journal::kRecordSize);
}

TEST(Journal, TornTailIsIgnoredAndCounted) {
  TempDir d;
  auto recs = three_leases(d);
  ASSERT_EQ(recs.size(), 3u);
  fs::resize_file(d.journal(), fs::file_size(d.journal()) - 10);  // a write cut mid-record
  expect_recovers(d, {recs[0], recs[1]}, ReplayStats{2, 0, 0, Journal::kRecordSize - 10, false, {}});
}

TEST(Journal, FlippedByteInLastRecordIsIgnoredAndCounted) {
  TempDir d;
  auto recs = three_leases(d);
  ASSERT_EQ(recs.size(), 3u);
  std::string bytes = read_file(d.journal());
  bytes[bytes.size() - Journal::kRecordSize + 9] ^= 0x40;  // inside the IP of record 3
  write_file(d.journal(), bytes);
  expect_recovers(d, {recs[0], recs[1]}, ReplayStats{2, 0, 1, Journal::kRecordSize, false, {}});
}

TEST(Journal, CorruptRecordEndsTheReplayThere) {
  TempDir d;
  auto recs = three_leases(d);
  ASSERT_EQ(recs.size(), 3u);
  std::string bytes = read_file(d.journal());
  bytes[Journal::kHeaderSize + Journal::kRecordSize] = 7;  // record 2: unknown kind
  write_file(d.journal(), bytes);
  expect_recovers(d, {recs[0]}, ReplayStats{1, 0, 1, 2 * Journal::kRecordSize, false, {}});
  // What followed the damaged record is not thrown away: the file as it was is kept.
  EXPECT_EQ(read_file(d.path / ("leases.journal.damaged-" + std::to_string(kNow))), bytes);
}

TEST(Journal, UnknownHeaderFailsOpenAndLeavesTheFileAlone) {
  TempDir d;
  ASSERT_EQ(three_leases(d).size(), 3u);
  std::string bytes = read_file(d.journal());
  bytes[4] = 0;
  bytes[5] = 99;  // format version 99
  write_file(d.journal(), bytes);
  Journal::Options o;
  o.dir = d.str();
  std::string error;
  std::vector<JournalLease> live;
  EXPECT_FALSE(Journal::open(o, kNow, &live, nullptr, &error));
  EXPECT_NE(error.find("version 99"), std::string::npos) << error;
  EXPECT_NE(error.find(d.journal().string()), std::string::npos) << error;
  EXPECT_EQ(read_file(d.journal()), bytes);
  EXPECT_FALSE(fs::exists(d.path / "leases.journal.tmp"));

  bytes[0] = 'X';  // not ours at all
  write_file(d.journal(), bytes);
  EXPECT_FALSE(Journal::open(o, kNow, &live, nullptr, &error));
  EXPECT_NE(error.find("bad magic"), std::string::npos) << error;
  EXPECT_EQ(read_file(d.journal()), bytes);
}

TEST(Journal, OpenReportsAMissingDirAndASecondUser) {
  Journal::Options o;
  o.dir = "/nonexistent/bootstorm-state";
  std::string error;
  EXPECT_FALSE(Journal::open(o, kNow, nullptr, nullptr, &error));
  EXPECT_NE(error.find(o.dir), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;

  TempDir d;
  auto first = open_journal(d);
  ASSERT_TRUE(first);
  o.dir = d.str();
  EXPECT_FALSE(Journal::open(o, kNow, nullptr, nullptr, &error));
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
}

// A private mount namespace for this thread (and so the test process's main thread), once.
bool private_mounts(std::string* why) {
  static int err = [] {
    if (::unshare(CLONE_NEWNS) != 0) return errno;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
    return 0;
  }();
  if (err) *why = std::string("unshare/mount: ") + std::strerror(err);
  return err == 0;
}

TEST(Journal, DiskFullKeepsTheJournalIntactAndRecovers) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs (ENOSPC)";
  std::string why;
  if (!private_mounts(&why)) GTEST_SKIP() << why;
  TempDir d;
  if (::mount("tmpfs", d.str().c_str(), "tmpfs", 0, "size=64k,mode=0700") != 0) {
    GTEST_SKIP() << "mount tmpfs: " << std::strerror(errno);
  }
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{d.str()};

  Journal::Options o;
  o.retry_ms = 100;
  auto j = open_journal(d, nullptr, nullptr, o);
  ASSERT_TRUE(j);
  uint64_t tag = 0;
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(j->append(lease(i, ip_n(i)), ++tag));
  ASSERT_TRUE(pump_until(*j, [&] { return j->committed() == 3; }));
  const uint64_t good = j->file_bytes();

  // Fill the file system.
  const fs::path filler = d.path / "filler";
  int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  std::vector<char> block(4096, 'x');
  while (::write(fd, block.data(), block.size()) > 0) {
  }
  ASSERT_EQ(errno, ENOSPC);
  ::close(fd);

  // 200 records need pages the file system no longer has (the first may still partly fit:
  // a short write, continued, then ENOSPC).
  const uint64_t t0 = 1000;
  for (uint32_t i = 3; i < 203; ++i) ASSERT_TRUE(j->append(lease(i, ip_n(i)), ++tag));
  ASSERT_TRUE(pump_until(
      *j, [&] { return !j->healthy(); }, t0));
  EXPECT_EQ(j->last_error(), ENOSPC);
  EXPECT_GE(j->counters().enospc, 1u);
  EXPECT_GE(j->counters().errors, j->counters().enospc);
  EXPECT_EQ(j->committed(), 3u);
  EXPECT_TRUE(j->busy());
  EXPECT_EQ(j->queued(), 200u);
  EXPECT_EQ(j->file_bytes(), good);
  EXPECT_EQ(fs::file_size(d.journal()), good);  // the partial tail was cut
  std::vector<JournalLease> live;
  ReplayStats st;
  ASSERT_TRUE(Journal::replay(d.str(), kNow, &live, &st, nullptr));
  EXPECT_EQ(live.size(), 3u);
  EXPECT_EQ(st.torn_bytes, 0u);
  EXPECT_EQ(st.corrupt, 0u);

  // No retry before retry_ms, even with room again.
  fs::remove(filler);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(j->pump(t0 + o.retry_ms - 1));
  EXPECT_EQ(j->counters().retries, 0u);
  EXPECT_EQ(j->committed(), 3u);
  ASSERT_TRUE(pump_until(
      *j, [&] { return j->committed() == 203; }, t0 + o.retry_ms));
  EXPECT_TRUE(j->healthy());
  EXPECT_EQ(j->last_error(), 0);
  EXPECT_EQ(j->counters().retries, 1u);
  EXPECT_EQ(j->file_bytes(), good + 200 * Journal::kRecordSize);
  EXPECT_EQ(fs::file_size(d.journal()), j->file_bytes());
  j.reset();

  j = open_journal(d, &live, &st);
  ASSERT_TRUE(j);
  ASSERT_EQ(live.size(), 203u);
  for (uint32_t i = 0; i < 203; ++i) EXPECT_TRUE(same(live[i], lease(i, ip_n(i)))) << i;
  j.reset();
}

}  // namespace
}  // namespace bs::dhcp
