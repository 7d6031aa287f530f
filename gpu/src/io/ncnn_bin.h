#pragma once
// The weights of an ncnn .bin file, read in the layer order of its .param graph (ncnn_param.h).
// Convolution: the weight (a 4-byte storage tag, then fp32 or fp16 values, padded to 4 bytes) and,
// with bias_term, num_output raw fp32 biases. PReLU: num_slope raw fp32 slopes. Other layers
// carry no weights. Strict: an unknown storage tag, a short file or bytes left over are errors
// naming the file and the layer.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fvs/core/result.h"
#include "io/ncnn_param.h"

namespace fvs::gpu {

enum class NcnnStorage { Float32, Float16 };

struct NcnnWeight {
    std::vector<float> values;
    NcnnStorage storage = NcnnStorage::Float32;
};

struct NcnnLayerWeights {
    NcnnWeight weight;  // Convolution kernel (out, in, kh, kw) or PReLU slopes
    NcnnWeight bias;    // Convolution bias; empty without bias_term
};

struct NcnnWeights {
    std::filesystem::path file;
    std::map<std::string, NcnnLayerWeights> byLayer;  // layer name -> weights
    int64_t fp16Tensors = 0;
    int64_t fp32Tensors = 0;
};

core::Result<NcnnWeights> readNcnnBin(const std::filesystem::path& file, const NcnnGraph& graph);

}  // namespace fvs::gpu
