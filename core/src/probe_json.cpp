// probe() and the JSON form of StreamInfo printed by `flashvsr probe`.
#include <nlohmann/json.hpp>

#include "fvs/core/media_source.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace fvs::core {
namespace {

nlohmann::json rational(AVRational r) {
    return nlohmann::json::array({r.num, r.den});
}

std::string orUnknown(const char* s) {
    return s ? s : "unknown";
}

}  // namespace

Result<StreamInfo> probe(const std::filesystem::path& path) {
    SourceOptions options;
    options.exactFrameCount = true;
    auto src = MediaSource::open(path, options);
    if (!src)
        return src.error();
    return src.value()->info();
}

std::string toJson(const StreamInfo& info) {
    nlohmann::json j;
    j["path"] = info.path;
    j["container"] = info.container;
    j["video"] = {
        {"stream_index", info.videoStreamIndex},
        {"codec", info.codec},
        {"width", info.width},
        {"height", info.height},
        {"sample_aspect_ratio", rational(info.sar)},
        {"avg_frame_rate", rational(info.avgFrameRate)},
        {"real_frame_rate", rational(info.realFrameRate)},
        {"fps", info.fps()},
        {"time_base", rational(info.timeBase)},
        {"start_pts", info.startPts},
        {"duration_us", info.durationUs},
        {"frame_count", info.frameCount},
        {"frame_count_exact", info.frameCountExact},
        {"variable_frame_rate", info.variableFrameRate},
        {"interlaced", info.interlaced},
        {"pixel_format", info.pixelFormatName},
        {"bit_depth", info.bitDepth},
        {"color_primaries", orUnknown(av_color_primaries_name(info.colorPrimaries))},
        {"color_transfer", orUnknown(av_color_transfer_name(info.colorTransfer))},
        {"color_space", orUnknown(av_color_space_name(info.colorSpace))},
        {"color_range", orUnknown(av_color_range_name(info.colorRange))},
        {"rotation_degrees", info.rotationDegrees},
    };
    nlohmann::json aux = nlohmann::json::array();
    for (const AuxStreamInfo& a : info.auxStreams) {
        nlohmann::json s = {
            {"index", a.index}, {"kind", a.kind}, {"codec", a.codec}, {"language", a.language}};
        if (a.kind == "audio") {
            s["channels"] = a.channels;
            s["sample_rate"] = a.sampleRate;
        }
        aux.push_back(std::move(s));
    }
    j["streams"] = std::move(aux);
    j["chapter_count"] = info.chapterCount;
    return j.dump(2);
}

}  // namespace fvs::core
