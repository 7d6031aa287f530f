#pragma once
// ExportRunner: runs the export queue in this process (core::runQueue) on its own worker thread,
// with the engines StudioServices makes. It holds the queue's run lock while it works, so a
// `flashvsr queue run` elsewhere and the app never run the same queue; jobs left interrupted by a
// crash resume from their completed segments.
//
// Thread contract: constructed, woken and destroyed on the GUI thread. The worker (std::jthread)
// owns its own JobQueue object; its hooks post progress to the model with queued invokeMethod
// guarded by QPointer. Destruction requests stop (the running job becomes interrupted and resumes
// on the next start) and joins.

#include <QObject>
#include <QPointer>
#include <QString>
#include <filesystem>
#include <thread>

#include "fvs/core/mailbox.h"

namespace fvs::ui {

class ExportQueueModel;
class StudioServices;

class ExportRunner : public QObject {
    Q_OBJECT

public:
    ExportRunner(std::filesystem::path queuePath, StudioServices* services, ExportQueueModel* model,
                 QObject* parent = nullptr);
    ~ExportRunner() override;

    // Looks for runnable jobs now (after an enqueue, resume or retry).
    void wake();

Q_SIGNALS:
    void message(const QString& text);  // e.g. "the queue is being run by another process"

private:
    void run(std::stop_token stop);

    std::filesystem::path m_queuePath;
    StudioServices* m_services;
    QPointer<ExportQueueModel> m_model;
    core::Mailbox<int> m_wake;
    std::jthread m_thread;  // last: joined before the members above go away
};

}  // namespace fvs::ui
