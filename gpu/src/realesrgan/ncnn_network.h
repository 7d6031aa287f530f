#pragma once
// NcnnNetwork: an ncnn graph (io/ncnn_param.h + io/ncnn_bin.h) run with LibTorch. Each ncnn layer
// becomes one op whose name is the layer's name; blobs live in a table indexed by blob id and are
// dropped after their last reader. Built once (weights on the device, in the compute dtype) and
// immutable afterwards: forward() may run from any thread holding the device.

#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fvs/core/result.h"
#include "io/ncnn_bin.h"
#include "io/ncnn_param.h"

namespace fvs::gpu {

struct NcnnNetworkOptions {
    torch::Device device = torch::kCPU;
    torch::ScalarType dtype = torch::kFloat32;  // kHalf / kBFloat16 on CUDA
    bool channelsLast = false;
};

class NcnnNetwork {
public:
    // Reads and validates both files; a layer whose parameters this runner does not implement
    // (strides, dilation, activations, interpolation modes) is an error naming file and layer.
    static core::Result<std::shared_ptr<const NcnnNetwork>> load(
        const std::filesystem::path& paramFile, const std::filesystem::path& binFile,
        const NcnnNetworkOptions& options);

    // (N, C, H, W) in options().dtype on options().device -> the output blob.
    torch::Tensor forward(const torch::Tensor& input) const;

    const NcnnNetworkOptions& options() const { return m_options; }
    int inputChannels() const { return m_inputChannels; }
    size_t layerCount() const { return m_ops.size(); }
    int64_t parameterCount() const { return m_parameterCount; }
    const std::string& storageSummary() const { return m_storage; }  // e.g. "fp16 weights"

private:
    enum class Kind { Input, Split, Conv, PRelu, PixelShuffle, Interp, Binary, Eltwise, Concat };
    struct Op {
        Kind kind = Kind::Input;
        std::string name;
        std::vector<int> inputs;
        std::vector<int> outputs;
        torch::Tensor weight;  // conv (out, in, kh, kw) | prelu (1, C, 1, 1)
        torch::Tensor bias;    // conv (out)
        std::vector<int64_t> stride{1, 1}, padding{0, 0}, dilation{1, 1};
        int activation = 0;  // 0 none, 1 relu, 2 leaky relu, 4 sigmoid
        float activationParam = 0.0f;
        int factor = 1;             // pixel shuffle
        int interpMode = 1;         // 1 nearest, 2 bilinear, 3 bicubic
        bool alignCorners = false;  // interp
        double scaleH = 1, scaleW = 1;
        int outH = 0, outW = 0;  // interp fixed size (0: from the scales)
        int binaryOp = 0;        // 0 add, 1 sub, 2 mul, 3 div
        bool withScalar = false;
        float scalar = 0.0f;
        int eltwiseOp = 1;  // 0 product, 1 sum, 2 max
        std::vector<float> coeffs;
        int64_t axis = 1;  // concat, in (N, C, H, W)
    };

    static core::Result<Op> makeOp(const NcnnLayer& layer, NcnnLayerWeights* weights,
                                   const NcnnGraph& graph, const NcnnNetworkOptions& options);
    torch::Tensor run(const Op& op, std::vector<torch::Tensor>& args) const;

    NcnnNetworkOptions m_options;
    std::vector<Op> m_ops;
    std::vector<int> m_lastUse;  // blob id -> index of the last op reading it
    int m_blobCount = 0;
    int m_inputBlob = -1;
    int m_outputBlob = -1;
    int m_inputChannels = 3;
    int64_t m_parameterCount = 0;
    std::string m_storage;
};

}  // namespace fvs::gpu
