#include "export_runner.h"

#include "export_queue_model.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/job_runner.h"
#include "studio_services.h"

namespace fvs::ui {

ExportRunner::ExportRunner(std::filesystem::path queuePath, StudioServices* services,
                           ExportQueueModel* model, QObject* parent)
    : QObject(parent), m_queuePath(std::move(queuePath)), m_services(services), m_model(model) {
    if (m_model)
        connect(m_model, &ExportQueueModel::queueEdited, this, &ExportRunner::wake);
    m_wake.put(0);  // look for interrupted/queued jobs at start-up
    m_thread = std::jthread([this](std::stop_token stop) { run(stop); });
}

ExportRunner::~ExportRunner() {
    m_thread.request_stop();
    if (m_thread.joinable())
        m_thread.join();
}

void ExportRunner::wake() {
    m_wake.put(0);
}

void ExportRunner::run(std::stop_token stop) {
    QPointer<ExportQueueModel> model = m_model;
    QPointer<ExportRunner> self(this);
    auto post = [](QObject* target, auto fn) {
        QMetaObject::invokeMethod(target, std::move(fn), Qt::QueuedConnection);
    };
    StudioServices* services = m_services;
    // Quitting the app during a job's model load stops the load too (the runner's stop token).
    core::ProcessorFactory factory = [services, stop](const core::EngineSettings& settings)
        -> core::Result<std::unique_ptr<core::FrameProcessor>> {
        if (!services)
            return core::makeError(core::ErrorCode::Unsupported, "no engines");
        core::EngineLoadObserver observer;
        observer.stop = stop;
        return services->createEngine(settings, observer);
    };
    core::JobRunHooks hooks;
    hooks.onProgress = [model, post](const core::Job& job, const core::ExportProgress& p) {
        post(model.data(), [model, id = job.id, p] {
            if (model)
                model->setLiveProgress(id, p.framesDone, p.framesTotal, p.fps, p.etaSeconds);
        });
    };
    hooks.onFinish = [model, post](const core::Job&, core::JobState, const std::string&) {
        post(model.data(), [model] {
            if (model)
                model->reload();
        });
    };
    hooks.onStart = [model, post](const core::Job&) {
        post(model.data(), [model] {
            if (model)
                model->reload();
        });
    };

    while (!stop.stop_requested()) {
        if (!m_wake.wait(stop))
            break;
        if (core::QueueRunLock::heldElsewhere(m_queuePath)) {
            post(self.data(), [self] {
                if (self)
                    Q_EMIT self->message(
                        tr("The export queue is being run by another process; the app shows its "
                           "progress."));
            });
            continue;
        }
        auto lock = core::QueueRunLock::acquire(m_queuePath);
        if (!lock)
            continue;
        auto queue = core::JobQueue::open(m_queuePath);
        if (!queue)
            continue;
        auto summary = core::runQueue(queue.value(), factory, hooks, stop);
        post(model.data(), [model] {
            if (model)
                model->reload();
        });
        (void)summary;  // per-job outcomes reach the model through the queue file
    }
}

}  // namespace fvs::ui
