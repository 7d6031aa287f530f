#include "export_queue_model.h"

#include <QCoreApplication>
#include <QDesktopServices>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QUrl>
#include <algorithm>
#include <cmath>

#include "export_presets.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/job_runner.h"
#include "fvs/core/job_spec.h"
#include "fvs/core/media_sink.h"
#include "fvs/core/media_source.h"
#include "fvs/core/option_table.h"

namespace fvs::ui {
namespace {

using core::JobState;

QString stateText(JobState state) {
    switch (state) {
        case JobState::Queued:
            return ExportQueueModel::tr("Queued");
        case JobState::Running:
            return ExportQueueModel::tr("Exporting");
        case JobState::Paused:
            return ExportQueueModel::tr("Paused");
        case JobState::Done:
            return ExportQueueModel::tr("Done");
        case JobState::Failed:
            return ExportQueueModel::tr("Failed");
        case JobState::Cancelled:
            return ExportQueueModel::tr("Cancelled");
        case JobState::Interrupted:
            return ExportQueueModel::tr("Interrupted (will resume)");
    }
    return {};
}

bool isFinal(JobState s) {
    return s == JobState::Done || s == JobState::Failed || s == JobState::Cancelled;
}

QString scaleTokenText(const core::ScaleRequest& scale) {
    return QString::fromStdString(core::scaleToken(scale));
}

}  // namespace

ExportQueueModel::ExportQueueModel(core::JobQueue queue, QObject* parent)
    : QAbstractListModel(parent), m_queue(std::move(queue)) {
    m_clock.start();
    m_jobs = m_queue.jobs();
    m_watcher.addPath(QString::fromStdString(m_queue.path().parent_path().string()));
    if (QFileInfo::exists(QString::fromStdString(m_queue.path().string())))
        m_watcher.addPath(QString::fromStdString(m_queue.path().string()));
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &ExportQueueModel::reload);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &ExportQueueModel::reload);
    m_refresh.setInterval(500);
    connect(&m_refresh, &QTimer::timeout, this, &ExportQueueModel::reload);
    updateRates();
    // Installing or removing a translator sends LanguageChange to the application object only.
    if (QCoreApplication::instance())
        QCoreApplication::instance()->installEventFilter(this);
}

bool ExportQueueModel::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::LanguageChange && watched == QCoreApplication::instance()) {
        if (rowCount() > 0)
            Q_EMIT dataChanged(index(0), index(rowCount() - 1));
        Q_EMIT presetsChanged();  // their names and descriptions are translated
    }
    return QAbstractListModel::eventFilter(watched, event);
}

int ExportQueueModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_jobs.size());
}

Qt::ItemFlags ExportQueueModel::flags(const QModelIndex& index) const {
    if (!index.isValid())
        return Qt::ItemIsDropEnabled;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled;
}

QHash<int, QByteArray> ExportQueueModel::roleNames() const {
    return {{IdRole, "jobId"},
            {TitleRole, "title"},
            {InputRole, "input"},
            {OutputRole, "output"},
            {StateRole, "state"},
            {StateTextRole, "stateText"},
            {ProgressRole, "progress"},
            {FramesDoneRole, "framesDone"},
            {FramesTotalRole, "framesTotal"},
            {FpsRole, "fps"},
            {EtaSecondsRole, "etaSeconds"},
            {ErrorRole, "error"},
            {CanPauseRole, "canPause"},
            {CanResumeRole, "canResume"},
            {CanCancelRole, "canCancel"},
            {CanRetryRole, "canRetry"},
            {CanRestartRole, "canRestart"},
            {CanRemoveRole, "canRemove"}};
}

QVariant ExportQueueModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const core::Job& job = m_jobs.at(static_cast<size_t>(index.row()));
    const auto rate = m_rates.value(job.id);
    const bool live = job.state == JobState::Running && m_live.contains(job.id);
    const Live progress = m_live.value(job.id);
    switch (role) {
        case Qt::DisplayRole:
        case TitleRole:
            return QFileInfo(QString::fromStdString(job.input)).fileName();
        case IdRole:
            return static_cast<quint64>(job.id);
        case InputRole:
            return QString::fromStdString(job.input);
        case OutputRole:
            return QString::fromStdString(job.output);
        case StateRole:
            return QString::fromLatin1(core::toString(job.state));
        case StateTextRole:
            return stateText(job.state);
        case ProgressRole:
            if (job.state == JobState::Done)
                return 1.0;
            if (live && progress.framesTotal > 0)
                return std::clamp(double(progress.framesDone) / progress.framesTotal, 0.0, 1.0);
            return job.framesTotal > 0
                       ? std::clamp(double(job.framesDone) / job.framesTotal, 0.0, 1.0)
                       : 0.0;
        case FramesDoneRole:
            return live ? progress.framesDone : static_cast<qint64>(job.framesDone);
        case FramesTotalRole:
            return live ? progress.framesTotal : static_cast<qint64>(job.framesTotal);
        case FpsRole:
            if (live)
                return progress.fps;
            return job.state == JobState::Running ? rate.fps : 0.0;
        case EtaSecondsRole:
            if (live)
                return progress.etaSeconds >= 0 ? static_cast<int>(std::ceil(progress.etaSeconds))
                                                : -1;
            if (job.state != JobState::Running || rate.fps <= 0 || job.framesTotal <= 0)
                return -1;
            return static_cast<int>(std::ceil((job.framesTotal - job.framesDone) / rate.fps));
        case ErrorRole:
            return QString::fromStdString(job.reason);
        case CanPauseRole:
            return job.state == JobState::Queued || job.state == JobState::Running;
        case CanResumeRole:
            return job.state == JobState::Paused || job.state == JobState::Interrupted;
        case CanCancelRole:
            return job.state == JobState::Queued || job.state == JobState::Running ||
                   job.state == JobState::Paused || job.state == JobState::Interrupted;
        case CanRetryRole:
            return job.state == JobState::Failed || job.state == JobState::Cancelled ||
                   job.state == JobState::Interrupted || job.state == JobState::Done;
        case CanRestartRole:
            // A paused job restarts only once its runner let go of it (pid cleared).
            return (job.state == JobState::Failed || job.state == JobState::Cancelled ||
                    job.state == JobState::Interrupted || job.state == JobState::Done ||
                    job.state == JobState::Paused) &&
                   job.pid == 0;
        case CanRemoveRole:
            return job.state != JobState::Running;
        default:
            return {};
    }
}

int ExportQueueModel::activeCount() const {
    return static_cast<int>(std::count_if(m_jobs.begin(), m_jobs.end(),
                                          [](const core::Job& j) { return !isFinal(j.state); }));
}

bool ExportQueueModel::exporting() const {
    return std::any_of(m_jobs.begin(), m_jobs.end(),
                       [](const core::Job& j) { return j.state == JobState::Running; });
}

QVariantList ExportQueueModel::presets() const {
    return presetsForQml();
}

void ExportQueueModel::setError(const QString& text) {
    if (text == m_errorText)
        return;
    m_errorText = text;
    Q_EMIT errorTextChanged();
}

void ExportQueueModel::reload() {
    // The watcher forgets a file replaced by rename (atomic writes); watch it again.
    const QString file = QString::fromStdString(m_queue.path().string());
    if (QFileInfo::exists(file) && !m_watcher.files().contains(file))
        m_watcher.addPath(file);
    if (auto st = m_queue.reload(); !st) {
        setError(tr("The export queue could not be read: %1")
                     .arg(QString::fromStdString(st.error().message)));
        return;
    }
    syncFrom(m_queue.jobs());
}

void ExportQueueModel::updateRates() {
    const qint64 now = m_clock.elapsed();
    for (const core::Job& job : m_jobs) {
        Rate& rate = m_rates[job.id];
        if (job.state != JobState::Running) {
            rate = {};
            continue;
        }
        if (rate.lastFrames >= 0 && job.framesDone > rate.lastFrames && now > rate.lastMs) {
            const double instant =
                (job.framesDone - rate.lastFrames) * 1000.0 / (now - rate.lastMs);
            rate.fps = rate.fps > 0 ? 0.7 * rate.fps + 0.3 * instant : instant;  // smoothed
        }
        if (rate.lastFrames != job.framesDone) {
            rate.lastFrames = job.framesDone;
            rate.lastMs = now;
        }
    }
    const bool running = std::any_of(m_jobs.begin(), m_jobs.end(), [](const core::Job& j) {
        return j.state == JobState::Running;
    });
    if (running && !m_refresh.isActive())
        m_refresh.start();
    if (!running)
        m_refresh.stop();
}

void ExportQueueModel::syncFrom(std::vector<core::Job> jobs) {
    // Finished transitions first, so the notification sees the old state.
    for (const core::Job& job : jobs) {
        auto old = std::find_if(m_jobs.begin(), m_jobs.end(),
                                [&](const core::Job& j) { return j.id == job.id; });
        if (old == m_jobs.end() || old->state == job.state)
            continue;
        const QString title = QFileInfo(QString::fromStdString(job.input)).fileName();
        if (job.state == JobState::Done)
            Q_EMIT jobFinished(job.id, title, true, QString::fromStdString(job.output));
        else if (job.state == JobState::Failed)
            Q_EMIT jobFinished(job.id, title, false, QString::fromStdString(job.reason));
    }
    const bool sameOrder =
        jobs.size() == m_jobs.size() &&
        std::equal(jobs.begin(), jobs.end(), m_jobs.begin(),
                   [](const core::Job& a, const core::Job& b) { return a.id == b.id; });
    if (sameOrder) {
        m_jobs = std::move(jobs);
        updateRates();
        if (!m_jobs.empty())
            Q_EMIT dataChanged(index(0), index(rowCount() - 1));
    } else {
        beginResetModel();
        m_jobs = std::move(jobs);
        endResetModel();
        updateRates();
    }
    Q_EMIT countChanged();
}

QString ExportQueueModel::previewOutputPath(const QVariantMap& spec) const {
    const QString input = spec.value(QStringLiteral("input")).toString();
    const ExportPreset* preset = findPreset(spec.value(QStringLiteral("preset")).toString());
    QString extension = spec.value(QStringLiteral("extension")).toString();
    if (extension.isEmpty())
        extension = preset ? preset->extension : QStringLiteral("mp4");
    core::ScaleRequest scale;
    scale.factor = spec.value(QStringLiteral("scale"), 4.0).toDouble();
    scale.targetWidth = spec.value(QStringLiteral("targetWidth"), 0).toInt();
    scale.targetHeight = spec.value(QStringLiteral("targetHeight"), 0).toInt();
    const QVariantMap tokens{
        {QStringLiteral("engine"), spec.value(QStringLiteral("engine"), QStringLiteral("lanczos"))},
        {QStringLiteral("scale"), scaleTokenText(scale)},
        {QStringLiteral("preset"), preset ? preset->id : QStringLiteral("custom")}};
    // The " (2)" rule also sees the outputs of queued jobs, which do not exist on disk yet.
    QSet<QString> taken;
    for (const core::Job& job : m_jobs)
        taken.insert(QFileInfo(QString::fromStdString(job.output)).absoluteFilePath());
    return expandOutputPath(input, spec.value(QStringLiteral("folder")).toString(),
                            spec.value(QStringLiteral("pattern")).toString(), tokens, extension,
                            extension == QLatin1String("png") || extension == QLatin1String("tiff"),
                            taken);
}

void ExportQueueModel::setModelCheck(std::function<QStringList(const QString&)> check) {
    m_modelCheck = std::move(check);
}

QStringList ExportQueueModel::problems(const QVariantMap& spec) const {
    QStringList found;
    QString codec = spec.value(QStringLiteral("codec")).toString();
    if (codec.isEmpty())
        if (const ExportPreset* preset =
                findPreset(spec.value(QStringLiteral("preset")).toString()))
            codec = QString::fromStdString(preset->encode.codec);
    if (!codec.isEmpty()) {
        const auto encoders = core::availableEncoders();
        if (std::find(encoders.begin(), encoders.end(), codec.toStdString()) == encoders.end())
            found << (codec.endsWith(QLatin1String("_nvenc"))
                          ? tr("%1 needs an NVIDIA GPU with its driver; none was found.").arg(codec)
                          : tr("The encoder %1 is not available in this FFmpeg.").arg(codec));
    }
    core::StreamInfo source;
    source.width = spec.value(QStringLiteral("sourceWidth"), 0).toInt();
    source.height = spec.value(QStringLiteral("sourceHeight"), 0).toInt();
    const QString input = spec.value(QStringLiteral("input")).toString();
    if ((source.width <= 0 || source.height <= 0) && QFileInfo(input).isFile())
        if (auto opened = core::MediaSource::open(input.toStdString()))
            source = opened.value()->info();
    if (source.width > 0 && source.height > 0) {
        core::ScaleRequest scale;
        scale.factor = spec.value(QStringLiteral("scale"), 4.0).toDouble();
        scale.targetWidth = spec.value(QStringLiteral("targetWidth"), 0).toInt();
        scale.targetHeight = spec.value(QStringLiteral("targetHeight"), 0).toInt();
        if (auto geometry = core::resolveOutputGeometry(source, scale); !geometry)
            found << tr("The output size is not possible: %1")
                         .arg(QString::fromStdString(geometry.error().message));
    }
    if (spec.value(QStringLiteral("engine")).toString() == QLatin1String("flashvsr") &&
        m_modelCheck) {
        const QStringList modelProblems =
            m_modelCheck(spec.value(QStringLiteral("modelsFolder")).toString());
        if (!modelProblems.isEmpty())
            found << tr("FlashVSR has no usable weights: %1")
                         .arg(modelProblems.join(QLatin1String("; ")));
    }
    return found;
}

quint64 ExportQueueModel::enqueue(const QVariantMap& spec) {
    const QString input = spec.value(QStringLiteral("input")).toString();
    if (input.isEmpty() || !QFileInfo(input).isFile()) {
        setError(tr("Nothing to export: open a video first."));
        return 0;
    }
    core::Job job;
    job.input = QFileInfo(input).absoluteFilePath().toStdString();
    const ExportPreset* preset = findPreset(spec.value(QStringLiteral("preset")).toString());
    if (preset)
        job.encode = preset->encode;
    auto str = [&](const char* key, std::string& target) {
        const QString v = spec.value(QLatin1String(key)).toString();
        if (!v.isEmpty())
            target = v.toStdString();
    };
    str("codec", job.encode.codec);
    str("container", job.encode.container);
    str("pixelFormat", job.encode.pixelFormat);
    if (spec.contains(QStringLiteral("crf")))
        job.encode.crf = spec.value(QStringLiteral("crf")).toInt();
    if (spec.contains(QStringLiteral("bitrate")))
        job.encode.bitrate = spec.value(QStringLiteral("bitrate")).toLongLong();
    if (job.encode.bitrate > 0)
        job.encode.crf = -1;  // bitrate mode

    // The option table's checks and messages, the same as the CLI's (fvs/core/option_table.h).
    if (auto st =
            core::setEngineOption(job.engine, "engine",
                                  spec.value(QStringLiteral("engine"), QStringLiteral("lanczos"))
                                      .toString()
                                      .toStdString());
        !st) {
        setError(QString::fromStdString(st.error().message));
        return 0;
    }
    job.engine.scale.factor = spec.value(QStringLiteral("scale"), 4.0).toDouble();
    job.engine.scale.targetWidth = spec.value(QStringLiteral("targetWidth"), 0).toInt();
    job.engine.scale.targetHeight = spec.value(QStringLiteral("targetHeight"), 0).toInt();
    str("modelVersion", job.engine.modelVersion);
    if (const QString decoder = spec.value(QStringLiteral("decoder")).toString();
        !decoder.isEmpty())
        if (auto st = core::setEngineOption(job.engine, "decoder", decoder.toStdString()); !st) {
            setError(QString::fromStdString(st.error().message));
            return 0;
        }
    str("modelsFolder", job.engine.modelsDir);
    if (spec.contains(QStringLiteral("sparseRatio")))
        job.engine.sparseRatio = spec.value(QStringLiteral("sparseRatio")).toDouble();

    const qint64 in = spec.value(QStringLiteral("inFrame"), -1).toLongLong();
    const qint64 out = spec.value(QStringLiteral("outFrame"), -1).toLongLong();
    if (in >= 0)
        job.trim.startFrame = in;
    if (out >= 0)
        job.trim.endFrame = out + 1;  // the UI's out point is inclusive
    if (in >= 0 && out >= 0 && out < in) {
        setError(tr("The out point is before the in point."));
        return 0;
    }
    if (const QStringList why = problems(spec); !why.isEmpty()) {
        setError(why.constFirst());
        return 0;
    }
    if (auto st = m_queue.reload(); st)  // jobs another process added count for " (2)"
        syncFrom(m_queue.jobs());
    const QString output = previewOutputPath(spec);
    job.output = output.toStdString();
    core::JobSpec checked{job.input, job.output, job.engine, job.encode, job.trim, job.crop};
    if (auto st = checked.validate(); !st) {
        setError(QString::fromStdString(st.error().message));
        return 0;
    }
    if (auto st = core::checkOutputPath(job.output, job.input, false); !st) {
        setError(tr("Cannot write %1: %2").arg(output, QString::fromStdString(st.error().message)));
        return 0;
    }
    auto added = m_queue.add(std::move(job));
    if (!added) {
        setError(
            tr("Could not add the job: %1").arg(QString::fromStdString(added.error().message)));
        return 0;
    }
    setError({});
    syncFrom(m_queue.jobs());
    Q_EMIT queueEdited();
    return added.value();
}

bool ExportQueueModel::move(int from, int to) {
    if (from < 0 || from >= rowCount() || to < 0 || to >= rowCount() || from == to)
        return false;
    const uint64_t id = m_jobs[static_cast<size_t>(from)].id;
    if (auto st = m_queue.move(id, to); !st) {
        setError(QString::fromStdString(st.error().message));
        return false;
    }
    // beginMoveRows' destination is the row *before which* the item lands, in the old numbering.
    beginMoveRows({}, from, from, {}, to > from ? to + 1 : to);
    core::Job job = std::move(m_jobs[static_cast<size_t>(from)]);
    m_jobs.erase(m_jobs.begin() + from);
    m_jobs.insert(m_jobs.begin() + to, std::move(job));
    endMoveRows();
    syncFrom(m_queue.jobs());
    return true;
}

bool ExportQueueModel::apply(int row, core::Status (core::JobQueue::*action)(uint64_t)) {
    if (row < 0 || row >= rowCount())
        return false;
    if (auto st = (m_queue.*action)(m_jobs[static_cast<size_t>(row)].id); !st) {
        setError(QString::fromStdString(st.error().message));
        return false;
    }
    setError({});
    syncFrom(m_queue.jobs());
    return true;
}

void ExportQueueModel::setLiveProgress(quint64 id, qint64 framesDone, qint64 framesTotal,
                                       double fps, double etaSeconds) {
    m_live[id] = Live{framesDone, framesTotal, fps, etaSeconds};
    for (int row = 0; row < rowCount(); ++row) {
        if (m_jobs[static_cast<size_t>(row)].id != id)
            continue;
        if (m_jobs[static_cast<size_t>(row)].state != JobState::Running)
            reload();
        Q_EMIT dataChanged(
            index(row), index(row),
            {ProgressRole, FramesDoneRole, FramesTotalRole, FpsRole, EtaSecondsRole});
        return;
    }
    reload();  // a job this model has not seen yet
}

bool ExportQueueModel::pause(int row) {
    return apply(row, &core::JobQueue::pause);
}
bool ExportQueueModel::resume(int row) {
    const bool ok = apply(row, &core::JobQueue::resume);
    if (ok)
        Q_EMIT queueEdited();
    return ok;
}
bool ExportQueueModel::cancel(int row) {
    return apply(row, &core::JobQueue::cancel);
}
bool ExportQueueModel::retry(int row) {
    const bool ok = apply(row, &core::JobQueue::retry);
    if (ok)
        Q_EMIT queueEdited();
    return ok;
}
bool ExportQueueModel::restart(int row) {
    if (row < 0 || row >= rowCount())
        return false;
    if (auto st = core::restartJob(m_queue, m_jobs[static_cast<size_t>(row)].id); !st) {
        setError(QString::fromStdString(st.error().message));
        syncFrom(m_queue.jobs());
        return false;
    }
    setError({});
    syncFrom(m_queue.jobs());
    Q_EMIT queueEdited();
    return true;
}
bool ExportQueueModel::remove(int row) {
    return apply(row, &core::JobQueue::remove);
}

QString ExportQueueModel::outputFolder(int row) const {
    if (row < 0 || row >= rowCount())
        return {};
    return QFileInfo(QString::fromStdString(m_jobs[static_cast<size_t>(row)].output))
        .absolutePath();
}

bool ExportQueueModel::openOutputFolder(int row) const {
    const QString folder = outputFolder(row);
    return !folder.isEmpty() && QDesktopServices::openUrl(QUrl::fromLocalFile(folder));
}

}  // namespace fvs::ui
