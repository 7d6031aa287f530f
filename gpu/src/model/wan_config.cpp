#include "model/wan_config.h"

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace fvs::gpu {
namespace {

core::Result<torch::Tensor> need(const TensorMap& m, const std::string& key, int64_t dims) {
    auto it = m.find(key);
    if (it == m.end()) {
        return core::makeError(core::ErrorCode::ModelError,
                               "DiT weights: missing key '" + key + "'");
    }
    if (it->second.dim() != dims) {
        return core::makeError(core::ErrorCode::ModelError, "DiT weights: key '" + key + "' has " +
                                                                std::to_string(it->second.dim()) +
                                                                " dims, expected " +
                                                                std::to_string(dims));
    }
    return it->second;
}

}  // namespace

core::Result<WanConfig> WanConfig::fromWeights(const TensorMap& dit,
                                               const std::filesystem::path& configJson) {
    WanConfig c;
    auto patch = need(dit, "patch_embedding.weight", 5);  // (dim, in, 1, 2, 2)
    auto text = need(dit, "text_embedding.0.weight", 2);  // (dim, text_dim)
    auto time = need(dit, "time_embedding.0.weight", 2);  // (dim, freq_dim)
    auto ffn = need(dit, "blocks.0.ffn.0.weight", 2);     // (ffn_dim, dim)
    auto head = need(dit, "head.head.weight", 2);         // (out*4, dim)
    for (auto* r : {&patch, &text, &time, &ffn, &head}) {
        if (!*r) {
            return r->error();
        }
    }
    c.dim = patch->size(0);
    c.inDim = patch->size(1);
    if (patch->size(2) != 1 || patch->size(3) != 2 || patch->size(4) != 2) {
        return core::makeError(core::ErrorCode::ModelError,
                               "DiT weights: patch_embedding is not a (1,2,2) patch");
    }
    c.textDim = text->size(1);
    c.freqDim = time->size(1);
    c.ffnDim = ffn->size(0);
    if (head->size(0) % 4 != 0) {
        return core::makeError(core::ErrorCode::ModelError,
                               "DiT weights: head.head.weight rows not a multiple of 4");
    }
    c.outDim = head->size(0) / 4;
    c.numLayers = 0;
    while (dit.count("blocks." + std::to_string(c.numLayers) + ".modulation") != 0) {
        ++c.numLayers;
    }
    if (c.numLayers == 0) {
        return core::makeError(core::ErrorCode::ModelError, "DiT weights: no blocks found");
    }
    c.numHeads = c.dim / 128;
    if (!configJson.empty() && std::filesystem::exists(configJson)) {
        try {
            std::ifstream in(configJson);
            const auto j = nlohmann::json::parse(in);
            const auto& d = j.contains("dit") ? j.at("dit") : j;
            if (d.contains("num_heads")) {
                c.numHeads = d.at("num_heads").get<int64_t>();
            }
        } catch (const std::exception& e) {
            return core::makeError(core::ErrorCode::ModelError,
                                   configJson.filename().string() + ": " + e.what());
        }
    }
    if (c.numHeads <= 0 || c.dim % c.numHeads != 0 || c.headDim() % 2 != 0) {
        return core::makeError(core::ErrorCode::ModelError,
                               "DiT weights: dim " + std::to_string(c.dim) +
                                   " does not split into " + std::to_string(c.numHeads) +
                                   " heads of even size");
    }
    return c;
}

}  // namespace fvs::gpu
