// The file cache under a memory cap, and a file replaced on disk while a transfer reads it.
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "dataplane/proto/ipv4.hpp"
#include "harness.hpp"

namespace bs::test {
namespace {

using proto::TftpOp;

class CacheTest : public DataplaneTest {
 protected:
  bool cached(const std::string& path) {
    const cache::FileSlot* s = files_->index()->find(path);
    return s && s->blob.load() != nullptr;
  }
  void write(const std::string& path, const std::string& content) {
    std::ofstream out(root_ + "/" + path, std::ios::binary | std::ios::trunc);
    out << content;
    disk_[path] = content;
  }
};

TEST(BlobSums, PayloadSumFromTheTableEqualsTheSumOfTheBytes) {
  std::string bytes = pattern(20000, 5);
  std::fill(bytes.begin() + 5000, bytes.begin() + 7000, '\xff');  // carries everywhere
  cache::Blob* b = cache::Blob::copy_of(bytes);
  ASSERT_NE(b, nullptr);
  ASSERT_NE(b->sums, nullptr);
  for (uint64_t off : {0u, 1u, 2u, 63u, 64u, 65u, 511u, 1001u, 4999u, 5000u, 18531u})
    for (uint32_t len : {0u, 1u, 2u, 63u, 64u, 127u, 128u, 129u, 512u, 1001u, 1468u})
      if (off + len <= bytes.size()) {
        const uint32_t want = proto::csum_partial(proto::Bytes(b->data + off, len));
        EXPECT_EQ(proto::csum_fold(b->payload_sum(off, len)), proto::csum_fold(want))
            << "off " << off << " len " << len;
      }
  cache::Blob::destroy(b);
}

TEST_F(CacheTest, OverTheCapTheLeastRecentlyRequestedUnpinnedFileGoes) {
  // preloaded.bin (700 B) is pinned; pxelinux.0 1300, kernel.img 5000, two-blocks.bin 1024.
  files_->set_cap(7000);
  for (const char* f : {"pxelinux.0", "kernel.img", "two-blocks.bin"}) {
    Fetched r = fetch(f, proto::TftpOptions{}, 43000);
    ASSERT_TRUE(r.ok) << f;
    EXPECT_EQ(r.load_requests, 1u) << f;
  }
  // 700 + 1300 + 5000 + 1024 = 8024 > 7000: the oldest unpinned one goes, nothing else.
  EXPECT_EQ(files_->enforce_cap(), 1u);
  EXPECT_EQ(files_->evictions(), 1u);
  EXPECT_FALSE(cached("pxelinux.0"));
  EXPECT_TRUE(cached("kernel.img"));
  EXPECT_TRUE(cached("two-blocks.bin"));
  EXPECT_TRUE(cached("preloaded.bin"));
  EXPECT_EQ(files_->enforce_cap(), 0u);  // under the cap now
  // Requested again, it is loaded again, byte-identical.
  Fetched again = fetch("pxelinux.0", proto::TftpOptions{}, 43001);
  EXPECT_TRUE(again.ok);
  EXPECT_EQ(again.load_requests, 1u);
  EXPECT_EQ(again.data, disk_["pxelinux.0"]);
  // A pinned file stays even when it alone is over the cap.
  files_->set_cap(1);
  files_->enforce_cap();
  EXPECT_TRUE(cached("preloaded.bin"));
}

TEST_F(CacheTest, AFileInUseIsNotEvictedUntilItsTransferEnds) {
  Fetched warm = fetch("kernel.img", proto::TftpOptions{}, 43100);
  ASSERT_TRUE(warm.ok);
  send(client_udp(43101, proto::kTftpPort, tftp_request(TftpOp::rrq, "kernel.img")));
  poll();
  std::vector<Frame> out = sent();
  ASSERT_EQ(out.size(), 1u);  // DATA 1: the transfer holds the file
  const uint16_t tport = parse_udp(out[0]).f.udp.sport;
  files_->set_cap(1);
  files_->enforce_cap();
  EXPECT_TRUE(cached("kernel.img"));
  std::string got;
  for (uint16_t b = 1; b <= 10; ++b) {
    Udp u = parse_udp(out.at(0));
    auto p = proto::parse_tftp(u.f.payload);
    ASSERT_TRUE(p && p->op == TftpOp::data);
    got.append(p->data.begin(), p->data.end());
    send(client_udp(43101, tport, tftp_ack(b)));
    poll();
    out = sent();
    if (b < 10) {
      ASSERT_EQ(out.size(), 1u);
    }
  }
  EXPECT_EQ(got, disk_["kernel.img"]);
  files_->enforce_cap();
  EXPECT_FALSE(cached("kernel.img"));
}

TEST_F(CacheTest, AFileReplacedOnDiskServesItsOldVersionToTransfersInFlight) {
  const std::string old_content = disk_["kernel.img"];
  ASSERT_TRUE(fetch("kernel.img", proto::TftpOptions{}, 43200).ok);
  // A transfer is half-way through when the file changes.
  send(client_udp(43201, proto::kTftpPort, tftp_request(TftpOp::rrq, "kernel.img")));
  poll();
  std::vector<Frame> out = sent();
  ASSERT_EQ(out.size(), 1u);
  const uint16_t tport = parse_udp(out[0]).f.udp.sport;
  std::string got;
  auto take = [&](uint16_t b) {
    Udp u = parse_udp(out.at(0));
    auto p = proto::parse_tftp(u.f.payload);
    ASSERT_TRUE(p && p->op == TftpOp::data && p->block == b);
    got.append(p->data.begin(), p->data.end());
    send(client_udp(43201, tport, tftp_ack(b)));
    poll();
    out = sent();
  };
  for (uint16_t b = 1; b <= 4; ++b) take(b);

  write("kernel.img", pattern(3000, 77));  // a new size: seen as changed whatever the mtime
  std::vector<cache::FileSlot*> reload = files_->refresh(&snap_);
  ASSERT_EQ(reload.size(), 1u);
  loader_->request(reload[0]);
  std::vector<cache::FileSlot*> done;
  for (int i = 0; i < 2000 && loader_->busy(); ++i) loader_->poll(done, 1000);
  ASSERT_EQ(done.size(), 1u);

  for (uint16_t b = 5; b <= 10; ++b) take(b);
  EXPECT_EQ(got, old_content);  // the whole old version, not a mix
  // A new transfer gets the new version.
  Fetched fresh = fetch("kernel.img", proto::TftpOptions{}, 43202);
  EXPECT_TRUE(fresh.ok);
  EXPECT_EQ(fresh.data, disk_["kernel.img"]);
  EXPECT_NE(fresh.data, old_content);
}

}  // namespace
}  // namespace bs::test
