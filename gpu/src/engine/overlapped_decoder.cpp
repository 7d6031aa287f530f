#include "engine/overlapped_decoder.h"

#ifdef FVS_HAVE_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace fvs::gpu {
namespace {

// The twin: decode inline, frames ready at once.
class InlineDecoder final : public OverlappedDecoder {
public:
    std::vector<torch::Tensor> submit(const std::vector<torch::Tensor>&,
                                      const Decode& decode) override {
        return {decode()};
    }
    std::vector<torch::Tensor> drain() override { return {}; }
    bool overlapping() const override { return false; }
};

#ifdef FVS_HAVE_CUDA
class SideStreamDecoder final : public OverlappedDecoder {
public:
    explicit SideStreamDecoder(const torch::Device& device)
        : m_device(device), m_side(c10::cuda::getStreamFromPool(false, device.index())) {}

    ~SideStreamDecoder() override { drain(); }  // the side stream may still use the frames

    std::vector<torch::Tensor> submit(const std::vector<torch::Tensor>& inputs,
                                      const Decode& decode) override {
        auto main = c10::cuda::getCurrentCUDAStream(m_device.index());
        at::cuda::CUDAEvent ready;
        ready.record(main);
        ready.block(m_side);
        // Made on the main stream, read on the side stream: keep their memory until it is done.
        for (const auto& t : inputs) {
            t.record_stream(m_side.unwrap());
        }
        torch::Tensor frames;
        {
            c10::cuda::CUDAStreamGuard guard(m_side);
            frames = decode();
        }
        auto done = std::make_unique<at::cuda::CUDAEvent>();
        done->record(m_side);
        auto out = drain();  // chunk k-1's frames: its decode ran beside this chunk's DiT
        m_inFlight.push_back({frames, std::move(done)});
        return out;
    }

    std::vector<torch::Tensor> drain() override {
        std::vector<torch::Tensor> out;
        for (auto& f : m_inFlight) {
            f.done->synchronize();
            // Allocated on the side stream, read on the main one from now on.
            if (f.frames.numel() > 0) {
                f.frames.record_stream(c10::cuda::getCurrentCUDAStream(m_device.index()).unwrap());
            }
            out.push_back(f.frames);
        }
        m_inFlight.clear();
        return out;
    }

    bool overlapping() const override { return true; }

private:
    struct InFlight {
        torch::Tensor frames;                       // (keep, 3, H, W)
        std::unique_ptr<at::cuda::CUDAEvent> done;  // recorded on the side stream
    };
    torch::Device m_device;
    c10::cuda::CUDAStream m_side;
    std::vector<InFlight> m_inFlight;
};
#endif

}  // namespace

std::unique_ptr<OverlappedDecoder> OverlappedDecoder::create(const torch::Device& device,
                                                             bool overlap) {
#ifdef FVS_HAVE_CUDA
    if (overlap && device.is_cuda()) {
        return std::make_unique<SideStreamDecoder>(device);
    }
#else
    (void)device;
    (void)overlap;
#endif
    return std::make_unique<InlineDecoder>();
}

}  // namespace fvs::gpu
