#pragma once
// EngineSettings: what the user chose for the upscaling engine. Typed plain data shared by the
// CLI, the app and persisted export jobs; app/engines turns it into a concrete FrameProcessor.
// Values are checked against the option table (fvs/core/option_table.h).

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "fvs/core/frame_processor.h"

namespace fvs::core {

enum class EngineKind { FlashVsr, RealEsrgan, Lanczos, Bicubic };
enum class DecoderKind { Tiny, Full };  // TC decoder, Wan 2.1 VAE decoder
enum class ColorFix { AdaIn, Wavelet, None };
enum class ComputeDtype { Auto, Bf16, Fp32 };  // Auto: bf16 on CUDA, fp32 on the CPU

// Names as written on the command line, in `--options`, in the queue file and in QML.
const char* toString(EngineKind kind);     // "flashvsr", "realesrgan", "lanczos", "bicubic"
const char* toString(DecoderKind kind);    // "tiny", "full"
const char* toString(ColorFix fix);        // "adain", "wavelet", "none"
const char* toString(ComputeDtype dtype);  // "auto", "bf16", "fp32"
std::optional<EngineKind> engineKindFromString(std::string_view name);
std::optional<DecoderKind> decoderKindFromString(std::string_view name);
std::optional<ColorFix> colorFixFromString(std::string_view name);
std::optional<ComputeDtype> computeDtypeFromString(std::string_view name);

struct EngineSettings {
    EngineKind engine = EngineKind::FlashVsr;  // see defaultEngine()
    ScaleRequest scale;                        // factor 4 by default
    // FlashVSR
    std::string modelsDir;     // empty: search FLASHVSR_MODELS and the documented folders
    std::string modelVersion;  // "v1", "v1.1"; empty: detect from the files
    DecoderKind decoder = DecoderKind::Tiny;
    double sparseRatio = 2.0;  // (0, 64]
    double kvRatio = 3.0;      // [1, 16]
    int localRange = 11;       // [1, 255]
    ColorFix colorFix = ColorFix::AdaIn;
    int64_t seed = 0;  // [0, 2^63-1]
    ComputeDtype dtype = ComputeDtype::Auto;
    std::string device;  // "cuda", "cuda:1", "cpu"; empty: CUDA when available
    // FlashVSR memory planning (docs/engine.md "Tiling"): the device memory the engine may use
    // (0: whatever is free) and the overlap of spatial tiles in output pixels.
    double memoryBudgetGiB = 0.0;  // [0, 1e6]
    int tileOverlap = 128;         // multiple of 16, [16, 4096]
};

// Which engines could run here: weights found (FlashVSR, Real-ESRGAN); the resamplers always can.
struct EngineAvailability {
    bool flashVsr = false;
    bool realEsrgan = false;
};
// The default engine, the same for the CLI, the app and the queue: FlashVSR when its weights are
// found, else Real-ESRGAN when its weights are found, else Lanczos.
EngineKind defaultEngine(const EngineAvailability& available);

// Watches an engine being made: model loading reports its progress per file and stops early (the
// factory then returns ErrorCode::Cancelled) once `stop` is requested. Callbacks run on the thread
// that makes the engine.
struct EngineLoadObserver {
    std::function<void(const std::string& file, int64_t doneBytes, int64_t totalBytes)> progress;
    std::stop_token stop;
};

}  // namespace fvs::core
