#include "blob.hpp"

#include "../proto/ipv4.hpp"

#include <sys/mman.h>

#include <cstring>
#include <new>

namespace bs::cache {

namespace {
constexpr size_t kPage = 4096;
constexpr size_t kHugePage = 2u << 20;
size_t round_up(size_t n, size_t to) {
  return (n + to - 1) / to * to;
}
}  // namespace

Blob* Blob::create(uint64_t size, bool hugepages) {
  auto* b = new (std::nothrow) Blob;
  if (!b) return nullptr;
  b->size = size;
  void* p = MAP_FAILED;
  if (hugepages && size >= kHugePage) {
    b->map_len = round_up(size, kHugePage);
    p = mmap(nullptr, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
             -1, 0);
    b->huge = p != MAP_FAILED;
  }
  if (p == MAP_FAILED) {
    b->map_len = round_up(size ? size : 1, kPage);
    p = mmap(nullptr, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  if (p == MAP_FAILED) {
    delete b;
    return nullptr;
  }
  b->data = static_cast<uint8_t*>(p);
  if (rte_eal_iova_mode() == RTE_IOVA_VA) b->iova = rte_iova_t(reinterpret_cast<uintptr_t>(p));
  b->chunks = uint32_t(size / kChunk + 1);
  b->shinfo = new (std::nothrow) rte_mbuf_ext_shared_info[size_t(kMaxWorkers) * b->chunks];
  if (!b->shinfo) {
    munmap(p, b->map_len);
    delete b;
    return nullptr;
  }
  for (size_t i = 0; i < size_t(kMaxWorkers) * b->chunks; ++i) {
    b->shinfo[i].free_cb = [](void*, void*) {};  // never reaches zero: the blob's reference
    b->shinfo[i].fcb_opaque = b;
    rte_mbuf_ext_refcnt_set(&b->shinfo[i], 1);
  }
  return b;
}

namespace {
constexpr uint64_t kSumStep = 64;
uint32_t fold16(uint32_t x) {
  x = (x & 0xffff) + (x >> 16);
  return (x & 0xffff) + (x >> 16);
}
}  // namespace

void Blob::index_sums() {
  const uint64_t n = size / kSumStep;
  delete[] sums;
  sums = new (std::nothrow) uint16_t[n + 1];
  if (!sums) return;  // the worker then sums whole payloads
  uint32_t acc = 0;
  sums[0] = 0;
  for (uint64_t i = 0; i < n; ++i) {
    acc = fold16(acc + proto::csum_partial(proto::Bytes(data + i * kSumStep, kSumStep)));
    sums[i + 1] = uint16_t(acc);
  }
}

uint32_t Blob::payload_sum(uint64_t off, uint32_t len) const {
  const uint64_t a = (off + kSumStep - 1) / kSumStep * kSumStep;  // first whole step
  const uint64_t b = (off + len) / kSumStep * kSumStep;           // end of the last
  if (!sums || a >= b) return proto::csum_partial(proto::Bytes(data + off, len));
  // Head in the payload's own lanes; the middle (from the table: P(b) - P(a), one's
  // complement) and the tail are in the file's lanes, which are the payload's swapped when the
  // payload starts at an odd offset of the file (a and b are even).
  const uint32_t head = proto::csum_partial(proto::Bytes(data + off, a - off));
  const uint32_t mid = fold16(uint32_t(sums[b / kSumStep]) + (0xffffu - sums[a / kSumStep]));
  uint32_t rest = fold16(mid + proto::csum_partial(proto::Bytes(data + b, off + len - b)));
  if (off & 1) rest = ((rest & 0xff) << 8) | (rest >> 8);
  return head + rest;
}

bool Blob::in_flight() const {
  for (size_t i = 0; i < size_t(kMaxWorkers) * chunks; ++i)
    if (rte_mbuf_ext_refcnt_read(&shinfo[i]) != 1) return true;
  return false;
}

Blob* Blob::copy_of(std::string_view bytes) {
  Blob* b = create(bytes.size(), false);
  if (b && !bytes.empty()) std::memcpy(b->data, bytes.data(), bytes.size());
  if (b) b->index_sums();
  return b;
}

void Blob::destroy(Blob* b) {
  if (!b) return;
  munmap(b->data, b->map_len);
  delete[] b->shinfo;
  delete[] b->sums;
  delete b;
}

}  // namespace bs::cache
