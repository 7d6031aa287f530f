#pragma once
// Deinterlacer: FFmpeg's bwdif filter on decoded frames, one output frame per input frame with
// the input's pts (mode send_frame, field parity from the frames). Internal to MediaSource; one
// thread uses it (the decode stage).

#include <memory>

#include "fvs/core/av_ptr.h"
#include "fvs/core/result.h"

struct AVFilterGraph;
struct AVFilterContext;

namespace fvs::core::detail {

class Deinterlacer {
public:
    explicit Deinterlacer(AVRational timeBase);
    ~Deinterlacer();
    Deinterlacer(const Deinterlacer&) = delete;
    Deinterlacer& operator=(const Deinterlacer&) = delete;

    // Feeds a decoded frame (nullptr: end of stream). The graph is built on the first frame.
    Status push(const AVFrame* frame);
    // A filtered frame, or nullptr when the filter needs more input or has ended.
    Result<AvFramePtr> pull();
    // Drops buffered frames (after a seek); the next push starts a new graph.
    void reset();

private:
    struct GraphDeleter {
        void operator()(AVFilterGraph* g) const;
    };
    Status build(const AVFrame& first);
    AVRational m_timeBase;
    std::unique_ptr<AVFilterGraph, GraphDeleter> m_graph;
    AVFilterContext* m_source = nullptr;
    AVFilterContext* m_sink = nullptr;
};

}  // namespace fvs::core::detail
