#include "fvs/core/resample_processor.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <thread>

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace fvs::core {

namespace {

double lanczos3(double x) {
    x = std::abs(x);
    if (x < 1e-12)
        return 1.0;
    if (x >= 3.0)
        return 0.0;
    // Exactly zero on the other integer taps, so a x1 resample is the identity.
    if (x == std::floor(x))
        return 0.0;
    const double px = std::numbers::pi * x;
    return 3.0 * std::sin(px) * std::sin(px / 3.0) / (px * px);
}

double bicubic(double x) {  // Keys, a = -0.5 (what FFmpeg and most editors call bicubic)
    constexpr double a = -0.5;
    x = std::abs(x);
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0)
        return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
    return 0.0;
}

std::string formatName(int format) {
    const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(format));
    return name ? name : "none";
}

// Runs fn(begin, end) over [0, count) split into `workers` contiguous chunks; the calling thread
// takes the first chunk. Each row's arithmetic is independent of the split, so results do not
// depend on the number of workers.
template <class Fn>
void parallelFor(int count, int workers, Fn&& fn) {
    workers = std::clamp(workers, 1, std::max(1, count));
    if (workers == 1) {
        fn(0, count);
        return;
    }
    std::vector<std::jthread> threads;
    threads.reserve(workers - 1);
    const int chunk = (count + workers - 1) / workers;
    for (int w = 1; w < workers; ++w) {
        const int begin = w * chunk;
        const int end = std::min(count, begin + chunk);
        if (begin < end)
            threads.emplace_back([&fn, begin, end] { fn(begin, end); });
    }
    fn(0, std::min(count, chunk));
}  // jthreads join here

}  // namespace

ResampleProcessor::ResampleProcessor(ResampleOptions options) : m_options(options) {
    if (m_options.threads <= 0)
        m_options.threads = std::max(1u, std::thread::hardware_concurrency());
}

ResampleProcessor::AxisFilter ResampleProcessor::makeAxis(ResampleKernel kernel, int inSize,
                                                          int outSize, double windowStart,
                                                          double windowSize) {
    const double scale = outSize / windowSize;              // output samples per source sample
    const double filterScale = std::max(1.0, 1.0 / scale);  // widen the kernel when shrinking
    const double radius = (kernel == ResampleKernel::Lanczos3 ? 3.0 : 2.0) * filterScale;
    auto k = kernel == ResampleKernel::Lanczos3 ? lanczos3 : bicubic;

    AxisFilter axis;
    const int windowTaps = static_cast<int>(std::ceil(radius)) * 2 + 1;
    // Never more stored taps than source samples, so no read goes past the picture.
    axis.taps = std::min(windowTaps, inSize);
    axis.first.resize(outSize);
    axis.weights.assign(static_cast<size_t>(outSize) * axis.taps, 0.0f);
    std::vector<double> w(axis.taps);
    for (int i = 0; i < outSize; ++i) {
        const double center = windowStart + (i + 0.5) / scale - 0.5;
        const int lo = static_cast<int>(std::floor(center - radius)) + 1;
        // Taps outside the picture are folded onto the edge sample (clamp-to-edge).
        int first = std::clamp(lo, 0, std::max(0, inSize - axis.taps));
        std::fill(w.begin(), w.end(), 0.0);
        double sum = 0.0;
        for (int t = 0; t < windowTaps; ++t) {
            const int src = lo + t;
            const double weight = k((src - center) / filterScale);
            if (weight == 0.0)
                continue;
            const int clamped = std::clamp(src, 0, inSize - 1);
            const int slot = std::clamp(clamped - first, 0, axis.taps - 1);
            w[slot] += weight;
            sum += weight;
        }
        axis.first[i] = first;
        for (int t = 0; t < axis.taps; ++t)
            axis.weights[static_cast<size_t>(i) * axis.taps + t] = static_cast<float>(w[t] / sum);
    }
    return axis;
}

Result<ProcessorPlan> ResampleProcessor::configure(const StreamInfo& input) {
    auto geometry = resolveOutputGeometry(input, m_options.scale);
    if (!geometry)
        return geometry.error();
    m_plan = ProcessorPlan{};
    m_plan.inputFormat = input.bitDepth > 8 ? AV_PIX_FMT_RGB48LE : AV_PIX_FMT_RGB24;
    m_plan.outputFormat = m_plan.inputFormat;
    m_plan.output = geometry.value();
    m_plan.latencyFrames = 0;
    m_plan.engineName = m_options.kernel == ResampleKernel::Lanczos3 ? "lanczos" : "bicubic";
    m_inWidth = input.width;
    m_inHeight = input.height;

    // The source window: the whole picture, except Fill, which covers the target and crops the
    // overflow evenly on both sides.
    double winX = 0, winW = m_inWidth, winY = 0, winH = m_inHeight;
    const ScaleRequest& s = m_options.scale;
    if (s.fit == ScaleFit::Fill && s.targetWidth > 0 && s.targetHeight > 0) {
        const double sar = input.sar.num > 0 && input.sar.den > 0 ? av_q2d(input.sar) : 1.0;
        const double cover = std::max(m_plan.output.width / (m_inWidth * sar),
                                      m_plan.output.height / double(m_inHeight));
        winW = std::min<double>(m_inWidth, m_plan.output.width / (cover * sar));
        winH = std::min<double>(m_inHeight, m_plan.output.height / cover);
        winX = (m_inWidth - winW) / 2.0;
        winY = (m_inHeight - winH) / 2.0;
    }
    m_horizontal = makeAxis(m_options.kernel, m_inWidth, m_plan.output.width, winX, winW);
    m_vertical = makeAxis(m_options.kernel, m_inHeight, m_plan.output.height, winY, winH);
    m_plan.engineDescription =
        m_plan.engineName + " " + std::to_string(m_inWidth) + "x" + std::to_string(m_inHeight) +
        "->" + std::to_string(m_plan.output.width) + "x" + std::to_string(m_plan.output.height);
    m_ready.clear();
    m_configured = true;
    return m_plan;
}

template <class Sample>
void ResampleProcessor::resampleRows(const AVFrame& in, AVFrame& out) {
    constexpr int kChannels = 3;
    constexpr float kMax = sizeof(Sample) == 1 ? 255.0f : 65535.0f;
    const int outW = m_plan.output.width;
    const int outH = m_plan.output.height;
    const int rowLen = outW * kChannels;
    const int firstRow = m_vertical.first.front();
    const int lastRow = m_vertical.first.back() + m_vertical.taps;  // exclusive
    const int rowCount = std::min(lastRow, m_inHeight) - firstRow;
    m_rows.resize(static_cast<size_t>(m_inHeight) * rowLen);

    // Pass 1: horizontal, source rows -> float rows of the output width.
    parallelFor(rowCount, m_options.threads, [&](int begin, int end) {
        const int taps = m_horizontal.taps;
        for (int r = begin; r < end; ++r) {
            const int y = firstRow + r;
            const auto* src =
                reinterpret_cast<const Sample*>(in.data[0] + ptrdiff_t(y) * in.linesize[0]);
            float* dst = m_rows.data() + size_t(y) * rowLen;
            for (int x = 0; x < outW; ++x) {
                const float* w = m_horizontal.weights.data() + size_t(x) * taps;
                const Sample* p = src + m_horizontal.first[x] * kChannels;
                float r0 = 0, g0 = 0, b0 = 0;
                for (int t = 0; t < taps; ++t) {
                    r0 += w[t] * p[t * kChannels + 0];
                    g0 += w[t] * p[t * kChannels + 1];
                    b0 += w[t] * p[t * kChannels + 2];
                }
                dst[x * kChannels + 0] = r0;
                dst[x * kChannels + 1] = g0;
                dst[x * kChannels + 2] = b0;
            }
        }
    });

    // Pass 2: vertical, float rows -> output samples (rounded, clamped).
    parallelFor(outH, m_options.threads, [&](int begin, int end) {
        const int taps = m_vertical.taps;
        std::vector<float> acc(rowLen);
        for (int y = begin; y < end; ++y) {
            std::fill(acc.begin(), acc.end(), 0.0f);
            const float* w = m_vertical.weights.data() + size_t(y) * taps;
            for (int t = 0; t < taps; ++t) {
                if (w[t] == 0.0f)
                    continue;
                const float* row = m_rows.data() + size_t(m_vertical.first[y] + t) * rowLen;
                const float wt = w[t];
                for (int i = 0; i < rowLen; ++i)
                    acc[i] += wt * row[i];
            }
            auto* dst = reinterpret_cast<Sample*>(out.data[0] + ptrdiff_t(y) * out.linesize[0]);
            for (int i = 0; i < rowLen; ++i)
                dst[i] = static_cast<Sample>(std::lrint(std::clamp(acc[i], 0.0f, kMax)));
        }
    });
}

Result<Frame> ResampleProcessor::resample(const Frame& input) {
    if (!m_configured)
        return makeError(ErrorCode::Internal, "ResampleProcessor used before configure()");
    if (!input.valid())
        return makeError(ErrorCode::InvalidArgument, "empty frame");
    if (input.format() != m_plan.inputFormat || input.width() != m_inWidth ||
        input.height() != m_inHeight)
        return makeError(ErrorCode::InvalidArgument,
                         "resample expects " + formatName(m_plan.inputFormat) + " " +
                             std::to_string(m_inWidth) + "x" + std::to_string(m_inHeight) +
                             ", got " + formatName(input.format()) + " " +
                             std::to_string(input.width()) + "x" + std::to_string(input.height()));
    Frame out;
    out.index = input.index;
    out.ptsUs = input.ptsUs;
    out.av = makeFrame();
    if (!out.av)
        return makeError(ErrorCode::OutOfMemory, "cannot allocate a frame");
    out.av->format = m_plan.outputFormat;
    out.av->width = m_plan.output.width;
    out.av->height = m_plan.output.height;
    if (av_frame_get_buffer(out.av.get(), 0) < 0)
        return makeError(ErrorCode::OutOfMemory, "cannot allocate a " +
                                                     std::to_string(out.av->width) + "x" +
                                                     std::to_string(out.av->height) + " frame");
    av_frame_copy_props(out.av.get(), input.av.get());  // pts, duration, colour tags, side data
    out.av->sample_aspect_ratio = m_plan.output.sar;
    if (m_plan.inputFormat == AV_PIX_FMT_RGB24)
        resampleRows<uint8_t>(*input.av, *out.av);
    else
        resampleRows<uint16_t>(*input.av, *out.av);
    return out;
}

Status ResampleProcessor::push(Frame frame) {
    auto out = resample(frame);
    if (!out)
        return out.error();
    m_ready.push_back(std::move(out).value());
    return {};
}

std::optional<Frame> ResampleProcessor::pull() {
    if (m_ready.empty())
        return std::nullopt;
    Frame f = std::move(m_ready.front());
    m_ready.pop_front();
    return f;
}

Status ResampleProcessor::finish() {
    return {};
}

void ResampleProcessor::reset() {
    m_ready.clear();
}

}  // namespace fvs::core
