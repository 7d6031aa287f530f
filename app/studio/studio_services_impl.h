#pragma once
// The app's StudioServices: engines from app/engines, the model folder check and the device query
// from fvs_gpu. Lives here (the composition root) so fvs_ui never links LibTorch.

#include "studio_services.h"

namespace fvs::app {

class StudioServicesImpl final : public ui::StudioServices {
public:
    StudioServicesImpl();

    ui::ModelStatus checkModels(const QString& folder) const override;
    ui::DeviceSummary device() const override { return m_device; }
    QStringList engines() const override;
    core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(
        const core::EngineSettings& settings,
        const core::EngineLoadObserver& observer) const override;

private:
    ui::DeviceSummary m_device;  // queried once: the CUDA query is slow
};

}  // namespace fvs::app
