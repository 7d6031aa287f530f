#include "studio_services_impl.h"

#include <QCoreApplication>

#include "engine_factory.h"

#ifdef FVS_HAVE_TORCH
#include "fvs/gpu/device_info.h"
#include "fvs/gpu/model_files.h"
#endif

namespace fvs::app {

StudioServicesImpl::StudioServicesImpl(std::shared_ptr<Engines> engines, EngineRole role)
    : m_engines(engines ? std::move(engines) : std::make_shared<Engines>(readEngineEnvironment())),
      m_role(role) {
#ifdef FVS_HAVE_TORCH
    const gpu::DeviceInfo info = gpu::queryDevice();
    m_device.name = QString::fromStdString(info.deviceName);
    m_device.cuda = info.cudaAvailable;
    m_device.totalMemoryBytes = info.totalMemoryBytes;
    m_device.freeMemoryBytes = info.freeMemoryBytes;
    m_device.backend = QStringLiteral("LibTorch %1").arg(QString::fromStdString(info.torchVersion));
#else
    m_device.name = QStringLiteral("CPU");
#endif
}

ui::ModelStatus StudioServicesImpl::checkModels(const QString& folder) const {
    ui::ModelStatus status;
#ifdef FVS_HAVE_TORCH
    gpu::ModelFolderReport report;
    if (folder.isEmpty()) {
        auto found = m_engines->modelFolder({}, /*refresh=*/true);
        if (!found) {
            status.problems << QString::fromStdString(found.error().message);
            return status;
        }
        report = found.value();
    } else {
        report = gpu::checkModelFolder(folder.toStdString());
    }
    status.folder = QString::fromStdString(report.folder.string());
    status.version = QString::fromStdString(report.version);
    status.usable = report.usable;
    for (const auto& p : report.problems)
        status.problems << QString::fromStdString(p);
    for (const auto& f : report.files) {
        status.files << QVariantMap{{QStringLiteral("name"), QString::fromStdString(f.name)},
                                    {QStringLiteral("present"), f.present},
                                    {QStringLiteral("required"), f.required},
                                    {QStringLiteral("detail"), QString::fromStdString(f.detail)}};
    }
#else
    Q_UNUSED(folder);
    status.problems << QCoreApplication::translate(
        "StudioServices", "this build has no FlashVSR engine (no LibTorch)");
#endif
    return status;
}

QStringList StudioServicesImpl::engines() const {
    QStringList out;
    for (const auto& e : availableEngines())
        out << QString::fromStdString(e);
    return out;
}

core::Result<std::unique_ptr<core::FrameProcessor>> StudioServicesImpl::createEngine(
    const core::EngineSettings& settings, const core::EngineLoadObserver& observer) const {
    return m_engines->create(settings, m_role, observer);
}

}  // namespace fvs::app
