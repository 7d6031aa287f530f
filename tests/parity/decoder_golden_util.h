#pragma once
// Shared helpers of the decoder-side parity tests (LQ projector, TC decoder, VAE, colour fix).

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "tensor_io.h"

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

}  // namespace fvs::gpu::testing
