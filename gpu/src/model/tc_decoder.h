#pragma once
// TC decoder (spec §1.5, §4): FlashVSR's Tiny Conditional Decoder (a widened TAEHV decoder).
// Strictly causal and stateful: decoding chunk by chunk with the carried TcDecoderState is
// identical to decoding the whole clip. Parameter names equal the TCDecoder.ckpt keys
// (`decoder.N.*`).

#include <array>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "fvs/core/result.h"
#include "io/tensor_io.h"

namespace fvs::gpu {

struct TcDecoderConfig {
    std::array<int64_t, 4> widths{512, 256, 128, 128};  // n_f of build_tcdecoder
    int64_t latentChannels = 16;
    int64_t condChannels = 768;  // 3 * 4 * 8 * 8: cond packed 'b c (f 4) (h 8) (w 8)'
    std::array<int64_t, 3> timeStrides{1, 2, 2};  // TGrow strides (layers 9, 15, 21)

    static core::Result<TcDecoderConfig> fromWeights(const TensorMap& weights);
};

// Per-session state: the 9 MemBlock memories (input of layers 5-7, 11-13, 17-19 at the previous
// time step; undefined = zeros) and whether the one-time 3-frame trim has been applied.
struct TcDecoderState {
    std::array<torch::Tensor, 9> memory;
    bool started = false;
    void reset();
};

class TcDecoderImpl : public torch::nn::Module {
public:
    explicit TcDecoderImpl(const TcDecoderConfig& config);

    const TcDecoderConfig& config() const { return m_config; }

    // latents: (1, 16, T, h, w) — the DiT output z0 of one chunk (or of the whole clip).
    // cond: (1, 3, Fc, 8h, 8w) LR-bicubic frames in [-1,1] aligned with the outputs; when Fc % 4
    // != 0 it is padded in front with copies of frame 0, and then must give exactly T packed frames
    // (chunk 0: Fc = 21, T = 6; later chunks: Fc = 8, T = 2).
    // Returns (1, 3, 4T - 3 on the first call of a session else 4T, 8h, 8w), mapped to [-1,1] by
    // x*2-1 (not clamped; the colour fix clamps).
    torch::Tensor decodeChunk(const torch::Tensor& latents, const torch::Tensor& cond,
                              TcDecoderState& state);

    // Channels-last (NHWC) convolutions: weights converted once, activations kept NHWC, the 1×1
    // TGrow moved before its nearest Upsample (they commute). Used on CUDA, where cuDNN's NHWC
    // kernels run the 3×3 convolutions about twice as fast (docs/engine-decoders.md).
    void useChannelsLast(bool on);
    bool channelsLast() const { return m_channelsLast; }

    struct Layer;  // one entry of the 27-layer list (defined in tc_decoder.cpp)

private:
    torch::Tensor runLayers(torch::Tensor x, TcDecoderState& state);
    static torch::Tensor tgrow(const torch::Tensor& x, const Layer& layer, bool channelsLast);

    TcDecoderConfig m_config;
    std::vector<std::shared_ptr<Layer>> m_layers;  // `decoder.N` in order; parameterless ones too
    bool m_channelsLast = false;
};
TORCH_MODULE(TcDecoder);

// Builds the decoder from a state dict (widths from the shapes) and loads it strictly.
core::Result<TcDecoder> loadTcDecoder(const TensorMap& weights, const std::string& fileLabel);

}  // namespace fvs::gpu
