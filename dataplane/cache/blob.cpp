#include "blob.hpp"

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

bool Blob::in_flight() const {
  for (size_t i = 0; i < size_t(kMaxWorkers) * chunks; ++i)
    if (rte_mbuf_ext_refcnt_read(&shinfo[i]) != 1) return true;
  return false;
}

Blob* Blob::copy_of(std::string_view bytes) {
  Blob* b = create(bytes.size(), false);
  if (b && !bytes.empty()) std::memcpy(b->data, bytes.data(), bytes.size());
  return b;
}

void Blob::destroy(Blob* b) {
  if (!b) return;
  munmap(b->data, b->map_len);
  delete[] b->shinfo;
  delete b;
}

}  // namespace bs::cache
