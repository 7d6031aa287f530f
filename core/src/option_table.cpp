#include "fvs/core/option_table.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <regex>
#include <sstream>

namespace fvs::core {
namespace {

constexpr int kMaxSide = 16384;  // the largest picture side the encoders accept (frame_processor)
constexpr int64_t kMinBitrate = 1000;
constexpr int64_t kMaxBitrate = 10'000'000'000;  // 10 Gbit/s
constexpr double kMaxTrimSeconds = 1e9;          // keeps microseconds far from int64 overflow

OptionSpec integer(std::string name, OptionGroup group, int64_t lo, int64_t hi,
                   std::string defaultText, std::string help) {
    OptionSpec s;
    s.name = std::move(name);
    s.type = OptionType::Integer;
    s.group = group;
    s.intMin = lo;
    s.intMax = hi;
    s.defaultText = std::move(defaultText);
    s.help = std::move(help);
    return s;
}

OptionSpec number(std::string name, double lo, double hi, bool loExclusive, std::string defaultText,
                  std::string help) {
    OptionSpec s;
    s.name = std::move(name);
    s.type = OptionType::Number;
    s.group = OptionGroup::Engine;
    s.min = lo;
    s.max = hi;
    s.minExclusive = loExclusive;
    s.defaultText = std::move(defaultText);
    s.help = std::move(help);
    return s;
}

OptionSpec choice(std::string name, OptionGroup group, std::vector<std::string> choices,
                  std::string defaultText, std::string help) {
    OptionSpec s;
    s.name = std::move(name);
    s.type = OptionType::Choice;
    s.group = group;
    s.choices = std::move(choices);
    s.defaultText = std::move(defaultText);
    s.help = std::move(help);
    return s;
}

OptionSpec text(std::string name, OptionGroup group, std::string defaultText, std::string help) {
    OptionSpec s;
    s.name = std::move(name);
    s.type = OptionType::Text;
    s.group = group;
    s.defaultText = std::move(defaultText);
    s.help = std::move(help);
    return s;
}

std::vector<OptionSpec> makeTable() {
    using G = OptionGroup;
    return {
        // The engine's own valid ranges (gpu FlashVsrOptions); the resamplers take the same scale.
        choice("engine", G::Engine, {"flashvsr", "realesrgan", "lanczos", "bicubic"}, "",
               "upscaling engine (default: flashvsr when its weights are found, else realesrgan "
               "when its weights are installed, else lanczos)"),
        choice("model", G::Engine, {"animevideov3", "x4plus", "x4plus-anime"}, "",
               "Real-ESRGAN model (default animevideov3; docs/realesrgan.md)"),
        number("scale", 1.0, 16.0, false, "4", "scale factor"),
        text("models", G::Engine, "", "FlashVSR model folder"),
        choice("model-version", G::Engine, {"v1", "v1.1"}, "",
               "FlashVSR weights version (default: detected)"),
        choice("decoder", G::Engine, {"tiny", "full"}, "tiny",
               "TC decoder (tiny) or the Wan 2.1 VAE decoder (full)"),
        number("sparse-ratio", 0.0, 64.0, true, "2", "sparse attention budget"),
        number("kv-ratio", 1.0, 16.0, false, "3", "KV-cache length in temporal window groups"),
        integer("local-range", G::Engine, 1, 255, "11", "local attention window in blocks"),
        choice("color-fix", G::Engine, {"adain", "wavelet", "none"}, "adain",
               "colour correction against the bicubic input"),
        integer("seed", G::Engine, 0, std::numeric_limits<int64_t>::max(), "0", "noise seed"),
        choice("dtype", G::Engine, {"bf16", "fp32"}, "",
               "compute precision (default: bf16 on CUDA, fp32 on the CPU)"),
        text("device", G::Engine, "", "cuda, cuda:N or cpu (default: CUDA when available)"),
        number("memory-budget", 0.0, 100000.0, false, "0",
               "FlashVSR: device memory in GiB the engine may use, weights included (0: what is "
               "free); frames that do not fit are split into tiles"),
        integer("tile-overlap", G::Engine, 16, 4096, "128",
                "FlashVSR: overlap of spatial tiles in output pixels, a multiple of 16"),

        choice("codec", G::Encode,
               {"libx264", "libx265", "libsvtav1", "prores_ks", "ffv1", "png", "tiff", "h264_nvenc",
                "hevc_nvenc"},
               "libx264", "video encoder"),
        integer("crf", G::Encode, 0, 63, "",
                "constant quality (x264/x265/nvenc: 0 to 51, svtav1: 0 to 63)"),
        text("bitrate", G::Encode, "", "target bitrate, e.g. 8M or 2500k (1k to 10G)"),
        text("preset", G::Encode, "", "encoder preset, e.g. ultrafast, medium, p5"),
        text("pix-fmt", G::Encode, "", "output pixel format, e.g. yuv420p, yuv420p10le"),
        choice("prores-profile", G::Encode, {"hq", "4444"}, "", "ProRes 422 HQ or 4444"),

        text("size", G::Job, "", "target size WxH (or Wx / xH), 1 to 16384 per side"),
        choice("fit", G::Job, {"fit", "fill", "exact"}, "fit",
               "with --size: fit inside, fill (cover and crop) or exact (stretch)"),
        text("start", G::Job, "", "in point: seconds, [h:]m:s or a frame number (150f)"),
        text("end", G::Job, "", "out point (exclusive), same forms as --start"),
        text("crop", G::Job, "", "crop before scaling: WxH+X+Y"),
    };
}

std::string canonicalName(std::string_view name) {
    std::string n(name);
    std::replace(n.begin(), n.end(), '_', '-');
    return n;
}

std::string formatNumber(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

Error invalid(std::string message) {
    return makeError(ErrorCode::InvalidArgument, std::move(message));
}

Error badValue(const OptionSpec& spec, std::string_view value, const std::string& what) {
    return invalid("--" + spec.name + " must be " + what + " (got '" + std::string(value) + "')");
}

bool parseInt(std::string_view text, int64_t& out) {
    const char* end = text.data() + text.size();
    const char* first = text.data();
    if (first != end && *first == '+')
        ++first;
    auto [ptr, ec] = std::from_chars(first, end, out);
    return ec == std::errc() && ptr == end && first != end;
}

bool parseReal(std::string_view text, double& out) {
    const char* end = text.data() + text.size();
    const char* first = text.data();
    if (first != end && *first == '+')
        ++first;
    auto [ptr, ec] = std::from_chars(first, end, out);
    return ec == std::errc() && ptr == end && first != end && std::isfinite(out);
}

Status setTimePoint(TrimRange& trim, bool isStart, std::string_view value) {
    const std::string name = isStart ? "--start" : "--end";
    const std::string text(value);
    static const std::regex frame(R"(^\s*(\d+)\s*f\s*$)");
    static const std::regex clock(R"(^\s*(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)\s*$)");
    std::smatch m;
    if (std::regex_match(text, m, frame)) {
        int64_t n = 0;
        if (!parseInt(m[1].str(), n))
            return invalid(name + " frame number must be from 0 to " +
                           std::to_string(std::numeric_limits<int64_t>::max()) + " (got '" + text +
                           "')");
        (isStart ? trim.startFrame : trim.endFrame) = n;
        return {};
    }
    if (std::regex_match(text, m, clock)) {
        double seconds = 0, minutes = 0, hours = 0;
        if (!parseReal(m[3].str(), seconds))
            seconds = std::numeric_limits<double>::infinity();
        if (m[1].matched && m[2].matched) {
            parseReal(m[1].str(), hours);
            parseReal(m[2].str(), minutes);
        } else if (m[1].matched) {
            parseReal(m[1].str(), minutes);
        }
        const double total = hours * 3600 + minutes * 60 + seconds;
        if (!std::isfinite(total) || total > kMaxTrimSeconds)
            return invalid(name + " must be at most " + formatNumber(kMaxTrimSeconds) +
                           " seconds (got '" + text + "')");
        (isStart ? trim.startUs : trim.endUs) = std::llround(total * 1e6);
        return {};
    }
    return invalid("invalid " + name + " '" + text +
                   "': use seconds (12.5), [h:]m:s (1:02.5) or a frame number (150f)");
}

}  // namespace

std::string OptionSpec::rangeText() const {
    switch (type) {
        case OptionType::Integer:
            return "an integer from " + std::to_string(intMin) + " to " + std::to_string(intMax);
        case OptionType::Number:
            return minExclusive
                       ? "a number above " + formatNumber(min) + " and at most " + formatNumber(max)
                       : "a number from " + formatNumber(min) + " to " + formatNumber(max);
        case OptionType::Choice: {
            std::string out = "one of ";
            for (std::size_t i = 0; i < choices.size(); ++i)
                out += (i ? ", " : "") + choices[i];
            return out;
        }
        case OptionType::Text:
            break;
    }
    return "";
}

const std::vector<OptionSpec>& optionTable() {
    static const std::vector<OptionSpec> table = makeTable();
    return table;
}

const OptionSpec* findOption(std::string_view name) {
    const std::string wanted = canonicalName(name);
    for (const auto& spec : optionTable())
        if (spec.name == wanted)
            return &spec;
    return nullptr;
}

Status checkOptionValue(const OptionSpec& spec, std::string_view value) {
    switch (spec.type) {
        case OptionType::Integer: {
            int64_t v = 0;
            if (!parseInt(value, v) || v < spec.intMin || v > spec.intMax)
                return badValue(spec, value, spec.rangeText());
            if (spec.name == "tile-overlap" && v % 16 != 0)
                return badValue(spec, value, "a multiple of 16 from 16 to 4096");
            return {};
        }
        case OptionType::Number: {
            double v = 0;
            if (!parseReal(value, v) || !(spec.minExclusive ? v > spec.min : v >= spec.min) ||
                !(v <= spec.max))
                return badValue(spec, value, spec.rangeText());
            return {};
        }
        case OptionType::Choice:
            if (std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end())
                return badValue(spec, value, spec.rangeText());
            return {};
        case OptionType::Text:
            break;
    }
    if (spec.name == "device") {
        static const std::regex re(R"(^(cpu|cuda|cuda:\d{1,3})$)");
        if (!std::regex_match(std::string(value), re))
            return badValue(spec, value, "cpu, cuda or cuda:N");
    } else if (spec.name == "bitrate") {
        if (auto b = parseBitrate(value); !b)
            return b.error();
    }
    return {};
}

Status setEngineOption(EngineSettings& s, std::string_view name, std::string_view value) {
    const OptionSpec* spec = findOption(name);
    if (!spec || spec->group != OptionGroup::Engine)
        return invalid("unknown engine option '" + std::string(name) + "'");
    if (Status st = checkOptionValue(*spec, value); !st)
        return st;
    const std::string& n = spec->name;
    const std::string v(value);
    if (n == "engine") {
        s.engine = *engineKindFromString(v);
    } else if (n == "scale") {
        double x = 0;
        parseReal(v, x);
        s.scale.factor = x;
        s.scale.targetWidth = s.scale.targetHeight = 0;
    } else if (n == "models") {
        s.modelsDir = v;
    } else if (n == "model-version" || n == "model") {
        s.modelVersion = v;  // FlashVSR's weights version, or the Real-ESRGAN model
    } else if (n == "decoder") {
        s.decoder = *decoderKindFromString(v);
    } else if (n == "sparse-ratio") {
        parseReal(v, s.sparseRatio);
    } else if (n == "kv-ratio") {
        parseReal(v, s.kvRatio);
    } else if (n == "local-range") {
        int64_t x = 0;
        parseInt(v, x);
        s.localRange = static_cast<int>(x);
    } else if (n == "color-fix") {
        s.colorFix = *colorFixFromString(v);
    } else if (n == "seed") {
        parseInt(v, s.seed);
    } else if (n == "dtype") {
        s.dtype = *computeDtypeFromString(v);
    } else if (n == "device") {
        s.device = v;
    } else if (n == "memory-budget") {
        parseReal(v, s.memoryBudgetGiB);
    } else if (n == "tile-overlap") {
        int64_t x = 0;
        parseInt(v, x);
        s.tileOverlap = static_cast<int>(x);
    }
    return {};
}

Status applyEngineOptions(EngineSettings& settings, std::string_view list) {
    std::stringstream in{std::string(list)};
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item.empty())
            continue;
        const auto eq = item.find('=');
        if (eq == std::string::npos)
            return invalid("option '" + item + "' is not key=value");
        if (Status st = setEngineOption(settings, item.substr(0, eq), item.substr(eq + 1)); !st)
            return st;
    }
    return {};
}

Status validateEngineSettings(const EngineSettings& s) {
    auto check = [](const char* name, const std::string& value) {
        return checkOptionValue(*findOption(name), value);
    };
    auto real = [](double v) {
        std::ostringstream out;
        out.precision(17);
        out << v;
        return out.str();
    };
    if (s.scale.targetWidth <= 0 && s.scale.targetHeight <= 0)
        if (Status st = check("scale", real(s.scale.factor)); !st)
            return st;
    if (s.scale.targetWidth < 0 || s.scale.targetHeight < 0 || s.scale.targetWidth > kMaxSide ||
        s.scale.targetHeight > kMaxSide)
        return invalid("--size must be 1 to 16384 pixels per side (got " +
                       std::to_string(s.scale.targetWidth) + "x" +
                       std::to_string(s.scale.targetHeight) + ")");
    if (!s.modelVersion.empty()) {
        // One field: FlashVSR's weights version, or the Real-ESRGAN model.
        if (Status st = check(s.engine == EngineKind::RealEsrgan ? "model" : "model-version",
                              s.modelVersion);
            !st)
            return st;
    }
    if (Status st = check("sparse-ratio", real(s.sparseRatio)); !st)
        return st;
    if (Status st = check("kv-ratio", real(s.kvRatio)); !st)
        return st;
    if (Status st = check("local-range", std::to_string(s.localRange)); !st)
        return st;
    if (Status st = check("seed", std::to_string(s.seed)); !st)
        return st;
    if (!s.device.empty())
        if (Status st = check("device", s.device); !st)
            return st;
    if (Status st = check("memory-budget", real(s.memoryBudgetGiB)); !st)
        return st;
    if (Status st = check("tile-overlap", std::to_string(s.tileOverlap)); !st)
        return st;
    return {};
}

Status setEncodeOption(EncodeSettings& s, std::string_view name, std::string_view value) {
    const OptionSpec* spec = findOption(name);
    if (!spec || spec->group != OptionGroup::Encode)
        return invalid("unknown encode option '" + std::string(name) + "'");
    if (Status st = checkOptionValue(*spec, value); !st)
        return st;
    const std::string& n = spec->name;
    const std::string v(value);
    if (n == "codec") {
        s.codec = v;
    } else if (n == "crf") {
        int64_t x = 0;
        parseInt(v, x);
        s.crf = static_cast<int>(x);
    } else if (n == "bitrate") {
        s.bitrate = parseBitrate(v).value();
    } else if (n == "preset") {
        s.preset = v;
    } else if (n == "pix-fmt") {
        s.pixelFormat = v;
    } else if (n == "prores-profile") {
        s.proresProfile = v;
    }
    return {};
}

Status validateEncodeSettings(const EncodeSettings& s) {
    if (Status st = checkOptionValue(*findOption("codec"), s.codec); !st)
        return st;
    if (s.crf != -1) {
        const bool svt = s.codec == "libsvtav1";
        const bool usesCrf = svt || s.codec == "libx264" || s.codec == "libx265" ||
                             s.codec == "h264_nvenc" || s.codec == "hevc_nvenc";
        const int hi = svt ? 63 : 51;
        if (usesCrf && (s.crf < 0 || s.crf > hi))
            return invalid("--crf must be an integer from 0 to " + std::to_string(hi) + " for " +
                           s.codec + " (got '" + std::to_string(s.crf) + "')");
    }
    if (s.bitrate != 0 && (s.bitrate < kMinBitrate || s.bitrate > kMaxBitrate))
        return invalid("--bitrate must be from 1k to 10G bits/s (got " + std::to_string(s.bitrate) +
                       ")");
    if (!s.proresProfile.empty())
        if (Status st = checkOptionValue(*findOption("prores-profile"), s.proresProfile); !st)
            return st;
    return {};
}

Result<int64_t> parseBitrate(std::string_view value) {
    static const std::regex re(R"(^(\d+(?:\.\d+)?)([kKmMgG]?)$)");
    const std::string text(value);
    std::smatch m;
    if (!std::regex_match(text, m, re))
        return invalid("invalid --bitrate '" + text + "': use e.g. 8M or 2500k");
    double v = 0;
    if (!parseReal(m[1].str(), v))
        v = std::numeric_limits<double>::infinity();
    const char unit = m[2].length() ? static_cast<char>(std::tolower(m[2].str()[0])) : ' ';
    v *= unit == 'k' ? 1e3 : unit == 'm' ? 1e6 : unit == 'g' ? 1e9 : 1.0;
    if (!(v >= double(kMinBitrate) && v <= double(kMaxBitrate)))
        return invalid("--bitrate must be from 1k to 10G bits/s (got '" + text + "')");
    return static_cast<int64_t>(std::llround(v));
}

Status setScaleSize(ScaleRequest& scale, std::string_view value) {
    static const std::regex re(R"(^(\d*)x(\d*)$)");
    const std::string text(value);
    std::smatch m;
    if (!std::regex_match(text, m, re) || (m[1].length() == 0 && m[2].length() == 0))
        return invalid("invalid --size '" + text + "': use WxH, Wx or xH");
    auto side = [](const std::string& digits, int& out) {
        if (digits.empty()) {
            out = 0;
            return true;
        }
        int64_t v = 0;
        if (!parseInt(digits, v) || v < 1 || v > kMaxSide)
            return false;
        out = static_cast<int>(v);
        return true;
    };
    int w = 0, h = 0;
    if (!side(m[1].str(), w) || !side(m[2].str(), h))
        return invalid("--size must be 1 to 16384 pixels per side (got '" + text + "')");
    scale.targetWidth = w;
    scale.targetHeight = h;
    return {};
}

Status setTrimPoint(TrimRange& trim, std::string_view name, std::string_view value) {
    const std::string n = canonicalName(name);
    if (n != "start" && n != "end")
        return invalid("unknown trim option '" + std::string(name) + "'");
    return setTimePoint(trim, n == "start", value);
}

Status validateTrim(const TrimRange& t) {
    if ((t.startFrame >= 0 && t.endUs >= 0) || (t.startUs >= 0 && t.endFrame >= 0))
        return invalid("--start and --end must both be times or both be frame numbers");
    if ((t.startFrame >= 0 && t.endFrame >= 0 && t.endFrame <= t.startFrame) ||
        (t.startUs >= 0 && t.endUs >= 0 && t.endUs <= t.startUs))
        return invalid("--end must be after --start");
    return {};
}

Status setCrop(CropRect& crop, std::string_view value) {
    static const std::regex re(R"(^(\d+)x(\d+)\+(\d+)\+(\d+)$)");
    const std::string text(value);
    std::smatch m;
    if (!std::regex_match(text, m, re))
        return invalid("invalid --crop '" + text + "': use WxH+X+Y");
    int64_t v[4] = {};
    for (int i = 0; i < 4; ++i)
        if (!parseInt(m[i + 1].str(), v[i]) || v[i] > kMaxSide * 4)
            return invalid("--crop values must be at most " + std::to_string(kMaxSide * 4) +
                           " (got '" + text + "')");
    if (v[0] == 0 || v[1] == 0)
        return invalid("--crop size must be positive (got '" + text + "')");
    crop = CropRect{static_cast<int>(v[2]), static_cast<int>(v[3]), static_cast<int>(v[0]),
                    static_cast<int>(v[1])};
    return {};
}

}  // namespace fvs::core
