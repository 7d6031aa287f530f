#pragma once
// The app's StudioServices: engines from app/engines, the model folder check and the device query
// from fvs_gpu. Lives here (the composition root) so fvs_ui never links LibTorch.

#include <memory>

#include "engine_factory.h"
#include "studio_services.h"

namespace fvs::app {

// One per role: main() hands the preview a Preview one and the export runner an Export one over
// the same Engines, so both share the loaded model and the device's executor.
class StudioServicesImpl final : public ui::StudioServices {
public:
    // No `engines`: its own, configured from the environment.
    explicit StudioServicesImpl(std::shared_ptr<Engines> engines = nullptr,
                                EngineRole role = EngineRole::Export);

    ui::ModelStatus checkModels(const QString& folder) const override;
    ui::DeviceSummary device() const override { return m_device; }
    QStringList engines() const override;
    core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(
        const core::EngineSettings& settings,
        const core::EngineLoadObserver& observer) const override;

private:
    std::shared_ptr<Engines> m_engines;
    EngineRole m_role;
    ui::DeviceSummary m_device;  // queried once: the CUDA query is slow
};

}  // namespace fvs::app
