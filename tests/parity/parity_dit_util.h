#pragma once
// Helpers shared by the DiT/e2e parity tests: golden loading, parameter copy, error metrics.

#include <cstdlib>
#include <filesystem>
#include <string>

#include <torch/torch.h>

#include "io/tensor_io.h"

namespace fvs::gpu::testing {

inline std::filesystem::path parityDataDir() {
    const char* env = std::getenv("FVS_PARITY_DATA");
    return env ? std::filesystem::path(env)
               : std::filesystem::path(FVS_SOURCE_DIR) / "tests/data/parity";
}

// Throws std::runtime_error with the reader's message: the QtTest wrappers turn it into a failure.
inline TensorMap loadGolden(const std::string& relative) {
    auto r = readSafeTensors(parityDataDir() / relative, ReadOptions{false, {}});
    if (!r) {
        throw std::runtime_error(r.error().message);
    }
    return std::move(r).value();
}

inline const torch::Tensor& golden(const TensorMap& m, const std::string& key) {
    auto it = m.find(key);
    if (it == m.end()) {
        throw std::runtime_error("golden has no tensor '" + key + "'");
    }
    return it->second;
}

// Copies every `prefix`+name tensor of the golden into the module parameter `name` (fp32).
// Returns the number of tensors copied; throws on a name the module does not have.
inline int copyParams(torch::nn::Module& module, const TensorMap& golden,
                      const std::string& prefix) {
    torch::NoGradGuard noGrad;
    auto params = module.named_parameters(true);
    int copied = 0;
    for (const auto& [key, value] : golden) {
        if (key.rfind(prefix, 0) != 0) {
            continue;
        }
        const std::string name = key.substr(prefix.size());
        auto* p = params.find(name);
        if (p == nullptr) {
            throw std::runtime_error("module has no parameter '" + name + "'");
        }
        p->copy_(value.to(p->scalar_type()));
        ++copied;
    }
    return copied;
}

// ||a - b|| / ||b|| in float64 (as goldens_common.rel_err).
inline double relErr(const torch::Tensor& a, const torch::Tensor& b) {
    auto ad = a.to(torch::kFloat64).cpu();
    auto bd = b.to(torch::kFloat64).cpu();
    return (ad - bd).norm().item<double>() / std::max(bd.norm().item<double>(), 1e-300);
}

}  // namespace fvs::gpu::testing
