#include "cuda/cudnn_paged_sdpa.h"

#ifdef FVS_HAVE_CUDNN_FRONTEND

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>

#include <ATen/cuda/CUDAContext.h>
#include <ATen/cudnn/Handle.h>
#include <cudnn_frontend.h>

namespace fvs::gpu {
namespace {

namespace fe = cudnn_frontend;

constexpr int64_t kTokens = 128;

enum Uid : int64_t { kQ = 1, kK, kV, kO, kSeqQ, kSeqKv, kTableK, kTableV };

// One graph per shape: batch entries, pages in the container, page-table width, head dim, dtype.
using PlanKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int, int, double>;

struct Plan {
    std::shared_ptr<fe::graph::Graph> graph;
    int64_t workspaceBytes = 0;
    torch::Tensor seqLenQ;  // (B, 1, 1, 1) int32, all 128
};

void check(fe::error_t status, const char* step, const PlanKey& key) {
    TORCH_CHECK(status.is_good(), "cuDNN paged attention: ", step, " failed (B=", std::get<0>(key),
                ", pages=", std::get<1>(key), ", T=", std::get<2>(key), ", d=", std::get<3>(key),
                "): ", status.get_message());
}

Plan buildPlan(const PlanKey& key, cudnnHandle_t handle, const torch::Tensor& q) {
    const auto [b, pages, t, d, dtype, deviceIndex, scale] = key;
    const auto io =
        q.scalar_type() == torch::kBFloat16 ? fe::DataType_t::BFLOAT16 : fe::DataType_t::HALF;
    auto graph = std::make_shared<fe::graph::Graph>();
    graph->set_io_data_type(io)
        .set_intermediate_data_type(fe::DataType_t::FLOAT)
        .set_compute_data_type(fe::DataType_t::FLOAT);
    const std::vector<int64_t> blockStride{kTokens * d, kTokens * d, d, 1};
    auto qT = graph->tensor(fe::graph::Tensor_attributes()
                                .set_name("q")
                                .set_uid(kQ)
                                .set_dim({b, 1, kTokens, d})
                                .set_stride(blockStride));
    auto kT = graph->tensor(fe::graph::Tensor_attributes()
                                .set_name("k_pages")
                                .set_uid(kK)
                                .set_dim({pages, 1, kTokens, d})
                                .set_stride(blockStride));
    auto vT = graph->tensor(fe::graph::Tensor_attributes()
                                .set_name("v_pages")
                                .set_uid(kV)
                                .set_dim({pages, 1, kTokens, d})
                                .set_stride(blockStride));
    auto lengths = [&](const char* name, int64_t uid) {
        return graph->tensor(fe::graph::Tensor_attributes()
                                 .set_name(name)
                                 .set_uid(uid)
                                 .set_dim({b, 1, 1, 1})
                                 .set_stride({1, 1, 1, 1})
                                 .set_data_type(fe::DataType_t::INT32));
    };
    auto table = [&](const char* name, int64_t uid) {
        return graph->tensor(fe::graph::Tensor_attributes()
                                 .set_name(name)
                                 .set_uid(uid)
                                 .set_dim({b, 1, t, 1})
                                 .set_stride({t, t, 1, 1})
                                 .set_data_type(fe::DataType_t::INT32));
    };
    auto options = fe::graph::SDPA_attributes()
                       .set_name("lcsa_paged")
                       .set_generate_stats(false)
                       .set_attn_scale(static_cast<float>(scale))
                       .set_padding_mask(true)
                       .set_seq_len_q(lengths("seq_len_q", kSeqQ))
                       .set_seq_len_kv(lengths("seq_len_kv", kSeqKv))
                       .set_paged_attention_k_table(table("table_k", kTableK))
                       .set_paged_attention_v_table(table("table_v", kTableV))
                       .set_paged_attention_max_seq_len_kv(static_cast<int>(t * kTokens));
    auto [o, stats] = graph->sdpa(qT, kT, vT, options);
    (void)stats;
    o->set_output(true).set_dim({b, 1, kTokens, d}).set_stride(blockStride).set_uid(kO);
    check(graph->build(handle, {fe::HeurMode_t::A}), "build", key);
    Plan plan;
    plan.graph = graph;
    check(graph->get_workspace_size(plan.workspaceBytes), "workspace size", key);
    plan.seqLenQ =
        torch::full({b, 1, 1, 1}, static_cast<int32_t>(kTokens), q.options().dtype(torch::kInt32));
    return plan;
}

}  // namespace

bool cudnnPagedSdpaAvailable(const torch::Device& device) {
    if (!device.is_cuda() || !torch::cuda::is_available()) {
        return false;
    }
    const auto* props = at::cuda::getDeviceProperties(device.has_index() ? device.index() : 0);
    return props->major >= 8;
}

torch::Tensor cudnnPagedSdpa(const torch::Tensor& q, const torch::Tensor& kPages,
                             const torch::Tensor& vPages, const torch::Tensor& table,
                             const torch::Tensor& seqLenKv, double scale) {
    TORCH_CHECK(
        q.is_cuda() && q.dim() == 4 && q.size(1) == 1 && q.size(2) == kTokens && q.is_contiguous(),
        "cudnnPagedSdpa: q must be contiguous CUDA (B, 1, 128, d), got ", q.sizes());
    TORCH_CHECK(q.scalar_type() == torch::kBFloat16 || q.scalar_type() == torch::kHalf,
                "cudnnPagedSdpa: bf16 or fp16, got ", q.scalar_type());
    TORCH_CHECK(
        kPages.sizes() == vPages.sizes() && kPages.dim() == 4 && kPages.size(1) == 1 &&
            kPages.size(2) == kTokens && kPages.size(3) == q.size(3) && kPages.is_contiguous() &&
            vPages.is_contiguous() && kPages.scalar_type() == q.scalar_type() &&
            vPages.scalar_type() == q.scalar_type(),
        "cudnnPagedSdpa: pages ", kPages.sizes(), " / ", vPages.sizes(), " for q ", q.sizes());
    const int64_t b = q.size(0);
    TORCH_CHECK(table.dim() == 4 && table.size(0) == b && table.size(1) == 1 &&
                    table.size(3) == 1 && table.scalar_type() == torch::kInt32 &&
                    table.is_contiguous(),
                "cudnnPagedSdpa: table must be contiguous int32 (B, 1, T, 1), got ", table.sizes(),
                " ", table.scalar_type());
    TORCH_CHECK(seqLenKv.numel() == b && seqLenKv.scalar_type() == torch::kInt32 &&
                    seqLenKv.is_contiguous(),
                "cudnnPagedSdpa: seqLenKv must be ", b, " contiguous int32, got ",
                seqLenKv.sizes());
    const PlanKey key{b,
                      kPages.size(0),
                      table.size(2),
                      q.size(3),
                      static_cast<int>(q.scalar_type()),
                      q.get_device(),
                      scale};
    cudnnHandle_t handle = at::native::getCudnnHandle();
    const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
    TORCH_CHECK(cudnnSetStream(handle, stream) == CUDNN_STATUS_SUCCESS,
                "cudnnPagedSdpa: cudnnSetStream failed");
    // Plans belong to the thread's cuDNN handle (LibTorch keeps one per thread and device).
    thread_local std::map<PlanKey, Plan> plans;
    auto it = plans.find(key);
    if (it == plans.end()) {
        it = plans.emplace(key, buildPlan(key, handle, q)).first;
    }
    Plan& plan = it->second;
    auto out = torch::empty_like(q);
    auto workspace =
        torch::empty({std::max<int64_t>(plan.workspaceBytes, 1)}, q.options().dtype(torch::kUInt8));
    std::unordered_map<int64_t, void*> pack{
        {kQ, q.data_ptr()},
        {kK, kPages.data_ptr()},
        {kV, vPages.data_ptr()},
        {kO, out.data_ptr()},
        {kSeqQ, plan.seqLenQ.data_ptr()},
        {kSeqKv, seqLenKv.data_ptr()},
        {kTableK, table.data_ptr()},
        {kTableV, table.data_ptr()},
    };
    check(plan.graph->execute(handle, pack, workspace.data_ptr()), "execute", key);
    return out;
}

}  // namespace fvs::gpu

#else  // no cudnn-frontend in this build

namespace fvs::gpu {

bool cudnnPagedSdpaAvailable(const torch::Device&) {
    return false;
}

torch::Tensor cudnnPagedSdpa(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                             const torch::Tensor&, const torch::Tensor&, double) {
    TORCH_CHECK(false,
                "cudnnPagedSdpa: this build has no cuDNN paged attention (CPU build, or "
                "cudnn-frontend not found at configure time)");
}

}  // namespace fvs::gpu

#endif
