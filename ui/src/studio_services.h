#pragma once
// StudioServices: what the UI needs from the parts it must not link (LibTorch engines, the model
// folder checker, the device query). The composition root (app/studio) implements it and hands it
// to the view-models; tests hand in their own real implementation over the CPU engines.

#include <QString>
#include <QStringList>
#include <QVariantList>
#include <memory>

#include "fvs/core/engine_settings.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/result.h"

namespace fvs::ui {

struct ModelStatus {
    QString folder;   // the folder checked (empty: none found)
    QString version;  // "v1", "v1.1" or empty
    bool usable = false;
    QStringList problems;  // user-readable, one per line
    QVariantList files;    // maps: name, present, required, detail
};

struct DeviceSummary {
    QString name;  // "NVIDIA H100 80GB HBM3" or "CPU"
    bool cuda = false;
    qint64 totalMemoryBytes = 0;
    qint64 freeMemoryBytes = 0;
    QString backend;  // e.g. "LibTorch 2.11.0"
};

class StudioServices {
public:
    virtual ~StudioServices() = default;

    // The model folder status (`flashvsr models check`); empty folder: search the default folders.
    virtual ModelStatus checkModels(const QString& folder) const = 0;
    virtual DeviceSummary device() const = 0;
    virtual QStringList engines() const = 0;
    // Called on the engine thread; must be thread-safe. `observer` sees the model loading (its
    // callbacks run on the calling thread) and can stop it: the result is then
    // ErrorCode::Cancelled.
    virtual core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(
        const core::EngineSettings& settings, const core::EngineLoadObserver& observer) const = 0;
};

}  // namespace fvs::ui
