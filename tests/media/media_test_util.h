#pragma once
// Helpers for the media tests: generate clips with the ffmpeg tool, read them back with
// MediaSource.

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTest>

#include <optional>
#include <string>
#include <vector>

#include "fvs/core/frame_convert.h"
#include "fvs/core/media_sink.h"
#include "fvs/core/media_source.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

namespace fvs::test {

// Runs the ffmpeg tool (quiet, overwrite) and returns true on success.
inline bool ffmpeg(const QStringList& args) {
    QProcess p;
    p.start("ffmpeg", QStringList{"-hide_banner", "-loglevel", "error", "-y"} + args);
    if (!p.waitForFinished(120000))
        return false;
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning("ffmpeg %s failed: %s", qPrintable(args.join(' ')),
                 p.readAllStandardError().constData());
        return false;
    }
    return true;
}

// ffprobe -show_entries ... as plain "key=value" text.
inline QString ffprobe(const QStringList& args) {
    QProcess p;
    p.start("ffprobe", QStringList{"-v", "error"} + args);
    p.waitForFinished(60000);
    return QString::fromUtf8(p.readAllStandardOutput());
}

struct Decoded {
    std::vector<int64_t> ptsUs;
    std::vector<int64_t> index;
    std::vector<std::string> warnings;
};

// Decodes every frame of a file; fails the test on an error.
inline std::optional<Decoded> decodeAll(const QString& path) {
    Decoded out;
    core::SourceOptions o;
    o.onWarning = [&](const std::string& w) { out.warnings.push_back(w); };
    auto src = core::MediaSource::open(path.toStdString(), o);
    if (!src) {
        qWarning("open %s: %s", qPrintable(path), src.error().message.c_str());
        return std::nullopt;
    }
    while (true) {
        auto f = src.value()->read();
        if (!f) {
            qWarning("read: %s", f.error().message.c_str());
            return std::nullopt;
        }
        if (!f.value())
            break;
        out.ptsUs.push_back(f.value()->ptsUs);
        out.index.push_back(f.value()->index);
    }
    return out;
}

// Decodes `source` and writes it through a MediaSink with `options` (size/format filled in when 0);
// frames are converted to the processing format first, like the pipeline does. Returns the error
// message, empty on success.
inline std::string transcode(const QString& source, core::SinkOptions options,
                             std::vector<std::string>* warnings = nullptr) {
    auto src = core::MediaSource::open(source.toStdString());
    if (!src)
        return src.error().message;
    const core::StreamInfo& info = src.value()->info();
    if (options.width == 0)
        options.width = info.width;
    if (options.height == 0)
        options.height = info.height;
    options.sar = info.sar;
    options.inputFormat = core::processingFormatFor(info);
    if (warnings)
        options.onWarning = [warnings](const std::string& w) { warnings->push_back(w); };
    auto sink = core::MediaSink::open(info, options);
    if (!sink)
        return sink.error().message;
    core::FrameConverter conv;
    const core::YuvColor color = core::yuvColorFor(info);
    while (true) {
        auto f = src.value()->read();
        if (!f)
            return f.error().message;
        if (!f.value())
            break;
        auto rgb =
            conv.convert(*f.value(), options.inputFormat, options.width, options.height, color);
        if (!rgb)
            return rgb.error().message;
        if (auto s = sink.value()->write(rgb.value()); !s)
            return s.error().message;
    }
    if (auto s = sink.value()->finish(); !s)
        return s.error().message;
    return {};
}

}  // namespace fvs::test
