// Stub until the weights-loader work lands (issue #3 §2).
#include "fvs/gpu/model_files.h"

namespace fvs::gpu {

std::vector<std::filesystem::path> modelSearchPaths(const std::filesystem::path& explicitDir) {
    std::vector<std::filesystem::path> paths;
    if (!explicitDir.empty()) paths.push_back(explicitDir);
    return paths;
}

ModelFolderReport checkModelFolder(const std::filesystem::path& folder) {
    ModelFolderReport report;
    report.folder = folder;
    return report;
}

core::Result<ModelFolderReport> findModelFolder(const std::filesystem::path& explicitDir) {
    return core::makeError(core::ErrorCode::ModelError, "FlashVSR model loading is not built yet");
}

}  // namespace fvs::gpu
