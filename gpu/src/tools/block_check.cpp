#include "tools/block_check.h"

#include <algorithm>
#include <chrono>
#include <regex>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "engine/flashvsr_model.h"
#include "io/tensor_io.h"
#include "model/rope.h"
#include "model/sparse_attention.h"

namespace fvs::gpu {
namespace {

core::Error invalid(const std::filesystem::path& path, const std::string& what) {
    return core::makeError(core::ErrorCode::InvalidInput, path.string() + ": " + what);
}

std::string shapeOf(const torch::Tensor& t) {
    return shapeString(t.sizes());
}

// ||a - b|| / ||b|| with both in fp32 on the CPU (the issue's measure).
double relErr(const torch::Tensor& ours, const torch::Tensor& ref) {
    auto a = ours.to(torch::kCPU, torch::kFloat32);
    auto b = ref.to(torch::kCPU, torch::kFloat32);
    const double denom = b.norm().item<double>();
    return (a - b).norm().item<double>() / std::max(denom, 1e-30);
}

}  // namespace

core::Result<BlockTaps> readBlockTaps(const std::filesystem::path& path,
                                      const FlashVsrOptions& defaults) {
    // Through the safetensors reader; a tap file is input, not a model: its flaws are
    // InvalidInput.
    auto asInput = [](core::Error e) {
        if (e.code == core::ErrorCode::ModelError) {
            e.code = core::ErrorCode::InvalidInput;
        }
        return e;
    };
    auto meta = readSafeTensorsMetadata(path);
    if (!meta) {
        return asInput(meta.error());
    }
    auto tensors = readSafeTensors(path, ReadOptions{false, {}});
    if (!tensors) {
        return asInput(tensors.error());
    }
    BlockTaps taps;
    taps.sparseRatio = defaults.stream.sparseRatio;
    taps.kvRatio = defaults.stream.kvRatio;
    taps.localRange = defaults.stream.localRange;
    // Numbers from the metadata (strings, as safetensors stores them).
    auto number = [&](const char* key, auto& into) -> core::Status {
        auto it = meta->find(key);
        if (it == meta->end()) {
            return {};
        }
        try {
            size_t used = 0;
            if constexpr (std::is_same_v<std::decay_t<decltype(into)>, double>) {
                into = std::stod(it->second, &used);
            } else {
                into = std::stoll(it->second, &used);
            }
            if (used != it->second.size()) {
                throw std::invalid_argument(it->second);
            }
        } catch (const std::exception&) {
            return invalid(
                path, std::string("metadata '") + key + "' is not a number: '" + it->second + "'");
        }
        return {};
    };
    for (auto st : {number("chunk", taps.chunk), number("rope_t0", taps.ropeT0),
                    number("f", taps.f), number("h", taps.h), number("w", taps.w),
                    number("sparse_ratio", taps.sparseRatio), number("kv_ratio", taps.kvRatio),
                    number("local_range", taps.localRange), number("topk", taps.topk)}) {
        if (!st) {
            return st.error();
        }
    }
    if (taps.chunk < 0) {
        return invalid(path,
                       "no 'chunk' in the metadata: not a tap file of gpu_reference.py --taps");
    }
    if (meta->find("rope_t0") == meta->end()) {
        taps.ropeT0 = taps.chunk == 0 ? 0 : 4 + 2 * taps.chunk;  // the reference's RoPE offset
    }
    if (taps.f == 0) {
        taps.f = taps.chunk == 0 ? 6 : 2;  // latent frames the reference's DiT sees per chunk
    }
    if (taps.h <= 0 || taps.w <= 0) {
        return invalid(path,
                       "no token grid (metadata 'h', 'w') in the tap file; make it again with "
                       "tests/parity/tools/gpu_reference.py --taps");
    }
    auto find = [&](const std::string& key) -> torch::Tensor {
        auto it = tensors->find(key);
        return it == tensors->end() ? torch::Tensor() : it->second;
    };
    taps.tMod = find("tap.t_mod");
    taps.t = find("tap.t");
    if (!taps.tMod.defined()) {
        return invalid(path, "has no tap.t_mod");
    }
    static const std::regex blockKey(R"(tap\.block(\d+)\.x_in)");
    for (const auto& [key, value] : *tensors) {
        std::smatch m;
        if (!std::regex_match(key, m, blockKey)) {
            continue;
        }
        BlockTap b;
        b.index = std::stoll(m[1].str());
        const std::string p = "tap.block" + m[1].str() + ".";
        b.xIn = value;
        b.mask = find(p + "mask");
        b.xOut = find(p + "x_out");
        b.cacheKIn = find(p + "cache_k_in");
        b.cacheVIn = find(p + "cache_v_in");
        b.cacheKOut = find(p + "cache_k_out");
        b.cacheVOut = find(p + "cache_v_out");
        for (const auto& [name, t] :
             {std::pair{"mask", b.mask}, std::pair{"x_out", b.xOut},
              std::pair{"cache_k_out", b.cacheKOut}, std::pair{"cache_v_out", b.cacheVOut}}) {
            if (!t.defined()) {
                return invalid(path, "block " + m[1].str() + " has x_in but no " + p + name);
            }
        }
        if (b.cacheKIn.defined() != b.cacheVIn.defined()) {
            return invalid(path, "block " + m[1].str() + " has only one of cache_k_in/cache_v_in");
        }
        if (taps.chunk > 0 && !b.cacheKIn.defined()) {
            return invalid(path, "chunk " + std::to_string(taps.chunk) + " block " + m[1].str() +
                                     " has no input KV cache (cache_k_in)");
        }
        taps.blocks.push_back(std::move(b));
    }
    if (taps.blocks.empty()) {
        return invalid(path, "has no tapped block (tap.block<b>.x_in)");
    }
    std::sort(taps.blocks.begin(), taps.blocks.end(),
              [](const BlockTap& a, const BlockTap& b) { return a.index < b.index; });
    return taps;
}

core::Result<BlockCheckReport> checkBlocks(WanDit& dit, const BlockTaps& taps, double tolerance,
                                           const StreamOptions& stream) {
    torch::NoGradGuard noGrad;
    const auto& cfg = dit->config();
    const auto& weight = dit->patch_embedding->weight;
    const auto device = weight.device();
    const auto dtype = weight.scalar_type();
    const int64_t dim = cfg.dim;
    const int64_t f = taps.f, h = taps.h, w = taps.w;
    auto bad = [](const std::string& what) {
        return core::makeError(core::ErrorCode::InvalidInput, "taps: " + what);
    };
    if (taps.tMod.sizes() != torch::IntArrayRef({1, 6, dim})) {
        return bad("t_mod " + shapeOf(taps.tMod) + " does not fit the model (dim " +
                   std::to_string(dim) + ", expected (1, 6, " + std::to_string(dim) +
                   ")): the taps come from another model");
    }
    if (f % kWindowFrames != 0 || h % kWindowSide != 0 || w % kWindowSide != 0) {
        return bad("token grid (" + std::to_string(f) + ", " + std::to_string(h) + ", " +
                   std::to_string(w) + ") does not divide into 2x8x8 windows");
    }
    const int64_t ws = (h / kWindowSide) * (w / kWindowSide);  // windows per temporal group
    const int64_t lq = (f / kWindowFrames) * ws;
    const int64_t tokens = f * h * w;
    BlockCheckReport report;
    report.chunk = taps.chunk;
    report.ropeT0 = taps.ropeT0;
    report.f = f;
    report.h = h;
    report.w = w;
    report.kvGroups = static_cast<int64_t>(taps.kvRatio);
    report.localRange = taps.localRange;
    report.tolerance = tolerance;
    // topk as the DiT computes it from sparse_ratio and the padded output size (16 px per token).
    report.topk = lcsaTopk(ws, lcsaTopkRatio(taps.sparseRatio, 16 * h, 16 * w));
    if (taps.topk >= 0 && taps.topk != report.topk) {
        return bad("the reference used topk " + std::to_string(taps.topk) + " but sparse_ratio " +
                   std::to_string(taps.sparseRatio) + " at " + std::to_string(16 * h) + "x" +
                   std::to_string(16 * w) + " gives " + std::to_string(report.topk));
    }
    report.tModRel = relErr(dit->tMod(), taps.tMod);
    const auto tMod = taps.tMod.to(device, dtype);
    const auto local = localBlockMask(h / kWindowSide, w / kWindowSide, taps.localRange, device);
    const auto phases = ropePhases(cfg.headDim(), taps.ropeT0, f, h, w, device);
    bool pass = report.tModRel <= tolerance;
    try {
        for (const auto& b : taps.blocks) {
            const std::string name = "block " + std::to_string(b.index) + ": ";
            if (b.index < 0 || b.index >= cfg.numLayers) {
                return bad(name + "the model has " + std::to_string(cfg.numLayers) + " blocks");
            }
            if (b.xIn.sizes() != torch::IntArrayRef({1, tokens, dim}) ||
                b.xOut.sizes() != b.xIn.sizes()) {
                return bad(name + "x_in " + shapeOf(b.xIn) + " / x_out " + shapeOf(b.xOut) +
                           " do not fit the grid (" + std::to_string(f) + ", " + std::to_string(h) +
                           ", " + std::to_string(w) + ") and dim " + std::to_string(dim) +
                           ": expected (1, " + std::to_string(tokens) + ", " + std::to_string(dim) +
                           ")");
            }
            const int64_t cached = b.cacheKIn.defined() ? b.cacheKIn.size(0) : 0;
            for (const auto* c : {&b.cacheKIn, &b.cacheVIn, &b.cacheKOut, &b.cacheVOut}) {
                if (c->defined() && (c->dim() != 3 || c->size(1) != kBlockTokens ||
                                     c->size(2) != dim || c->size(0) % ws != 0)) {
                    return bad(name + "a KV cache tap is " + shapeOf(*c) + ", expected (groups*" +
                               std::to_string(ws) + ", 128, " + std::to_string(dim) + ")");
                }
            }
            // The kernel's mask is (1, heads, Lq, Lk); the tap drops the batch dim.
            auto mask = b.mask.dim() == 3 ? b.mask.unsqueeze(0) : b.mask;  // (1, H, Lq, Lk)
            const std::vector<int64_t> expected{1, cfg.numHeads, lq, lq + cached};
            if (mask.sizes() != torch::IntArrayRef(expected)) {
                return bad(name + "mask " + shapeOf(b.mask) + ", expected " +
                           shapeString(expected) + " (" + std::to_string(cfg.numHeads) +
                           " heads, " + std::to_string(lq) + " query blocks, " +
                           std::to_string(lq + cached) + " key blocks)");
            }
            mask = mask.to(device, torch::kBool);
            DitHooks hooks;
            hooks.injectMask = [&mask](int64_t) { return mask; };
            AttentionStats stats;
            SelfAttentionContext ctx;
            ctx.phases = phases;
            ctx.local = local;
            ctx.f = f;
            ctx.h = h;
            ctx.w = w;
            ctx.topk = report.topk;
            ctx.kvGroups = report.kvGroups;
            ctx.blockIndex = b.index;
            ctx.attention = stream.attention;
            ctx.gatherBudgetBytes = stream.gatherBudgetBytes;
            ctx.hooks = &hooks;
            ctx.stats = &stats;
            KvCache cache;
            if (b.cacheKIn.defined()) {
                cache.k = b.cacheKIn.to(device, dtype);
                cache.v = b.cacheVIn.to(device, dtype);
            }
            auto* block = dit->blocks->ptr<WanBlockImpl>(static_cast<size_t>(b.index)).get();
            auto y = block->forward(b.xIn.to(device, dtype), tMod, ctx, cache);  // (1, L, D)
            if (cache.k.sizes() != b.cacheKOut.sizes()) {
                return bad(name + "our KV cache after the block is " + shapeOf(cache.k) +
                           " but the reference's is " + shapeOf(b.cacheKOut) + " (kv_ratio " +
                           std::to_string(taps.kvRatio) + ")");
            }
            BlockCheckEntry e;
            e.block = b.index;
            e.xOut = relErr(y, b.xOut);
            e.cacheK = relErr(cache.k, b.cacheKOut);
            e.cacheV = relErr(cache.v, b.cacheVOut);
            e.maskFlips = stats.maskFlips;
            e.maskEntries = mask.numel();
            e.emptyQueryBlocks = stats.emptyQueryBlocks;
            e.pass = e.xOut <= tolerance && e.cacheK <= tolerance && e.cacheV <= tolerance;
            pass = pass && e.pass;
            report.blocks.push_back(e);
        }
    } catch (const c10::Error& e) {
        return core::makeError(core::ErrorCode::Internal, e.what_without_backtrace());
    }
    report.pass = pass;
    return report;
}

core::Result<FlashVsrOptions> debugOptions(const std::string& keyValues) {
    FlashVsrOptions options;
    options.model.device =
        torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    options.model.dtype = options.model.device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
    if (auto st = options.applyKeyValues(keyValues); !st) {
        return st.error();
    }
    return options;
}

core::Result<BlockCheckReport> runBlockCheck(const BlockCheckRequest& request) {
    const auto start = std::chrono::steady_clock::now();
    if (!(request.tolerance > 0.0)) {
        return core::makeError(core::ErrorCode::InvalidArgument, "--tol must be positive");
    }
    auto options = debugOptions(request.options);
    if (!options) {
        return options.error();
    }
    if (!std::filesystem::exists(request.tapsPath)) {
        return core::makeError(core::ErrorCode::NotFound,
                               "tap file '" + request.tapsPath + "' does not exist");
    }
    // The tap file first: its errors are cheap, the model load is not.
    auto taps = readBlockTaps(request.tapsPath, *options);
    if (!taps) {
        return taps.error();
    }
    auto model = FlashVsrModel::load(request.modelsDir, options->model);
    if (!model) {
        return model.error();
    }
    auto report = checkBlocks((*model)->dit(), *taps, request.tolerance, options->stream);
    if (!report) {
        return report.error();
    }
    report->device = options->model.device.str();
    report->dtype = options->model.dtype == torch::kBFloat16 ? "bf16" : "fp32";
    report->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

std::string blockCheckJson(const BlockCheckReport& r) {
    nlohmann::json j;
    j["chunk"] = r.chunk;
    j["rope_t0"] = r.ropeT0;
    j["grid"] = {r.f, r.h, r.w};
    j["topk"] = r.topk;
    j["kv_groups"] = r.kvGroups;
    j["local_range"] = r.localRange;
    j["t_mod_rel"] = r.tModRel;
    j["tolerance"] = r.tolerance;
    j["device"] = r.device;
    j["dtype"] = r.dtype;
    j["pass"] = r.pass;
    j["seconds"] = r.seconds;
    j["blocks"] = nlohmann::json::array();
    for (const auto& b : r.blocks) {
        j["blocks"].push_back({{"block", b.block},
                               {"x_out_rel", b.xOut},
                               {"cache_k_rel", b.cacheK},
                               {"cache_v_rel", b.cacheV},
                               {"mask_flips", b.maskFlips},
                               {"mask_entries", b.maskEntries},
                               {"empty_query_blocks", b.emptyQueryBlocks},
                               {"pass", b.pass}});
    }
    return j.dump(2) + "\n";
}

}  // namespace fvs::gpu
