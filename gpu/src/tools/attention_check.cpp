#include "fvs/gpu/attention_check.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "cuda/cudnn_paged_sdpa.h"
#include "model/paged_kv_pool.h"
#include "model/sparse_attention.h"

namespace fvs::gpu {
namespace {

struct Case {
    const char* name;
    int64_t heads, headDim, ws, queryGroups, cachedGroups;
    double density;
};

double medianMs(const std::function<void()>& call, int repeats, const torch::Device& device) {
    call();  // warm-up: plan build, allocator
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
        torch::cuda::synchronize(device.index());
        const auto t0 = std::chrono::steady_clock::now();
        call();
        torch::cuda::synchronize(device.index());
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

}  // namespace

core::Result<AttentionCheckReport> runAttentionCheck(const AttentionCheckRequest& request) {
    try {
        const torch::Device device(request.device);
        if (!cudnnPagedSdpaAvailable(device)) {
            return core::makeError(core::ErrorCode::Unsupported,
                                   "no cuDNN paged attention on " + request.device +
                                       " (a CUDA build with cudnn-frontend and an sm80+ GPU)");
        }
        torch::NoGradGuard noGrad;
        // Steady and first chunk at 768x1408 output (66 windows per group), and a small odd case.
        const std::vector<Case> cases{
            {"768x1408 steady", 12, 128, 66, 1, 3, 0.45},
            {"768x1408 chunk 0", 12, 128, 66, 3, 0, 0.45},
            {"small, sparse", 3, 64, 5, 2, 1, 0.15},
        };
        AttentionCheckReport report;
        report.pass = true;
        auto bf16 = torch::TensorOptions().dtype(torch::kBFloat16).device(device);
        for (const auto& c : cases) {
            torch::manual_seed(1234);
            const int64_t dim = c.heads * c.headDim;
            const int64_t lq = c.queryGroups * c.ws;
            const int64_t groups = c.cachedGroups + c.queryGroups;
            const int64_t lk = groups * c.ws;
            PagedKvPool pool;
            pool.reserve(groups + 1, c.heads, c.ws, c.headDim, torch::kBFloat16, device);
            auto k = torch::randn({lk, kBlockTokens, dim}, bf16);
            auto v = torch::randn({lk, kBlockTokens, dim}, bf16);
            auto q = torch::randn({lq, kBlockTokens, dim}, bf16);
            std::vector<int64_t> slots;
            pool.takeSlot();  // slot 0 stays unused: page numbers do not start at 0
            for (int64_t g = 0; g < groups; ++g) {
                const int64_t slot = pool.takeSlot();
                auto part = [&](const torch::Tensor& t) {
                    return t.slice(0, g * c.ws, (g + 1) * c.ws);
                };
                pool.write(slot, part(k), part(v), part(k).mean(1));
                slots.push_back(slot);
            }
            auto mask = torch::rand({1, c.heads, lq, lk}, torch::TensorOptions().device(device)) <
                        c.density;
            mask.select(2, 0).select(1, 0).fill_(false);  // head 0, query block 0 selects nothing
            auto got = pagedBlockSparseAttention(q, pool, slots, mask, c.heads);  // (Lq,128,D)
            auto expected = blockSparseAttentionReference(
                q.to(torch::kFloat32), k.to(torch::kFloat32), v.to(torch::kFloat32), mask, c.heads);
            const double rel =
                ((got.to(torch::kFloat32) - expected).norm() / expected.norm()).item<double>();
            const double maxAbs = (got.to(torch::kFloat32) - expected).abs().max().item<double>();
            auto empty = got.view({lq, kBlockTokens, c.heads, c.headDim})
                             .select(0, 0)
                             .select(1, 0);  // (128, d) of head 0, query block 0
            const bool zeros = empty.abs().max().item<double>() == 0.0;
            const bool finite = torch::isfinite(got).all().item<bool>();
            const bool pass = rel <= request.tolerance && zeros && finite;
            report.pass = report.pass && pass;
            const double pagedMs =
                medianMs([&] { pagedBlockSparseAttention(q, pool, slots, mask, c.heads); },
                         request.repeats, device);
            const double gatherMs =
                medianMs([&] { blockSparseAttentionVarlen(q, k, v, mask, c.heads, 8LL << 30); },
                         request.repeats, device);
            const double flops = 4.0 * static_cast<double>(mask.sum().item<int64_t>()) *
                                 kBlockTokens * kBlockTokens * c.headDim;
            char line[320];
            std::snprintf(line, sizeof line,
                          "%-18s B=%lld T=%lld density %.2f: rel %.2e max abs %.2e, empty block "
                          "%s, paged %.3f ms (%.0f TFLOP/s), gather %.3f ms  %s\n",
                          c.name, static_cast<long long>(c.heads * lq), static_cast<long long>(lk),
                          mask.to(torch::kFloat32).mean().item<double>(), rel, maxAbs,
                          zeros ? "zeros" : "NOT ZERO", pagedMs, flops / pagedMs / 1e9, gatherMs,
                          pass ? "ok" : "FAIL");
            report.text += line;
        }
        // The mask selection's threshold kernel against kthvalue on the same probabilities.
        for (const auto& [rows, n] :
             {std::pair<int64_t, int64_t>{12, 66 * 264}, {36, 198 * 198}, {12, 112 * 448}}) {
            torch::manual_seed(99);
            auto probs = torch::softmax(
                torch::randn({rows, n}, torch::TensorOptions().device(device)) * 3, -1);
            probs.select(1, 5).fill_(0.0);  // exact zeros and ties occur (masked entries)
            const int64_t k = n / 3;
            auto fast = lcsaThreshold(probs, k, true);
            auto exact = lcsaThreshold(probs, k, false);
            const bool same = torch::equal(fast, exact);
            report.pass = report.pass && same;
            char line[200];
            std::snprintf(line, sizeof line, "mask threshold %lld rows x %lld: %s kthvalue\n",
                          static_cast<long long>(rows), static_cast<long long>(n),
                          same ? "equals" : "DIFFERS FROM");
            report.text += line;
        }
        return report;
    } catch (const std::exception& e) {
        return core::makeError(core::ErrorCode::Internal,
                               std::string("attention check failed: ") + e.what());
    }
}

}  // namespace fvs::gpu
