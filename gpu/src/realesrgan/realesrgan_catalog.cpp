// The Real-ESRGAN model catalogue and the weight search path (torch-free).
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "fvs/core/xdg_paths.h"
#include "fvs/gpu/realesrgan.h"

namespace fvs::gpu {

std::string RealEsrganModel::fileStem(int scale) const {
    if (id == "animevideov3")
        return "realesr-animevideov3-x" + std::to_string(scale);
    return "realesrgan-" + id;  // x4plus, x4plus-anime: one ×4 network
}

const std::vector<RealEsrganModel>& realEsrganModels() {
    static const std::vector<RealEsrganModel> models{
        {"animevideov3",
         "Real-ESRGAN compact video model (×2/×3/×4, fast; anime and general video)",
         {2, 3, 4}},
        {"x4plus", "Real-ESRGAN x4plus (RRDB, ×4; photos and real footage, slow)", {4}},
        {"x4plus-anime", "Real-ESRGAN x4plus-anime (RRDB, ×4; drawn content)", {4}},
    };
    return models;
}

const RealEsrganModel* findRealEsrganModel(const std::string& id) {
    for (const auto& m : realEsrganModels())
        if (m.id == id)
            return &m;
    return nullptr;
}

int realEsrganNetworkScale(const RealEsrganModel& model, double factor) {
    for (int s : model.scales)
        if (s + 1e-9 >= factor)
            return s;
    return model.scales.back();
}

namespace {

RealEsrganEnvironment& environmentStore() {
    static RealEsrganEnvironment environment;
    return environment;
}

}  // namespace

void configureRealEsrgan(const RealEsrganEnvironment& environment) {
    environmentStore() = environment;
}

int realEsrganConfiguredTile() {
    return environmentStore().tilePixels;
}

std::vector<std::filesystem::path> realEsrganSearchPaths() {
    std::vector<std::filesystem::path> paths = environmentStore().extraSearchPaths;
    paths.push_back(core::appDataDir() / "realesrgan");
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        paths.push_back(std::filesystem::path(exe).parent_path().parent_path() /
                        "share/flashvsr-studio/realesrgan");
    }
    paths.emplace_back("/usr/local/share/flashvsr-studio/realesrgan");
    paths.emplace_back("/usr/share/flashvsr-studio/realesrgan");
#ifdef FVS_REALESRGAN_WHEEL_DIR
    paths.emplace_back(FVS_REALESRGAN_WHEEL_DIR);
#endif
    return paths;
}

std::vector<RealEsrganFileStatus> locateRealEsrganFiles() {
    const auto folders = realEsrganSearchPaths();
    std::vector<RealEsrganFileStatus> out;
    for (const auto& model : realEsrganModels()) {
        for (int scale : model.scales) {
            RealEsrganFileStatus s;
            s.model = model.id;
            s.scale = scale;
            const std::string stem = model.fileStem(scale);
            for (const auto& dir : folders) {
                std::error_code ec;
                const auto param = dir / (stem + ".param"), bin = dir / (stem + ".bin");
                if (std::filesystem::is_regular_file(param, ec) &&
                    std::filesystem::is_regular_file(bin, ec)) {
                    s.param = param;
                    s.bin = bin;
                    s.sizeBytes =
                        std::filesystem::file_size(param, ec) + std::filesystem::file_size(bin, ec);
                    break;
                }
            }
            out.push_back(std::move(s));
        }
    }
    return out;
}

bool realEsrganAvailable(const std::string& model) {
    bool any = false;
    for (const auto& s : locateRealEsrganFiles()) {
        if (s.model != model)
            continue;
        any = true;
        if (s.param.empty())
            return false;
    }
    return any;
}

}  // namespace fvs::gpu
