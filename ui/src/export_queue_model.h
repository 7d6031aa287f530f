#pragma once
// ExportQueueModel: the export queue panel's list model over core::JobQueue (the persisted queue
// file, shared with `flashvsr queue`), so jobs survive restarts and resume where they stopped.
// Roles: title, input, output, state, progress, fps, ETA, error. Actions forward to the JobQueue;
// the model reloads when the file changes (another process, or the runner) and derives fps/ETA
// from successive progress snapshots. GUI thread only.

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QElapsedTimer>
#include <QFileSystemWatcher>
#include <QHash>
#include <QTimer>
#include <QVariantMap>
#include <functional>
#include <optional>

#include "fvs/core/job_queue.h"

namespace fvs::ui {

class ExportQueueModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("created by the application")
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
    Q_PROPERTY(int activeCount READ activeCount NOTIFY countChanged)
    // A job is being exported (state running in the queue file).
    Q_PROPERTY(bool exporting READ exporting NOTIFY countChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
    Q_PROPERTY(QVariantList presets READ presets NOTIFY presetsChanged)

public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        TitleRole,
        InputRole,
        OutputRole,
        StateRole,      // core::toString(JobState): "queued", "running", ...
        StateTextRole,  // translated
        ProgressRole,   // 0..1
        FramesDoneRole,
        FramesTotalRole,
        FpsRole,         // frames per second over the last updates (0: unknown)
        EtaSecondsRole,  // -1: unknown
        ErrorRole,
        CanPauseRole,
        CanResumeRole,
        CanCancelRole,
        CanRetryRole,
        CanRestartRole,  // from frame 0, its segments deleted (failed, cancelled, done, ...)
        CanRemoveRole,
    };
    Q_ENUM(Role)

    explicit ExportQueueModel(core::JobQueue queue, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

    int activeCount() const;
    bool exporting() const;
    QString errorText() const { return m_errorText; }
    QVariantList presets() const;

    // spec keys: input, folder, pattern, preset, codec, container, pixelFormat, crf, bitrate,
    // engine, scale (factor) or targetWidth/targetHeight, inFrame, outFrame (inclusive; -1 none),
    // modelVersion, decoder, sparseRatio, modelsFolder. Returns the new job id (0 on error).
    Q_INVOKABLE quint64 enqueue(const QVariantMap& spec);
    // Why this spec cannot run here, one translated line each (empty: it can): an encoder this
    // machine lacks (NVENC without an NVIDIA driver), an output over 16384 pixels per side (spec
    // keys sourceWidth/sourceHeight, else the input is probed), FlashVSR without usable weights
    // (through setModelCheck). enqueue() refuses such a spec with the first line.
    Q_INVOKABLE QStringList problems(const QVariantMap& spec) const;
    // The models check for FlashVSR jobs: the problems of a models folder (empty: usable).
    void setModelCheck(std::function<QStringList(const QString& modelsFolder)> check);
    // The output path enqueue() would use for this spec (shown in the dialog before queueing).
    Q_INVOKABLE QString previewOutputPath(const QVariantMap& spec) const;
    Q_INVOKABLE bool move(int from, int to);
    Q_INVOKABLE bool pause(int row);
    Q_INVOKABLE bool resume(int row);
    Q_INVOKABLE bool cancel(int row);
    Q_INVOKABLE bool retry(int row);
    // From scratch: the job's segments and kept frames are deleted (core::restartJob).
    Q_INVOKABLE bool restart(int row);
    Q_INVOKABLE bool remove(int row);
    Q_INVOKABLE bool openOutputFolder(int row) const;
    Q_INVOKABLE QString outputFolder(int row) const;
    Q_INVOKABLE void reload();
    // Live progress of a running job from the in-process runner (between queue file writes).
    void setLiveProgress(quint64 id, qint64 framesDone, qint64 framesTotal, double fps,
                         double etaSeconds);

Q_SIGNALS:
    void countChanged();
    void errorTextChanged();
    void presetsChanged();
    // A job reached done or failed (for the notification).
    // Something became runnable (enqueue, resume, retry): the runner should look.
    void queueEdited();
    void jobFinished(quint64 id, const QString& title, bool success, const QString& message);

protected:
    // The application's LanguageChange: the state texts are re-read in the new language.
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    struct Rate {
        qint64 lastFrames = -1;
        qint64 lastMs = 0;
        double fps = 0.0;
    };
    bool apply(int row, core::Status (core::JobQueue::*action)(uint64_t));
    void setError(const QString& text);
    void syncFrom(std::vector<core::Job> jobs);
    void updateRates();

    core::JobQueue m_queue;
    std::vector<core::Job> m_jobs;
    QHash<quint64, Rate> m_rates;
    struct Live {
        qint64 framesDone = 0;
        qint64 framesTotal = 0;
        double fps = 0;
        double etaSeconds = -1;
    };
    QHash<quint64, Live> m_live;
    QElapsedTimer m_clock;
    QFileSystemWatcher m_watcher;
    QTimer m_refresh;  // progress refresh while a job runs (the runner writes the file)
    QString m_errorText;
    std::function<QStringList(const QString&)> m_modelCheck;
};

}  // namespace fvs::ui
