#pragma once
// Helpers for the pipeline tests: clips generated with the ffmpeg tool, decoded pixels for
// frame-by-frame comparison.

#include <QProcess>
#include <QStringList>
#include <QTest>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "fvs/core/frame_convert.h"
#include "fvs/core/media_source.h"

namespace fvs::test {

inline bool runFfmpeg(const QStringList& args) {
    QProcess p;
    p.start("ffmpeg", QStringList{"-hide_banner", "-loglevel", "error", "-y"} + args);
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning("ffmpeg %s failed: %s", qPrintable(args.join(' ')),
                 p.readAllStandardError().constData());
        return false;
    }
    return true;
}

// A constant-frame-rate H.264 clip of `frames` frames at 25 fps (+ a sine audio track).
inline bool makeCfrClip(const QString& path, int frames, const QString& size = "64x48") {
    return runFfmpeg({"-f",        "lavfi",
                      "-i",        QString("testsrc2=size=%1:rate=25").arg(size),
                      "-f",        "lavfi",
                      "-i",        "sine=frequency=440:sample_rate=48000",
                      "-frames:v", QString::number(frames),
                      "-shortest", "-c:v",
                      "libx264",   "-preset",
                      "ultrafast", "-g",
                      "12",        "-pix_fmt",
                      "yuv420p",   "-c:a",
                      "aac",       path});
}

// A variable-frame-rate clip: frames 10.. are delayed by 0.3 s, frames 20.. by another 0.1 s.
inline bool makeVfrClip(const QString& path, int frames) {
    return runFfmpeg(
        {"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", QString::number(frames),
         "-vf", "setpts=PTS+if(gte(N\\,10)\\,0.3/TB\\,0)+if(gte(N\\,20)\\,0.1/TB\\,0)", "-fps_mode",
         "passthrough", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path});
}

struct DecodedClip {
    std::vector<int64_t> ptsUs;
    std::vector<std::vector<uint8_t>> rgb;  // RGB24 pixels per frame
    int width = 0;
    int height = 0;
};

// Every frame of a file as RGB24; nullopt (with a warning) on an error.
inline std::optional<DecodedClip> decodeClip(const std::filesystem::path& path) {
    auto src = core::MediaSource::open(path);
    if (!src) {
        qWarning("open %s: %s", path.c_str(), src.error().message.c_str());
        return std::nullopt;
    }
    DecodedClip out;
    const core::StreamInfo info = src.value()->info();
    out.width = info.width;
    out.height = info.height;
    core::FrameConverter conv;
    while (true) {
        auto f = src.value()->read();
        if (!f || !f.value())
            break;
        auto rgb = conv.convert(*f.value(), AV_PIX_FMT_RGB24, info.width, info.height,
                                core::yuvColorFor(info));
        if (!rgb)
            return std::nullopt;
        std::vector<uint8_t> bytes;
        for (int y = 0; y < info.height; ++y) {
            const uint8_t* row = rgb.value().av->data[0] + y * rgb.value().av->linesize[0];
            bytes.insert(bytes.end(), row, row + info.width * 3);
        }
        out.ptsUs.push_back(f.value()->ptsUs);
        out.rgb.push_back(std::move(bytes));
    }
    return out;
}

}  // namespace fvs::test
