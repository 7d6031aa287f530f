#include "engine/flashvsr_options.h"

#include <charconv>
#include <sstream>
#include <system_error>

namespace fvs::gpu {
namespace {

// A number as a user would write it: 2, 0.5, 1e+30.
std::string shown(double number) {
    std::ostringstream out;
    out << number;
    return out.str();
}

core::Error invalid(const std::string& what) {
    return core::makeError(core::ErrorCode::InvalidArgument, what);
}

bool parseDouble(const std::string& text, double& out) {
    try {
        size_t used = 0;
        out = std::stod(text, &used);
        return used == text.size();
    } catch (const std::exception&) {
        return false;
    }
}

bool parseFlag(const std::string& text, bool& out) {
    if (text == "1" || text == "on" || text == "true") {
        out = true;
    } else if (text == "0" || text == "off" || text == "false") {
        out = false;
    } else {
        return false;
    }
    return true;
}

// One validating setter per typed value: the key=value parser and fromSettings() share them, so
// the ranges and messages are the same wherever a value comes from.
core::Status setVersion(ModelOptions& o, const std::string& value) {
    if (!value.empty() && value != "v1" && value != "v1.1") {
        return invalid("version must be v1 or v1.1, got '" + value + "'");
    }
    o.version = value;
    return {};
}

core::Status setDevice(ModelOptions& o, const std::string& value) {
    try {
        o.device = torch::Device(value);
    } catch (const std::exception&) {
        return invalid("device must be cpu, cuda or cuda:N, got '" + value + "'");
    }
    if (o.device.is_cuda() && !torch::cuda::is_available()) {
        return core::makeError(core::ErrorCode::Unsupported,
                               "device '" + value + "' requested but CUDA is not available");
    }
    return {};
}

core::Status setScale(FlashVsrOptions& all, double number) {
    if (!(number >= 1.0 && number <= 16.0)) {
        return invalid("scale must be in [1, 16], got " + shown(number));
    }
    all.scale = number;
    return {};
}

core::Status setSparseRatio(StreamOptions& s, double number) {
    if (!(number > 0.0 && number <= 64.0)) {
        return invalid("sparse_ratio must be in (0, 64], got " + shown(number));
    }
    s.sparseRatio = number;
    return {};
}

core::Status setKvRatio(StreamOptions& s, double number) {
    if (!(number >= 1.0 && number <= 16.0)) {
        return invalid("kv_ratio must be in [1, 16], got " + shown(number));
    }
    s.kvRatio = number;
    return {};
}

core::Status setLocalRange(StreamOptions& s, double number) {
    if (!(number >= 1.0 && number <= 255.0) || number != static_cast<int64_t>(number)) {
        return invalid("local_range must be an integer in [1, 255], got " + shown(number));
    }
    s.localRange = static_cast<int64_t>(number);
    return {};
}

core::Status setSeed(StreamOptions& s, int64_t seed) {
    if (seed < 0) {
        return invalid("seed must be an integer in [0, 2^63-1], got " + std::to_string(seed));
    }
    s.seed = seed;
    return {};
}

core::Status setTileOverlap(TilingOptions& t, double number) {
    if (!(number >= 16 && number <= 4096) || number != static_cast<int64_t>(number) ||
        static_cast<int64_t>(number) % 16 != 0) {
        return invalid("tile_overlap must be a multiple of 16 from 16 to 4096, got " +
                       shown(number));
    }
    t.overlap = static_cast<int64_t>(number);
    return {};
}

core::Status setMemoryBudget(TilingOptions& t, double gib) {
    if (!(gib >= 0 && gib <= 100000)) {
        return invalid("memory_budget_gib must be 0 (the free memory) or up to 100000, got " +
                       shown(gib));
    }
    t.memoryBudgetBytes = static_cast<int64_t>(gib * (1LL << 30));
    return {};
}

ColorFixMethod colorFixOf(core::ColorFix fix) {
    switch (fix) {
        case core::ColorFix::Wavelet:
            return ColorFixMethod::Wavelet;
        case core::ColorFix::None:
            return ColorFixMethod::None;
        case core::ColorFix::AdaIn:
            break;
    }
    return ColorFixMethod::AdaIn;
}

core::Status setOne(FlashVsrOptions& all, const std::string& key, const std::string& value) {
    ModelOptions& o = all.model;
    StreamOptions& s = all.stream;
    double number = 0.0;
    if (key == "attention") {
        if (value == "auto") {
            s.attention = AttentionPath::Auto;
        } else if (value == "paged") {
            s.attention = AttentionPath::Paged;
        } else if (value == "gather") {
            s.attention = AttentionPath::Gather;
        } else if (value == "runs") {
            s.attention = AttentionPath::Runs;
        } else if (value == "reference") {
            s.attention = AttentionPath::Reference;
        } else {
            return invalid("attention must be auto, paged, gather, runs or reference, got '" +
                           value + "'");
        }
    } else if (key == "fold" || key == "decoder_nhwc" || key == "fused") {
        bool flag = false;
        if (!parseFlag(value, flag)) {
            return invalid(key + " must be 0 or 1, got '" + value + "'");
        }
        (key == "fold"    ? o.foldModulation
         : key == "fused" ? o.fusedKernels
                          : o.decoderChannelsLast) = flag;
    } else if (key == "park") {
        bool flag = false;
        if (!parseFlag(value, flag)) {
            return invalid("park must be 0 or 1, got '" + value + "'");
        }
        all.tiling.allowParking = flag;
    } else if (key == "overlap" || key == "profile") {
        bool flag = false;
        if (!parseFlag(value, flag)) {
            return invalid(key + " must be 0 or 1, got '" + value + "'");
        }
        (key == "overlap" ? s.decoderOverlap : s.profile) = flag;
    } else if (key == "tile") {
        TilingOptions& t = all.tiling;
        int64_t w = 0, h = 0;
        char x = 0, extra = 0;
        std::istringstream in(value);
        if (value == "auto" || value == "off") {
            t.mode = value == "auto" ? TilingMode::Auto : TilingMode::Off;
        } else if ((in >> w >> x >> h) && x == 'x' && !(in >> extra) && w >= 128 && h >= 128 &&
                   w % 128 == 0 && h % 128 == 0) {
            t.mode = TilingMode::Fixed;
            t.tileWidth = w;
            t.tileHeight = h;
        } else {
            return invalid("tile must be auto, off or WxH with multiples of 128, got '" + value +
                           "'");
        }
    } else if (key == "version") {
        return setVersion(o, value);
    } else if (key == "decoder") {
        if (value == "tiny") {
            o.decoder = DecoderKind::Tiny;
        } else if (value == "full") {
            o.decoder = DecoderKind::Full;
        } else {
            return invalid("decoder must be tiny or full, got '" + value + "'");
        }
    } else if (key == "color_fix" || key == "colorfix") {
        if (value == "adain") {
            s.colorFix = ColorFixMethod::AdaIn;
        } else if (value == "wavelet") {
            s.colorFix = ColorFixMethod::Wavelet;
        } else if (value == "none") {
            s.colorFix = ColorFixMethod::None;
        } else {
            return invalid("color_fix must be adain, wavelet or none, got '" + value + "'");
        }
    } else if (key == "dtype") {
        if (value == "bf16") {
            o.dtype = torch::kBFloat16;
        } else if (value == "fp32") {
            o.dtype = torch::kFloat32;
        } else {
            return invalid("dtype must be bf16 or fp32, got '" + value + "'");
        }
    } else if (key == "device") {
        return setDevice(o, value);
    } else if (key == "seed") {
        // An integer, exactly: 64-bit seeds do not survive a double.
        int64_t seed = 0;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seed);
        if (error != std::errc{} || end != value.data() + value.size()) {
            return invalid("seed must be an integer in [0, 2^63-1], got '" + value + "'");
        }
        return setSeed(s, seed);
    } else if (!parseDouble(value, number)) {
        return invalid("option " + key + " needs a number, got '" + value + "'");
    } else if (key == "scale") {
        return setScale(all, number);
    } else if (key == "sparse_ratio") {
        return setSparseRatio(s, number);
    } else if (key == "kv_ratio") {
        return setKvRatio(s, number);
    } else if (key == "local_range") {
        return setLocalRange(s, number);
    } else if (key == "gather_budget_mb") {
        if (number != 0 && !(number >= 64 && number <= (1 << 20))) {
            return invalid("gather_budget_mb must be 0 (automatic) or 64..1048576, got " + value);
        }
        s.gatherBudgetBytes = static_cast<int64_t>(number) << 20;
    } else if (key == "tile_overlap") {
        return setTileOverlap(all.tiling, number);
    } else if (key == "memory_budget_gib") {
        return setMemoryBudget(all.tiling, number);
    } else {
        return invalid("unknown FlashVSR option '" + key + "'");
    }
    return {};
}

}  // namespace

core::Result<FlashVsrOptions> FlashVsrOptions::fromSettings(const core::EngineSettings& s) {
    FlashVsrOptions o;
    // The typed settings go straight into the typed options, through the same range checks as
    // the key=value list.
    const bool cuda =
        s.device.empty() ? torch::cuda::is_available() : s.device.rfind("cuda", 0) == 0;
    o.model.device = cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    o.model.dtype = cuda ? torch::kBFloat16 : torch::kFloat32;
    o.model.decoder = s.decoder == core::DecoderKind::Full ? DecoderKind::Full : DecoderKind::Tiny;
    o.stream.colorFix = colorFixOf(s.colorFix);
    if (s.dtype != core::ComputeDtype::Auto) {
        o.model.dtype = s.dtype == core::ComputeDtype::Bf16 ? torch::kBFloat16 : torch::kFloat32;
    }
    for (const core::Status& st :
         {setVersion(o.model, s.modelVersion), setSparseRatio(o.stream, s.sparseRatio),
          setKvRatio(o.stream, s.kvRatio), setLocalRange(o.stream, s.localRange),
          setSeed(o.stream, s.seed), setTileOverlap(o.tiling, s.tileOverlap),
          setMemoryBudget(o.tiling, s.memoryBudgetGiB),
          s.device.empty() ? core::Status{} : setDevice(o.model, s.device),
          s.scale.targetWidth > 0 || s.scale.targetHeight > 0 ? core::Status{}
                                                              : setScale(o, s.scale.factor)}) {
        if (!st) {
            return st.error();
        }
    }
    return o;
}

core::Status FlashVsrOptions::applyKeyValues(const std::string& list) {
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item.empty()) {
            continue;
        }
        const auto eq = item.find('=');
        if (eq == std::string::npos) {
            return invalid("option '" + item + "' is not key=value");
        }
        if (auto st = setOne(*this, item.substr(0, eq), item.substr(eq + 1)); !st) {
            return st;
        }
    }
    return {};
}

const char* toString(AttentionPath path) {
    switch (path) {
        case AttentionPath::Paged:
            return "paged";
        case AttentionPath::Gather:
            return "gather";
        case AttentionPath::Runs:
            return "runs";
        case AttentionPath::Reference:
            return "reference";
        case AttentionPath::Auto:
            break;
    }
    return "auto";
}

std::string describe(const ModelOptions& model, const StreamOptions& stream) {
    std::ostringstream out;
    out << "FlashVSR " << (model.version.empty() ? "?" : model.version) << " "
        << (model.decoder == DecoderKind::Tiny ? "tiny" : "full")
        << " sparse_ratio=" << stream.sparseRatio << " kv_ratio=" << stream.kvRatio
        << " local_range=" << stream.localRange << " color_fix="
        << (stream.colorFix == ColorFixMethod::AdaIn     ? "adain"
            : stream.colorFix == ColorFixMethod::Wavelet ? "wavelet"
                                                         : "none")
        << " seed=" << stream.seed << " " << (model.dtype == torch::kBFloat16 ? "bf16" : "fp32")
        << " " << model.device.str();
    // The attention path changes the numerics slightly (fp32 reference vs the bf16 kernels).
    if (stream.attention != AttentionPath::Auto) {
        out << " attention=" << toString(stream.attention);
    }
    // Off-default CUDA speed paths change the numerics at the bf16 rounding level.
    if (!model.foldModulation) {
        out << " fold=0";
    }
    if (!model.decoderChannelsLast) {
        out << " decoder_nhwc=0";
    }
    if (!model.fusedKernels) {
        out << " fused=0";
    }
    return out.str();
}

}  // namespace fvs::gpu
