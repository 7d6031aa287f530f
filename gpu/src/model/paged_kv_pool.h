#pragma once
// The self-attention K/V cache of every DiT block of one stream as one pool of 128-token pages,
// head-major, for paged attention (cudnn_paged_sdpa.h). One slot holds one temporal group (the
// windows of two latent frames) of one block: heads × windowsPerGroup pages of (128, head_dim).
// A chunk writes its new groups into free slots; after the block's attention the groups beyond
// int(kv_ratio) go back to the free list. Dropping the oldest group therefore copies nothing, and
// the pool needs only one spare slot beyond the cached groups of all blocks in steady state.

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include <torch/torch.h>

namespace fvs::gpu {

// Page tables of one attention call: batch entry b = head * Lq + query block.
struct PageTable {
    torch::Tensor table;     // (B, 1, Lk, 1) int32 page indices, selected key blocks in key order
    torch::Tensor seqLenKv;  // (B, 1, 1, 1) int32 selected key tokens (blocks × 128)
    torch::Tensor nonEmpty;  // (B) bool: at least one key block selected
};

class PagedKvPool {
public:
    // Makes room for `slots` slots of `heads` × `windowsPerGroup` pages (dim = heads·headDim).
    // A different shape, dtype or device drops the whole pool (the stream is reset at such a
    // change anyway); the same shape with more slots grows it, keeping every slot's contents.
    void reserve(int64_t slots, int64_t heads, int64_t windowsPerGroup, int64_t headDim,
                 torch::Dtype dtype, const torch::Device& device);
    void reset();  // every slot free, contents dropped

    int64_t takeSlot();  // a free slot; grows the pool by one slot when none is free
    void releaseSlot(int64_t slot);
    int64_t freeSlots() const { return static_cast<int64_t>(m_free.size()); }
    int64_t slots() const { return m_slots; }

    // Stores one group: kWindows / vWindows (ws, 128, D) post-RoPE keys and values in
    // window-major layout, kMeans (ws, D) their block means (used by the mask selection).
    void write(int64_t slot, const torch::Tensor& kWindows, const torch::Tensor& vWindows,
               const torch::Tensor& kMeans);

    // The containers: (slots·heads·ws, 1, 128, headDim); page of (slot, head, window) =
    // (slot·heads + head)·ws + window.
    torch::Tensor kPages() const;
    torch::Tensor vPages() const;
    // Block means of the groups in `slots` (logical key order): (slots.size()·ws, D).
    torch::Tensor means(const std::vector<int64_t>& slots) const;
    // Window-major K or V of the groups in `slots` (logical key order): (n·ws, 128, D). For checks
    // and for the paths that do not read pages in place.
    torch::Tensor windows(const std::vector<int64_t>& slots, bool values) const;

    // Page tables for `mask` (1, heads, Lq, Lk) over the logical key order `slots` (Lk = slots·ws).
    // Device ops only: no host synchronisation.
    PageTable pageTable(const std::vector<int64_t>& slots, const torch::Tensor& mask) const;

    // The local-window bias of the mask selection by (query groups, key groups, windows, local
    // range, window columns).
    using BiasCache =
        std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>, torch::Tensor>;
    BiasCache& biasCache() { return m_bias; }

    // Every tensor the pool holds (pages, means, cached biases), for moving a parked stream's
    // state between the device and host memory (FlashVsrStream::setParking). Replacing one with a
    // copy on another device keeps the pool's contents.
    std::vector<torch::Tensor*> stateTensors();

private:
    torch::Tensor slotIndex(const std::vector<int64_t>& slots) const;

    torch::Tensor m_k, m_v;  // (slots, heads, ws, 128, headDim)
    torch::Tensor m_means;   // (slots, ws, D)
    std::vector<int64_t> m_free;
    int64_t m_slots = 0, m_heads = 0, m_ws = 0, m_headDim = 0;
    BiasCache m_bias;
};

// Exact attention of each page-table entry (fp32, any device): the reference for
// cudnnPagedSdpa in checks. q (B, 1, 128, d); returns (B, 1, 128, d) fp32, empty entries 0.
torch::Tensor pagedAttentionReference(const torch::Tensor& q, const torch::Tensor& kPages,
                                      const torch::Tensor& vPages, const PageTable& pages,
                                      double scale);

}  // namespace fvs::gpu
