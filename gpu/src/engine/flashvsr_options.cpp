#include "engine/flashvsr_options.h"

#include <sstream>

#include "fvs/core/option_table.h"

namespace fvs::gpu {
namespace {

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

core::Status setOne(FlashVsrOptions& o, const std::string& key, const std::string& value) {
    double number = 0.0;
    if (key == "version") {
        if (!value.empty() && value != "v1" && value != "v1.1") {
            return invalid("version must be v1 or v1.1, got '" + value + "'");
        }
        o.version = value;
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
            o.colorFix = ColorFixMethod::AdaIn;
        } else if (value == "wavelet") {
            o.colorFix = ColorFixMethod::Wavelet;
        } else if (value == "none") {
            o.colorFix = ColorFixMethod::None;
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
        try {
            o.device = torch::Device(value);
        } catch (const std::exception&) {
            return invalid("device must be cpu, cuda or cuda:N, got '" + value + "'");
        }
        if (o.device.is_cuda() && !torch::cuda::is_available()) {
            return core::makeError(core::ErrorCode::Unsupported,
                                   "device '" + value + "' requested but CUDA is not available");
        }
    } else if (key == "scale" || key == "sparse_ratio" || key == "kv_ratio" ||
               key == "local_range" || key == "seed") {
        // The option table's ranges and messages, the same as the CLI's and the app's.
        if (auto st = core::checkOptionValue(*core::findOption(key), value); !st) {
            return st;
        }
        parseDouble(value, number);
        if (key == "scale") {
            o.scale = number;
        } else if (key == "sparse_ratio") {
            o.sparseRatio = number;
        } else if (key == "kv_ratio") {
            o.kvRatio = number;
        } else if (key == "local_range") {
            o.localRange = static_cast<int64_t>(number);
        } else {
            o.seed = std::stoll(value);
        }
    } else {
        return invalid("unknown FlashVSR option '" + key + "'");
    }
    return {};
}

}  // namespace

core::Result<FlashVsrOptions> FlashVsrOptions::fromSettings(const core::EngineSettings& s) {
    // The typed settings map one to one; their ranges are the option table's (fvs/core).
    if (auto st = core::validateEngineSettings(s); !st) {
        return st.error();
    }
    FlashVsrOptions o;
    if (!s.device.empty()) {
        if (auto st = setOne(o, "device", s.device); !st) {
            return st.error();
        }
    } else {
        o.device =
            torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    }
    switch (s.dtype) {
        case core::ComputeDtype::Auto:
            o.dtype = o.device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
            break;
        case core::ComputeDtype::Bf16:
            o.dtype = torch::kBFloat16;
            break;
        case core::ComputeDtype::Fp32:
            o.dtype = torch::kFloat32;
            break;
    }
    o.version = s.modelVersion;
    o.decoder = s.decoder == core::DecoderKind::Full ? DecoderKind::Full : DecoderKind::Tiny;
    o.colorFix = s.colorFix == core::ColorFix::Wavelet ? ColorFixMethod::Wavelet
                 : s.colorFix == core::ColorFix::None  ? ColorFixMethod::None
                                                       : ColorFixMethod::AdaIn;
    o.sparseRatio = s.sparseRatio;
    o.kvRatio = s.kvRatio;
    o.localRange = s.localRange;
    o.seed = s.seed;
    if (s.scale.targetWidth <= 0 && s.scale.targetHeight <= 0) {
        o.scale = s.scale.factor;
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

std::string FlashVsrOptions::describe() const {
    std::ostringstream out;
    out << "FlashVSR " << (version.empty() ? "?" : version) << " "
        << (decoder == DecoderKind::Tiny ? "tiny" : "full") << " sparse_ratio=" << sparseRatio
        << " kv_ratio=" << kvRatio << " local_range=" << localRange << " color_fix="
        << (colorFix == ColorFixMethod::AdaIn     ? "adain"
            : colorFix == ColorFixMethod::Wavelet ? "wavelet"
                                                  : "none")
        << " seed=" << seed << " " << (dtype == torch::kBFloat16 ? "bf16" : "fp32") << " "
        << device.str();
    return out.str();
}

}  // namespace fvs::gpu
