#include "realesrgan/ncnn_network.h"

#include <set>

namespace fvs::gpu {
namespace {

namespace F = torch::nn::functional;

core::Error layerError(const NcnnGraph& graph, const NcnnLayer& layer, const std::string& what) {
    return core::makeError(core::ErrorCode::ModelError,
                           graph.file.string() + ":" + std::to_string(layer.line) + ": layer " +
                               layer.name + " (" + layer.type + "): " + what);
}

// Parameter ids each layer type may carry; anything else would change the maths silently.
const std::set<int>& knownParams(const std::string& type) {
    static const std::map<std::string, std::set<int>> table{
        {"Input", {0, 1, 2, 11}},
        {"Split", {}},
        {"Convolution", {0, 1, 11, 2, 12, 3, 13, 4, 14, 15, 16, 5, 6, 8, 9, -23310}},
        {"PReLU", {0}},
        {"PixelShuffle", {0, 1}},
        {"Interp", {0, 1, 2, 3, 4, 6}},
        {"BinaryOp", {0, 1, 2}},
        {"Eltwise", {0, -23301}},
        {"Concat", {0}},
    };
    return table.at(type);
}

}  // namespace

core::Result<NcnnNetwork::Op> NcnnNetwork::makeOp(const NcnnLayer& layer, NcnnLayerWeights* weights,
                                                  const NcnnGraph& graph,
                                                  const NcnnNetworkOptions& options) {
    for (const auto& [id, value] : layer.params) {
        if (!knownParams(layer.type).count(id))
            return layerError(graph, layer,
                              "parameter " + std::to_string(id) + " is not supported here");
    }
    Op op;
    op.name = layer.name;
    op.inputs = layer.inputs;
    op.outputs = layer.outputs;
    const auto upload = [&](const std::vector<float>& v, std::vector<int64_t> shape) {
        return torch::from_blob(const_cast<float*>(v.data()), {static_cast<int64_t>(v.size())},
                                torch::kFloat32)
            .reshape(shape)
            .to(options.device, options.dtype, /*non_blocking=*/false,
                /*copy=*/true);  // always a copy: the vector goes after loading
    };
    if (layer.type == "Input") {
        op.kind = Kind::Input;
    } else if (layer.type == "Split") {
        op.kind = Kind::Split;
    } else if (layer.type == "Convolution") {
        op.kind = Kind::Conv;
        const int out = layer.intParam(0, 0);
        const int kw = layer.intParam(1, 0), kh = layer.intParam(11, kw);
        const int dw = layer.intParam(2, 1), dh = layer.intParam(12, dw);
        const int sw = layer.intParam(3, 1), sh = layer.intParam(13, sw);
        const int pl = layer.intParam(4, 0), pt = layer.intParam(14, pl);
        const int pr = layer.intParam(15, pl), pb = layer.intParam(16, pt);
        if (kw <= 0 || kh <= 0 || dw <= 0 || dh <= 0 || sw <= 0 || sh <= 0)
            return layerError(graph, layer, "kernel, dilation and stride must be positive");
        if (pl < 0 || pt < 0 || pl != pr || pt != pb)
            return layerError(graph, layer,
                              "only symmetric, explicit padding is supported (pad " +
                                  std::to_string(pl) + "," + std::to_string(pr) + "," +
                                  std::to_string(pt) + "," + std::to_string(pb) + ")");
        if (layer.intParam(8, 0) != 0)
            return layerError(graph, layer, "int8 convolutions are not supported");
        op.activation = layer.intParam(9, 0);
        if (op.activation != 0 && op.activation != 1 && op.activation != 2 && op.activation != 4)
            return layerError(graph, layer,
                              "activation type " + std::to_string(op.activation) +
                                  " is not supported (0 none, 1 relu, 2 leaky relu, 4 sigmoid)");
        if (op.activation == 2) {
            const auto p = layer.arrayParam(10);
            op.activationParam = p.empty() ? 0.0f : p[0];
        }
        const auto& w = weights->weight.values;
        const int64_t perInput = int64_t{out} * kh * kw;
        if (static_cast<int64_t>(w.size()) % perInput != 0)
            return layerError(
                graph, layer,
                "weight_data_size " + std::to_string(w.size()) +
                    " is not a multiple of num_output*kh*kw = " + std::to_string(perInput));
        const int64_t in = static_cast<int64_t>(w.size()) / perInput;
        op.weight = upload(w, {out, in, kh, kw});  // (out, in, kh, kw), ncnn's order
        if (options.channelsLast)
            op.weight = op.weight.contiguous(at::MemoryFormat::ChannelsLast);
        if (!weights->bias.values.empty())
            op.bias = upload(weights->bias.values, {out});
        op.stride = {sh, sw};
        op.padding = {pt, pl};
        op.dilation = {dh, dw};
    } else if (layer.type == "PReLU") {
        op.kind = Kind::PRelu;
        const auto& s = weights->weight.values;
        op.weight = upload(s, {1, static_cast<int64_t>(s.size()), 1, 1});  // (1, C, 1, 1)
    } else if (layer.type == "PixelShuffle") {
        op.kind = Kind::PixelShuffle;
        op.factor = layer.intParam(0, 1);
        if (op.factor < 1 || layer.intParam(1, 0) != 0)
            return layerError(graph, layer, "only mode 0 (depth-to-space, CRD) is supported");
    } else if (layer.type == "Interp") {
        op.kind = Kind::Interp;
        op.interpMode = layer.intParam(0, 0);
        if (op.interpMode < 1 || op.interpMode > 3)
            return layerError(graph, layer,
                              "resize type " + std::to_string(op.interpMode) +
                                  " is not supported (1 nearest, 2 bilinear, 3 bicubic)");
        op.scaleH = layer.floatParam(1, 1.0f);
        op.scaleW = layer.floatParam(2, 1.0f);
        op.outH = layer.intParam(3, 0);
        op.outW = layer.intParam(4, 0);
        op.alignCorners = layer.intParam(6, 0) != 0;
        if (op.scaleH <= 0 || op.scaleW <= 0 || op.outH < 0 || op.outW < 0)
            return layerError(graph, layer, "bad scales or output size");
    } else if (layer.type == "BinaryOp") {
        op.kind = Kind::Binary;
        op.binaryOp = layer.intParam(0, 0);
        op.withScalar = layer.intParam(1, 0) != 0;
        op.scalar = layer.floatParam(2, 0.0f);
        if (op.binaryOp < 0 || op.binaryOp > 3)
            return layerError(graph, layer,
                              "operation " + std::to_string(op.binaryOp) +
                                  " is not supported (0 add, 1 sub, 2 mul, 3 div)");
        if (static_cast<int>(layer.inputs.size()) != (op.withScalar ? 1 : 2))
            return layerError(graph, layer, "needs two inputs, or one with a scalar");
    } else if (layer.type == "Eltwise") {
        op.kind = Kind::Eltwise;
        op.eltwiseOp = layer.intParam(0, 0);
        op.coeffs = layer.arrayParam(1);
        if (op.eltwiseOp < 0 || op.eltwiseOp > 2)
            return layerError(graph, layer, "operation must be 0 (prod), 1 (sum) or 2 (max)");
        if (!op.coeffs.empty() && op.coeffs.size() != layer.inputs.size())
            return layerError(graph, layer,
                              std::to_string(op.coeffs.size()) + " coefficients for " +
                                  std::to_string(layer.inputs.size()) + " inputs");
        if (!op.coeffs.empty() && op.eltwiseOp != 1)
            return layerError(graph, layer, "coefficients are only defined for a sum");
    } else if (layer.type == "Concat") {
        op.kind = Kind::Concat;
        const int axis = layer.intParam(0, 0);  // on ncnn's (C, H, W)
        if (axis < -3 || axis > 2)
            return layerError(graph, layer, "axis " + std::to_string(axis) + " out of range");
        op.axis = (axis < 0 ? axis + 3 : axis) + 1;  // +1: our batch dimension
    } else {
        return layerError(graph, layer, "unsupported layer type");
    }
    return op;
}

core::Result<std::shared_ptr<const NcnnNetwork>> NcnnNetwork::load(
    const std::filesystem::path& paramFile, const std::filesystem::path& binFile,
    const NcnnNetworkOptions& options) {
    auto graph = readNcnnParam(paramFile);
    if (!graph)
        return graph.error();
    auto weights = readNcnnBin(binFile, *graph);
    if (!weights)
        return weights.error();
    auto net = std::shared_ptr<NcnnNetwork>(new NcnnNetwork());
    net->m_options = options;
    net->m_blobCount = static_cast<int>(graph->blobNames.size());
    net->m_inputBlob = graph->inputBlob;
    net->m_outputBlob = graph->outputBlob;
    net->m_lastUse.assign(static_cast<size_t>(net->m_blobCount), -1);
    try {
        for (const auto& layer : graph->layers) {
            auto w = weights->byLayer.find(layer.name);
            auto op =
                makeOp(layer, w == weights->byLayer.end() ? nullptr : &w->second, *graph, options);
            if (!op)
                return op.error();
            for (int b : op->inputs)
                net->m_lastUse[static_cast<size_t>(b)] = static_cast<int>(net->m_ops.size());
            if (op->weight.defined())
                net->m_parameterCount += op->weight.numel();
            if (op->bias.defined())
                net->m_parameterCount += op->bias.numel();
            if (op->kind == Kind::Conv && net->m_ops.size() <= 2 &&
                op->inputs[0] == graph->inputBlob)
                net->m_inputChannels = static_cast<int>(op->weight.size(1));
            net->m_ops.push_back(std::move(op).value());
        }
    } catch (const c10::Error& e) {
        return core::makeError(core::ErrorCode::ModelError,
                               paramFile.string() + ": " + e.what_without_backtrace());
    }
    net->m_storage = std::to_string(weights->fp16Tensors) + " fp16 and " +
                     std::to_string(weights->fp32Tensors) + " fp32 weight tensors";
    return std::shared_ptr<const NcnnNetwork>(std::move(net));
}

torch::Tensor NcnnNetwork::run(const Op& op, std::vector<torch::Tensor>& args) const {
    switch (op.kind) {
        case Kind::Input:
        case Kind::Split:
            return args[0];
        case Kind::Conv: {
            TORCH_CHECK(args[0].size(1) == op.weight.size(1), op.name, ": expected ",
                        op.weight.size(1), " input channels, got ", args[0].sizes());
            auto y = F::conv2d(args[0], op.weight,
                               F::Conv2dFuncOptions()
                                   .bias(op.bias)
                                   .stride(op.stride)
                                   .padding(op.padding)
                                   .dilation(op.dilation));
            switch (op.activation) {
                case 1:
                    return y.relu_();
                case 2:
                    return F::leaky_relu(
                        y,
                        F::LeakyReLUFuncOptions().negative_slope(op.activationParam).inplace(true));
                case 4:
                    return y.sigmoid_();
                default:
                    return y;
            }
        }
        case Kind::PRelu:
            TORCH_CHECK(args[0].size(1) == op.weight.size(1), op.name, ": ", op.weight.size(1),
                        " slopes for input ", args[0].sizes());
            return torch::where(args[0] > 0, args[0], args[0] * op.weight);
        case Kind::PixelShuffle:
            return torch::pixel_shuffle(args[0], op.factor);  // (N, C*r*r, H, W) -> (N, C, rH, rW)
        case Kind::Interp: {
            const auto& x = args[0];
            const int64_t oh =
                op.outH > 0 ? op.outH
                            : static_cast<int64_t>(static_cast<double>(x.size(2)) * op.scaleH);
            const int64_t ow =
                op.outW > 0 ? op.outW
                            : static_cast<int64_t>(static_cast<double>(x.size(3)) * op.scaleW);
            auto o = F::InterpolateFuncOptions().size(std::vector<int64_t>{oh, ow});
            if (op.interpMode == 1)
                return F::interpolate(x, o.mode(torch::kNearest));
            o.align_corners(op.alignCorners);
            if (op.interpMode == 2)
                return F::interpolate(x, o.mode(torch::kBilinear));
            return F::interpolate(x, o.mode(torch::kBicubic));
        }
        case Kind::Binary: {
            const auto& a = args[0];
            if (op.withScalar) {
                switch (op.binaryOp) {
                    case 0:
                        return a + op.scalar;
                    case 1:
                        return a - op.scalar;
                    case 2:
                        return a * op.scalar;
                    default:
                        return a / op.scalar;
                }
            }
            const auto& b = args[1];
            switch (op.binaryOp) {
                case 0:
                    return a + b;
                case 1:
                    return a - b;
                case 2:
                    return a * b;
                default:
                    return a / b;
            }
        }
        case Kind::Eltwise: {
            torch::Tensor acc = op.coeffs.empty() ? args[0].clone() : args[0] * op.coeffs[0];
            for (size_t k = 1; k < args.size(); ++k) {
                if (op.eltwiseOp == 0)
                    acc.mul_(args[k]);
                else if (op.eltwiseOp == 2)
                    acc = torch::maximum(acc, args[k]);
                else if (op.coeffs.empty())
                    acc.add_(args[k]);
                else
                    acc.add_(args[k], op.coeffs[k]);
            }
            return acc;
        }
        case Kind::Concat:
            return torch::cat(args, op.axis);
    }
    TORCH_CHECK(false, "unreachable op kind");
}

torch::Tensor NcnnNetwork::forward(const torch::Tensor& input) const {
    TORCH_CHECK(input.dim() == 4 && input.size(1) == m_inputChannels, "NcnnNetwork: expected (N, ",
                m_inputChannels, ", H, W), got ", input.sizes());
    TORCH_CHECK(input.scalar_type() == m_options.dtype && input.device() == m_options.device,
                "NcnnNetwork: input is ", input.scalar_type(), " on ", input.device(),
                ", the weights are ", m_options.dtype, " on ", m_options.device);
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> blobs(static_cast<size_t>(m_blobCount));
    std::vector<torch::Tensor> args;
    for (size_t i = 0; i < m_ops.size(); ++i) {
        const Op& op = m_ops[i];
        args.clear();
        if (op.kind == Kind::Input) {
            args.push_back(m_options.channelsLast ? input.contiguous(at::MemoryFormat::ChannelsLast)
                                                  : input);
        }
        for (int b : op.inputs) {
            args.push_back(blobs[static_cast<size_t>(b)]);
            if (m_lastUse[static_cast<size_t>(b)] == static_cast<int>(i))
                blobs[static_cast<size_t>(b)].reset();  // last reader: free it early
        }
        auto y = run(op, args);
        for (int b : op.outputs)
            blobs[static_cast<size_t>(b)] = y;
    }
    return blobs[static_cast<size_t>(m_outputBlob)];
}

}  // namespace fvs::gpu
