#pragma once
// Helpers of the Real-ESRGAN tests: generated RGB24 pictures, PPM files, PSNR, one frame through
// the engine's FrameProcessor.

#include <QtTest>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fvs/core/frame_processor.h"
#include "fvs/gpu/realesrgan.h"

namespace rgtest {

struct Picture {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> rgb;  // packed rows
};

// Deterministic test content: smooth gradients, hard edges, a noisy block and thin lines, so the
// network's detail and edge paths are all exercised.
inline Picture makePicture(int w, int h, uint32_t seed) {
    Picture p{w, h, std::vector<uint8_t>(size_t(w) * h * 3)};
    uint32_t state = seed * 2654435761u + 1;
    auto rnd = [&] {
        state = state * 1664525u + 1013904223u;
        return uint8_t(state >> 24);
    };
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            uint8_t* px = &p.rgb[(size_t(y) * w + x) * 3];
            const bool block = x > w / 4 && x < w / 2 && y > h / 4 && y < 3 * h / 4;
            const bool line = (x + 2 * y + int(seed)) % 11 == 0;
            px[0] = block ? rnd() : uint8_t((x * 255) / std::max(1, w - 1));
            px[1] = line ? 250 : uint8_t((y * 255) / std::max(1, h - 1));
            px[2] = uint8_t(x > 3 * w / 5 ? 40 + 160 * ((x / 3 + y / 3) % 2)
                                          : 128 + 100 * std::sin((x + y) * 0.3));
        }
    }
    return p;
}

inline void writePpm(const std::filesystem::path& file, const Picture& p) {
    std::ofstream out(file, std::ios::binary);
    out << "P6\n" << p.width << " " << p.height << "\n255\n";
    out.write(reinterpret_cast<const char*>(p.rgb.data()), std::streamsize(p.rgb.size()));
}

inline Picture readPpm(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string magic;
    Picture p;
    int maxval = 0;
    in >> magic >> p.width >> p.height >> maxval;
    in.get();
    if (magic != "P6" || maxval != 255 || p.width <= 0 || p.height <= 0)
        return {};
    p.rgb.resize(size_t(p.width) * p.height * 3);
    in.read(reinterpret_cast<char*>(p.rgb.data()), std::streamsize(p.rgb.size()));
    return in ? p : Picture{};
}

inline double psnr(const Picture& a, const Picture& b) {
    if (a.width != b.width || a.height != b.height || a.rgb.empty())
        return -1;
    double se = 0;
    for (size_t i = 0; i < a.rgb.size(); ++i) {
        const double d = double(a.rgb[i]) - double(b.rgb[i]);
        se += d * d;
    }
    const double mse = se / double(a.rgb.size());
    return mse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 / mse);
}

inline fvs::core::Frame toFrame(const Picture& p, int64_t index, int64_t pts) {
    fvs::core::Frame f;
    f.av = fvs::core::makeFrame();
    f.av->format = AV_PIX_FMT_RGB24;
    f.av->width = p.width;
    f.av->height = p.height;
    if (av_frame_get_buffer(f.av.get(), 0) < 0)
        return {};
    for (int y = 0; y < p.height; ++y)
        std::memcpy(f.av->data[0] + y * f.av->linesize[0], &p.rgb[size_t(y) * p.width * 3],
                    size_t(p.width) * 3);
    f.av->pts = pts;
    f.index = index;
    f.ptsUs = pts * 40000;
    return f;
}

inline Picture fromFrame(const fvs::core::Frame& f) {
    Picture p{f.width(), f.height(), {}};
    p.rgb.resize(size_t(p.width) * p.height * 3);
    for (int y = 0; y < p.height; ++y)
        std::memcpy(&p.rgb[size_t(y) * p.width * 3], f.av->data[0] + y * f.av->linesize[0],
                    size_t(p.width) * 3);
    return p;
}

inline fvs::core::StreamInfo streamOf(int w, int h) {
    fvs::core::StreamInfo info;
    info.width = w;
    info.height = h;
    info.timeBase = {1, 25};
    info.avgFrameRate = info.realFrameRate = {25, 1};
    info.pixelFormat = AV_PIX_FMT_RGB24;
    info.bitDepth = 8;
    return info;
}

inline fvs::core::EngineSettings cpuSettings(const std::string& model, double factor) {
    fvs::core::EngineSettings s;
    s.engine = fvs::core::EngineKind::RealEsrgan;
    s.modelVersion = model;
    s.scale.factor = factor;
    s.device = "cpu";
    s.dtype = fvs::core::ComputeDtype::Fp32;
    return s;
}

}  // namespace rgtest
