#include "engine/flashvsr_model.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "fvs/gpu/model_files.h"
#include "io/tensor_io.h"

namespace fvs::gpu {
namespace {

core::Error modelError(const std::string& what) {
    return core::makeError(core::ErrorCode::ModelError, what);
}

// The version recorded in flashvsr_config.json (reduced test folders), else the folder report's.
std::string detectVersion(const ModelFolderReport& report) {
    const auto json = report.folder / kConfigFile;
    if (std::filesystem::exists(json)) {
        try {
            std::ifstream in(json);
            const auto j = nlohmann::json::parse(in);
            if (j.contains("version")) {
                return j.at("version").get<std::string>();
            }
        } catch (const std::exception&) {
            // fall through to the file-based detection
        }
    }
    return report.version;
}

// Thrown from a progress report to end a load the caller no longer wants.
struct LoadCancelled : std::runtime_error {
    LoadCancelled() : std::runtime_error("model loading cancelled") {}
};

ReadOptions readOptions(const std::string& file, const FlashVsrModel::Progress& progress,
                        const std::stop_token& stop, bool* cancelled) {
    ReadOptions r;
    r.memoryMap = true;
    r.onProgress = [progress, file, stop, cancelled](int64_t done, int64_t total) {
        if (stop.stop_requested()) {
            *cancelled = true;  // readers may turn the exception into an error: remember it here
            throw LoadCancelled();
        }
        if (progress) {
            progress(file, done, total);
        }
    };
    return r;
}

core::Error cancelledError() {
    return core::makeError(core::ErrorCode::Cancelled, "model loading cancelled");
}

int64_t bytesOf(const torch::nn::Module& m) {
    int64_t total = 0;
    for (const auto& p : m.parameters()) {
        total += p.numel() * static_cast<int64_t>(p.element_size());
    }
    return total;
}

}  // namespace

core::Result<std::shared_ptr<FlashVsrModel>> FlashVsrModel::load(
    const std::filesystem::path& folder, const ModelOptions& options, const Progress& progress,
    std::stop_token stop) {
    if (!std::filesystem::is_directory(folder)) {
        return core::makeError(core::ErrorCode::NotFound,
                               "model folder '" + folder.string() + "' does not exist");
    }
    return load(checkModelFolder(folder), options, progress, stop);
}

core::Result<std::shared_ptr<FlashVsrModel>> FlashVsrModel::load(const ModelFolderReport& report,
                                                                 const ModelOptions& options,
                                                                 const Progress& progress,
                                                                 std::stop_token stop) {
    torch::NoGradGuard noGrad;
    const std::filesystem::path& folder = report.folder;
    bool cancelled = false;
    auto readOptions = [&](const std::string& file) {
        return fvs::gpu::readOptions(file, progress, stop, &cancelled);
    };
    if (!std::filesystem::is_directory(folder)) {
        return core::makeError(core::ErrorCode::NotFound,
                               "model folder '" + folder.string() + "' does not exist");
    }
    auto model = std::make_shared<FlashVsrModel>();
    model->m_folder = folder;
    model->m_options = options;
    const std::string detected = detectVersion(report);
    if (!options.version.empty() && !detected.empty() && options.version != detected) {
        return modelError("the weights in '" + folder.string() + "' are FlashVSR " + detected +
                          " but version " + options.version +
                          " was requested; v1 and v1.1 code and weights must not be mixed");
    }
    model->m_options.version = options.version.empty() ? detected : options.version;
    if (model->m_options.version.empty()) {
        return modelError("cannot tell whether '" + folder.string() +
                          "' holds FlashVSR v1 or v1.1 weights; pass version=v1 or version=v1.1");
    }
    try {
        // DiT: config from the shapes, strict load, constants from the prompt.
        auto ditFile = readSafeTensors(folder / kDitFile, readOptions(kDitFile));
        if (cancelled || stop.stop_requested()) {
            return cancelledError();
        }
        if (!ditFile) {
            return ditFile.error();
        }
        auto config = WanConfig::fromWeights(*ditFile, folder / kConfigFile);
        if (!config) {
            return modelError(std::string(kDitFile) + ": " + config.error().message);
        }
        model->m_dit = WanDit(*config);
        model->m_dit->to(options.device, options.dtype);
        if (auto st = loadStateDict(*model->m_dit, *ditFile, kDitFile); !st) {
            return st.error();
        }
        ditFile = TensorMap{};  // release the mapping
        auto prompt = readTorchArchive(folder / kPromptFile, readOptions(kPromptFile));
        if (cancelled || stop.stop_requested()) {
            return cancelledError();
        }
        if (!prompt) {
            return prompt.error();
        }
        if (prompt->size() != 1) {
            return modelError(std::string(kPromptFile) + ": expected a single tensor, found " +
                              std::to_string(prompt->size()) + " entries");
        }
        model->m_dit->initConstants(prompt->begin()->second, options.foldModulation);

        auto lqFile = readTorchArchive(folder / kLqProjFile, readOptions(kLqProjFile));
        if (cancelled || stop.stop_requested()) {
            return cancelledError();
        }
        if (!lqFile) {
            return lqFile.error();
        }
        const auto lqVersion =
            model->m_options.version == "v1" ? LqProjectorVersion::V1 : LqProjectorVersion::V1_1;
        auto lq = loadLqProjector(*lqFile, lqVersion, kLqProjFile);
        if (!lq) {
            return lq.error();
        }
        model->m_lqProjector = *lq;
        model->m_lqProjector->to(options.device, options.dtype);

        const char* decoderFile = options.decoder == DecoderKind::Tiny ? kTcDecoderFile : kVaeFile;
        auto decFile = readTorchArchive(folder / decoderFile, readOptions(decoderFile));
        if (cancelled || stop.stop_requested()) {
            return cancelledError();
        }
        if (!decFile) {
            return decFile.error();
        }
        if (options.decoder == DecoderKind::Tiny) {
            auto tc = loadTcDecoder(*decFile, kTcDecoderFile);
            if (!tc) {
                return tc.error();
            }
            model->m_tcDecoder = *tc;
            model->m_tcDecoder->to(options.device, options.dtype);
            // cuDNN's NHWC convolutions (decoder_nhwc=0 keeps NCHW, for A/B measurements).
            if (options.device.is_cuda() && options.decoderChannelsLast) {
                model->m_tcDecoder->useChannelsLast(true);
            }
        } else {
            auto vae = loadWanVaeDecoder(*decFile, kVaeFile);
            if (!vae) {
                return vae.error();
            }
            model->m_vaeDecoder = *vae;
            model->m_vaeDecoder->to(options.device, options.dtype);
        }
        model->m_parameterBytes = bytesOf(*model->m_dit) + bytesOf(*model->m_lqProjector) +
                                  (model->m_tcDecoder ? bytesOf(*model->m_tcDecoder) : 0) +
                                  (model->m_vaeDecoder ? bytesOf(*model->m_vaeDecoder) : 0);
    } catch (const LoadCancelled&) {
        return cancelledError();
    } catch (const c10::Error& e) {
        if (cancelled) {
            return cancelledError();
        }
        return modelError("loading '" + folder.string() +
                          "' failed: " + e.what_without_backtrace());
    } catch (const std::exception& e) {
        if (cancelled) {
            return cancelledError();
        }
        return modelError("loading '" + folder.string() + "' failed: " + e.what());
    }
    return model;
}

}  // namespace fvs::gpu
