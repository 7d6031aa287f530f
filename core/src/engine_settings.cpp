#include "fvs/core/engine_settings.h"

#include <array>
#include <utility>

namespace fvs::core {
namespace {

template <class Enum, std::size_t N>
std::optional<Enum> lookup(const std::array<std::pair<Enum, const char*>, N>& names,
                           std::string_view name) {
    for (const auto& [value, text] : names)
        if (name == text)
            return value;
    return std::nullopt;
}

template <class Enum, std::size_t N>
const char* nameOf(const std::array<std::pair<Enum, const char*>, N>& names, Enum value) {
    for (const auto& [v, text] : names)
        if (v == value)
            return text;
    return "?";
}

constexpr std::array<std::pair<EngineKind, const char*>, 4> kEngines{{
    {EngineKind::FlashVsr, "flashvsr"},
    {EngineKind::RealEsrgan, "realesrgan"},
    {EngineKind::Lanczos, "lanczos"},
    {EngineKind::Bicubic, "bicubic"},
}};
constexpr std::array<std::pair<DecoderKind, const char*>, 2> kDecoders{{
    {DecoderKind::Tiny, "tiny"},
    {DecoderKind::Full, "full"},
}};
constexpr std::array<std::pair<ColorFix, const char*>, 3> kColorFixes{{
    {ColorFix::AdaIn, "adain"},
    {ColorFix::Wavelet, "wavelet"},
    {ColorFix::None, "none"},
}};
constexpr std::array<std::pair<ComputeDtype, const char*>, 3> kDtypes{{
    {ComputeDtype::Auto, "auto"},
    {ComputeDtype::Bf16, "bf16"},
    {ComputeDtype::Fp32, "fp32"},
}};

}  // namespace

const char* toString(EngineKind kind) {
    return nameOf(kEngines, kind);
}
const char* toString(DecoderKind kind) {
    return nameOf(kDecoders, kind);
}
const char* toString(ColorFix fix) {
    return nameOf(kColorFixes, fix);
}
const char* toString(ComputeDtype dtype) {
    return nameOf(kDtypes, dtype);
}

std::optional<EngineKind> engineKindFromString(std::string_view name) {
    return lookup(kEngines, name);
}
std::optional<DecoderKind> decoderKindFromString(std::string_view name) {
    return lookup(kDecoders, name);
}
std::optional<ColorFix> colorFixFromString(std::string_view name) {
    return lookup(kColorFixes, name);
}
std::optional<ComputeDtype> computeDtypeFromString(std::string_view name) {
    return name.empty() ? std::optional<ComputeDtype>(ComputeDtype::Auto) : lookup(kDtypes, name);
}

EngineKind defaultEngine(const EngineAvailability& available) {
    if (available.flashVsr)
        return EngineKind::FlashVsr;
    if (available.realEsrgan)
        return EngineKind::RealEsrgan;
    return EngineKind::Lanczos;
}

}  // namespace fvs::core
