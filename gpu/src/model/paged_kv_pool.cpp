#include "model/paged_kv_pool.h"

#include <algorithm>
#include <cmath>

#include "model/sparse_attention.h"

namespace fvs::gpu {

void PagedKvPool::reserve(int64_t slots, int64_t heads, int64_t windowsPerGroup, int64_t headDim,
                          torch::Dtype dtype, const torch::Device& device) {
    TORCH_CHECK(slots > 0 && heads > 0 && windowsPerGroup > 0 && headDim > 0,
                "PagedKvPool::reserve: slots ", slots, " heads ", heads, " windows ",
                windowsPerGroup, " head dim ", headDim);
    const bool sameShape = m_k.defined() && m_heads == heads && m_ws == windowsPerGroup &&
                           m_headDim == headDim && m_k.scalar_type() == dtype &&
                           m_k.device() == device;
    if (sameShape && slots <= m_slots) {
        return;
    }
    auto options = torch::TensorOptions().dtype(dtype).device(device);
    auto k = torch::empty({slots, heads, windowsPerGroup, kBlockTokens, headDim}, options);
    auto v = torch::empty_like(k);
    auto means = torch::empty({slots, windowsPerGroup, heads * headDim}, options);
    if (sameShape) {
        k.slice(0, 0, m_slots).copy_(m_k);  // growing: keep every slot
        v.slice(0, 0, m_slots).copy_(m_v);
        means.slice(0, 0, m_slots).copy_(m_means);
        for (int64_t s = m_slots; s < slots; ++s) {
            m_free.push_back(s);
        }
    } else {
        m_free.clear();
        for (int64_t s = 0; s < slots; ++s) {
            m_free.push_back(s);
        }
        m_bias.clear();
    }
    m_k = k;
    m_v = v;
    m_means = means;
    m_slots = slots;
    m_heads = heads;
    m_ws = windowsPerGroup;
    m_headDim = headDim;
}

void PagedKvPool::reset() {
    m_free.clear();
    for (int64_t s = 0; s < m_slots; ++s) {
        m_free.push_back(s);
    }
}

int64_t PagedKvPool::takeSlot() {
    TORCH_CHECK(m_k.defined(), "PagedKvPool::takeSlot before reserve()");
    if (m_free.empty()) {
        reserve(m_slots + 1, m_heads, m_ws, m_headDim, m_k.scalar_type(), m_k.device());
    }
    // Lowest free slot first: the same schedule always gives the same slots (reproducible runs).
    auto lowest = std::min_element(m_free.begin(), m_free.end());
    const int64_t slot = *lowest;
    m_free.erase(lowest);
    return slot;
}

void PagedKvPool::releaseSlot(int64_t slot) {
    TORCH_CHECK(slot >= 0 && slot < m_slots &&
                    std::find(m_free.begin(), m_free.end(), slot) == m_free.end(),
                "PagedKvPool::releaseSlot: slot ", slot, " of ", m_slots, " is not in use");
    m_free.push_back(slot);
}

void PagedKvPool::write(int64_t slot, const torch::Tensor& kWindows, const torch::Tensor& vWindows,
                        const torch::Tensor& kMeans) {
    const int64_t dim = m_heads * m_headDim;
    TORCH_CHECK(slot >= 0 && slot < m_slots, "PagedKvPool::write: slot ", slot, " of ", m_slots);
    TORCH_CHECK(kWindows.sizes() == torch::IntArrayRef({m_ws, kBlockTokens, dim}) &&
                    vWindows.sizes() == kWindows.sizes() &&
                    kMeans.sizes() == torch::IntArrayRef({m_ws, dim}),
                "PagedKvPool::write: k ", kWindows.sizes(), " v ", vWindows.sizes(), " means ",
                kMeans.sizes(), " for (", m_ws, ", 128, ", dim, ")");
    auto headMajor = [&](const torch::Tensor& t) {
        return t
            .view({m_ws, kBlockTokens, m_heads, m_headDim})  // (ws, 128, H, d)
            .permute({2, 0, 1, 3});                          // (H, ws, 128, d)
    };
    m_k[slot].copy_(headMajor(kWindows));
    m_v[slot].copy_(headMajor(vWindows));
    m_means[slot].copy_(kMeans);
}

std::vector<torch::Tensor*> PagedKvPool::stateTensors() {
    std::vector<torch::Tensor*> all{&m_k, &m_v, &m_means};
    for (auto& [key, bias] : m_bias) {
        all.push_back(&bias);
    }
    return all;
}

torch::Tensor PagedKvPool::kPages() const {
    return m_k.view({-1, 1, kBlockTokens, m_headDim});  // (slots*H*ws, 1, 128, d)
}

torch::Tensor PagedKvPool::vPages() const {
    return m_v.view({-1, 1, kBlockTokens, m_headDim});  // (slots*H*ws, 1, 128, d)
}

torch::Tensor PagedKvPool::slotIndex(const std::vector<int64_t>& slots) const {
    for (int64_t s : slots) {
        TORCH_CHECK(s >= 0 && s < m_slots, "PagedKvPool: slot ", s, " of ", m_slots);
    }
    // A small host-to-device copy without a stream sync (pinned staging).
    auto host = torch::tensor(slots, torch::TensorOptions().dtype(torch::kInt64));
    if (m_k.is_cuda()) {
        host = host.pin_memory();
    }
    return host.to(m_k.device(), /*non_blocking=*/true);
}

torch::Tensor PagedKvPool::means(const std::vector<int64_t>& slots) const {
    return m_means.index_select(0, slotIndex(slots)).view({-1, m_heads * m_headDim});  // (n*ws, D)
}

torch::Tensor PagedKvPool::windows(const std::vector<int64_t>& slots, bool values) const {
    const auto& pool = values ? m_v : m_k;
    return pool
        .index_select(0, slotIndex(slots))                  // (n, H, ws, 128, d)
        .permute({0, 2, 3, 1, 4})                           // (n, ws, 128, H, d)
        .reshape({-1, kBlockTokens, m_heads * m_headDim});  // (n*ws, 128, D)
}

PageTable PagedKvPool::pageTable(const std::vector<int64_t>& slots,
                                 const torch::Tensor& mask) const {
    const int64_t lk = static_cast<int64_t>(slots.size()) * m_ws;
    TORCH_CHECK(
        mask.dim() == 4 && mask.size(0) == 1 && mask.size(1) == m_heads && mask.size(3) == lk,
        "PagedKvPool::pageTable: mask ", mask.sizes(), " for ", m_heads, " heads and ", lk,
        " key blocks");
    const int64_t lq = mask.size(2);
    auto m = mask[0].to(torch::kBool);  // (H, Lq, Lk)
    auto i32 = torch::TensorOptions().dtype(torch::kInt32).device(m.device());
    // Page of (logical key block j, head h) = (slot(j / ws) * H + h) * ws + j % ws.
    auto slot = slotIndex(slots).to(torch::kInt32).repeat_interleave(m_ws);  // (Lk)
    auto window = torch::arange(m_ws, i32).repeat({static_cast<int64_t>(slots.size())});
    auto head = torch::arange(m_heads, i32).view({m_heads, 1, 1});
    auto page = (slot.view({1, 1, lk}) * m_heads + head) * m_ws + window.view({1, 1, lk});
    // Compact the selected blocks of each row in key order: block j goes to column
    // (selected blocks before j); unselected ones to a spare column that is cut off.
    auto column = torch::where(m, m.cumsum(-1, torch::kInt64) - 1,
                               torch::full({}, lk, m.options().dtype(torch::kInt64)));
    auto table = torch::zeros({m_heads, lq, lk + 1}, i32)
                     .scatter_(2, column, page.expand({m_heads, lq, lk}).contiguous())
                     .slice(2, 0, lk);  // (H, Lq, Lk): unused tail entries stay page 0
    PageTable out;
    out.table = table.reshape({m_heads * lq, 1, lk, 1}).contiguous();
    auto count = m.sum(-1, false, torch::kInt32).flatten();  // (B)
    out.seqLenKv = (count * static_cast<int32_t>(kBlockTokens)).view({-1, 1, 1, 1}).contiguous();
    out.nonEmpty = count > 0;
    return out;
}

torch::Tensor pagedAttentionReference(const torch::Tensor& q, const torch::Tensor& kPages,
                                      const torch::Tensor& vPages, const PageTable& pages,
                                      double scale) {
    const int64_t b = q.size(0);
    const int64_t d = q.size(3);
    auto table = pages.table.to(torch::kCPU).view({b, -1});
    auto lengths = pages.seqLenKv.to(torch::kCPU).view({b});
    auto out = torch::zeros({b, 1, kBlockTokens, d}, q.options().dtype(torch::kFloat32));
    for (int64_t i = 0; i < b; ++i) {
        const int64_t n = lengths[i].item<int64_t>() / kBlockTokens;
        if (n == 0) {
            continue;  // no key block: zeros
        }
        auto idx = table[i].slice(0, 0, n).to(torch::kInt64).to(kPages.device());
        auto ks = kPages.index_select(0, idx).reshape({n * kBlockTokens, d}).to(torch::kFloat32);
        auto vs = vPages.index_select(0, idx).reshape({n * kBlockTokens, d}).to(torch::kFloat32);
        auto qs = q[i][0].to(torch::kFloat32);  // (128, d)
        auto p = torch::softmax(torch::matmul(qs, ks.t()) * scale, -1);
        out[i][0].copy_(torch::matmul(p, vs));
    }
    return out;
}

}  // namespace fvs::gpu
