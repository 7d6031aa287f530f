#pragma once
// Shared helpers of the decoder-side parity tests (LQ projector, TC decoder, VAE, colour fix).

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/tensor_io.h"

namespace fvs::gpu::testing {

inline std::filesystem::path parityDataDir() {
    const char* env = std::getenv("FVS_PARITY_DATA");
    return env ? std::filesystem::path(env)
               : std::filesystem::path(FVS_SOURCE_DIR) / "tests" / "data" / "parity";
}

// A golden file with every floating tensor as a contiguous fp32 copy (bf16 goldens are exact).
inline TensorMap loadGolden(const std::string& relativePath) {
    auto read = readSafeTensors(parityDataDir() / relativePath);
    if (!read)
        throw std::runtime_error(relativePath + ": " + read.error().message);
    TensorMap out;
    for (auto& [key, value] : *read)
        out.emplace(key,
                    value.is_floating_point() ? value.to(torch::kFloat32).clone() : value.clone());
    return out;
}

inline const torch::Tensor& tensorOf(const TensorMap& map, const std::string& key) {
    const auto it = map.find(key);
    if (it == map.end())
        throw std::runtime_error("golden has no tensor '" + key + "'");
    return it->second;
}

// `weight.<key>` entries with the prefix removed: the release file's key names.
inline TensorMap weightsOf(const TensorMap& golden) {
    TensorMap out;
    const std::string prefix = "weight.";
    for (const auto& [key, value] : golden)
        if (key.rfind(prefix, 0) == 0)
            out.emplace(key.substr(prefix.size()), value);
    return out;
}

// ‖ours − golden‖₂ / ‖golden‖₂ in double.
inline double relError(const torch::Tensor& ours, const torch::Tensor& golden) {
    const auto a = ours.to(torch::kFloat64), b = golden.to(torch::kFloat64);
    if (a.sizes() != b.sizes())
        return 1e30;
    return (a - b).norm().item<double>() / std::max(b.norm().item<double>(), 1e-300);
}

inline double maxAbsError(const torch::Tensor& ours, const torch::Tensor& golden) {
    return (ours.to(torch::kFloat64) - golden.to(torch::kFloat64)).abs().max().item<double>();
}

inline std::string shapeOf(const torch::Tensor& t) {
    return shapeString(t.sizes());
}

// A decoder golden folder (tc_decoder, vae_decoder): weights.safetensors with release key names
// and one file per chunk. Sets two intra-op threads (the goldens were made with two).
struct DecoderGoldens {
    TensorMap weights;
    std::vector<TensorMap> chunks;
};

inline DecoderGoldens loadDecoderGoldens(const std::string& folder, int chunkCount = 3) {
    torch::set_num_threads(2);
    DecoderGoldens g;
    g.weights = weightsOf(loadGolden(folder + "/weights.safetensors"));
    for (int k = 0; k < chunkCount; ++k)
        g.chunks.push_back(loadGolden(folder + "/chunk" + std::to_string(k) + ".safetensors"));
    return g;
}

// `loader(weights, label)` (loadTcDecoder, loadWanVaeDecoder, ...) whose error becomes an exception
// (QtTest reports it as a failure).
template <class Loader>
auto loadOrThrow(Loader&& loader, const TensorMap& weights, const std::string& label) {
    auto decoder = loader(weights, label);
    if (!decoder)
        throw std::runtime_error(decoder.error().message);
    return *decoder;
}

// Failure text of a per-chunk comparison: "chunk k: rel X, shape A vs B".
inline std::string chunkMismatch(int chunk, double rel, const torch::Tensor& ours,
                                 const torch::Tensor& golden) {
    return "chunk " + std::to_string(chunk) + ": rel " + std::to_string(rel) + ", shape " +
           shapeOf(ours) + " vs " + shapeOf(golden);
}

}  // namespace fvs::gpu::testing
