#pragma once
// ResampleProcessor: the CPU engine (Lanczos a=3 or bicubic, separable), the fallback when no GPU
// engine is available and the deterministic engine the pipeline tests use. Works on RGB24 and
// RGB48LE frames; rows are split over worker threads. Output frames keep the input's pts and index.
// Thread contract: like every FrameProcessor, one thread drives it (it spawns its own row workers).

#include <deque>
#include <vector>

#include "fvs/core/frame_processor.h"

namespace fvs::core {

enum class ResampleKernel { Lanczos3, Bicubic };

struct ResampleOptions {
    ResampleKernel kernel = ResampleKernel::Lanczos3;
    ScaleRequest scale;
    int threads = 0;  // row workers; 0: std::thread::hardware_concurrency()
};

class ResampleProcessor final : public FrameProcessor {
public:
    explicit ResampleProcessor(ResampleOptions options);

    Result<ProcessorPlan> configure(const StreamInfo& input) override;
    Status push(Frame frame) override;
    std::optional<Frame> pull() override;
    Status finish() override;
    void reset() override;
    int latencyFrames() const override { return 0; }

    // One picture, outside the streaming contract (benchmarks, previews). configure() first.
    Result<Frame> resample(const Frame& input);

private:
    // Filter taps of one axis: output coordinate i reads source samples first[i] + k, k < taps.
    struct AxisFilter {
        int taps = 0;
        std::vector<int> first;
        std::vector<float> weights;  // [outSize * taps]
    };
    static AxisFilter makeAxis(ResampleKernel kernel, int inSize, int outSize, double windowStart,
                               double windowSize);

    template <class Sample>
    void resampleRows(const AVFrame& in, AVFrame& out);

    ResampleOptions m_options;
    ProcessorPlan m_plan;
    bool m_configured = false;
    int m_inWidth = 0;
    int m_inHeight = 0;
    AxisFilter m_horizontal;
    AxisFilter m_vertical;
    std::vector<float> m_rows;  // horizontally filtered rows: [inHeight][outWidth * 3]
    std::deque<Frame> m_ready;
};

}  // namespace fvs::core
