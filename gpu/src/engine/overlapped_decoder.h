#pragma once
// OverlappedDecoder: where a chunk's decode + colour fix runs. On CUDA (overlap on) it owns a side
// stream and one event per chunk in flight: chunk k decodes on the side stream while chunk k+1's
// DiT runs on the caller's stream, and its frames come out when the next chunk is submitted or at
// drain(). Elsewhere its twin runs the decode inline and the frames are ready at once. Either way
// the frames and their order are the same (bit-identical to the serial order). CUDA-free header.
// One thread (the stream's owner) uses it.

#include <functional>
#include <memory>
#include <vector>

#include <torch/torch.h>

namespace fvs::gpu {

class OverlappedDecoder {
public:
    using Decode = std::function<torch::Tensor()>;  // → (keep, 3, H, W) frames of one chunk

    // The side-stream decoder for a CUDA device with `overlap`, else the inline twin.
    static std::unique_ptr<OverlappedDecoder> create(const torch::Device& device, bool overlap);
    virtual ~OverlappedDecoder() = default;

    // Runs `decode`, which reads `inputs` (made on the caller's stream). Returns the frames of the
    // chunks completed by now, oldest first (the newest one stays in flight when overlapping).
    virtual std::vector<torch::Tensor> submit(const std::vector<torch::Tensor>& inputs,
                                              const Decode& decode) = 0;
    // Waits for every chunk in flight and returns their frames, oldest first.
    virtual std::vector<torch::Tensor> drain() = 0;
    virtual bool overlapping() const = 0;
};

}  // namespace fvs::gpu
