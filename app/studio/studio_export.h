#pragma once
// StudioExport: `flashvsr-studio --export OUT FILE`: automation for tests and the GPU machine's
// proof that a clip exports from the app. The job goes through the app's own export path: the
// ExportQueueModel's enqueue (as the Export dialog does) and the in-process ExportRunner, on a
// queue file of this run only. It waits (on the model's signals, never a sleep) until the job
// ends, prints its state, output, frames written and the engine that ran, and finishes with 0
// when the job is done; a refused job, a failed or cancelled one, or the timeout finish with 1.
//
// Thread contract: GUI thread only (it talks to the model). The runner's thread makes the engines
// through a recording StudioServices that keeps their description under a lock.

#include <QObject>
#include <QString>
#include <QTimer>
#include <QVariantMap>
#include <filesystem>
#include <memory>

namespace fvs::ui {
class ExportQueueModel;
class ExportRunner;
class StudioServices;
}  // namespace fvs::ui

namespace fvs::app {

struct ExportRequest {
    QString input;    // the file to export
    QString outPath;  // must not exist; its extension picks the preset (exportPresetFor)
    QString engine;
    QString modelsFolder;
    double scale = 4.0;  // the Export dialog's default factor
    int timeoutSeconds = 300;
};

// The preset for an output extension: mkv -> ffv1 (FFmpeg's native lossless encoder, present on
// every FFmpeg build), mov -> prores-hq, mp4 -> h264-web; empty for any other extension.
QString exportPresetFor(const QString& outPath);

class StudioExport : public QObject {
    Q_OBJECT

public:
    // `queue` is the model over `queuePath` (a queue of this run only); the runner started by
    // start() runs it with engines from `services`.
    StudioExport(ExportRequest request, const ui::StudioServices* services,
                 std::filesystem::path queuePath, ui::ExportQueueModel* queue,
                 QObject* parent = nullptr);
    ~StudioExport() override;

    // Arms the timeout, queues the job and starts the runner; finished() follows.
    void start();

Q_SIGNALS:
    void finished(int exitCode);

private:
    QVariantMap spec() const;
    void check();
    void fail(const QString& message);

    class Recorder;

    ExportRequest m_request;
    std::filesystem::path m_queuePath;
    ui::ExportQueueModel* m_queue;
    std::unique_ptr<Recorder> m_engines;
    std::unique_ptr<ui::ExportRunner> m_runner;  // after m_engines: its thread uses them
    quint64 m_id = 0;
    bool m_done = false;
    bool m_succeeded = false;
    QTimer m_timeout;
};

}  // namespace fvs::app
