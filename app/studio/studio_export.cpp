#include "studio_export.h"

#include <QDir>
#include <QFileInfo>
#include <cstdio>
#include <mutex>

#include "export_queue_model.h"
#include "export_runner.h"
#include "fvs/core/job_runner.h"
#include "fvs/core/option_table.h"
#include "studio_services.h"

namespace fvs::app {
namespace {

void printLine(const QString& text) {
    std::printf("%s\n", text.toLocal8Bit().constData());
    std::fflush(stdout);
}

struct EngineRecord {
    std::mutex mutex;
    QString line;  // "NAME (DESCRIPTION)"
};

// Forwards every call to the engine the app made; keeps what configure() planned.
class DescribedProcessor final : public core::FrameProcessor {
public:
    DescribedProcessor(std::unique_ptr<core::FrameProcessor> inner,
                       std::shared_ptr<EngineRecord> record)
        : m_inner(std::move(inner)), m_record(std::move(record)) {}

    core::Result<core::ProcessorPlan> configure(const core::StreamInfo& input) override {
        auto plan = m_inner->configure(input);
        if (plan) {
            const std::lock_guard lock(m_record->mutex);
            m_record->line = QStringLiteral("%1 (%2)").arg(
                QString::fromStdString(plan.value().engineName),
                QString::fromStdString(plan.value().engineDescription));
        }
        return plan;
    }
    core::Status push(core::Frame frame) override { return m_inner->push(std::move(frame)); }
    std::optional<core::Frame> pull() override { return m_inner->pull(); }
    core::Status finish() override { return m_inner->finish(); }
    void reset() override { m_inner->reset(); }
    int latencyFrames() const override { return m_inner->latencyFrames(); }
    int warmupFrames() const override { return m_inner->warmupFrames(); }
    void requestStop() override { m_inner->requestStop(); }
    bool enableDeviceOutput(bool on) override { return m_inner->enableDeviceOutput(on); }

private:
    std::unique_ptr<core::FrameProcessor> m_inner;
    std::shared_ptr<EngineRecord> m_record;
};

}  // namespace

// The app's StudioServices with each engine it makes wrapped in a DescribedProcessor.
class StudioExport::Recorder final : public ui::StudioServices {
public:
    explicit Recorder(const ui::StudioServices* inner) : m_inner(inner) {}

    ui::ModelStatus checkModels(const QString& folder) const override {
        return m_inner->checkModels(folder);
    }
    ui::DeviceSummary device() const override { return m_inner->device(); }
    QStringList engines() const override { return m_inner->engines(); }
    core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(
        const core::EngineSettings& settings,
        const core::EngineLoadObserver& observer) const override {
        auto engine = m_inner->createEngine(settings, observer);
        if (!engine)
            return engine;
        return std::unique_ptr<core::FrameProcessor>(
            std::make_unique<DescribedProcessor>(std::move(engine.value()), m_record));
    }

    QString engineLine() const {
        const std::lock_guard lock(m_record->mutex);
        return m_record->line;
    }

private:
    const ui::StudioServices* m_inner;
    std::shared_ptr<EngineRecord> m_record = std::make_shared<EngineRecord>();
};

QString exportPresetFor(const QString& outPath) {
    const QString extension = QFileInfo(outPath).suffix().toLower();
    if (extension == QLatin1String("mkv"))
        return QStringLiteral("ffv1");
    if (extension == QLatin1String("mov"))
        return QStringLiteral("prores-hq");
    if (extension == QLatin1String("mp4"))
        return QStringLiteral("h264-web");
    return {};
}

StudioExport::StudioExport(ExportRequest request, const ui::StudioServices* services,
                           std::filesystem::path queuePath, ui::ExportQueueModel* queue,
                           QObject* parent)
    : QObject(parent),
      m_request(std::move(request)),
      m_queuePath(std::move(queuePath)),
      m_queue(queue),
      m_engines(std::make_unique<Recorder>(services)) {
    m_timeout.setSingleShot(true);
}

// The runner stops first (a job still running becomes interrupted in this run's queue). Nobody
// resumes that queue after this run, so the segments of a job that did not finish go too.
StudioExport::~StudioExport() {
    m_runner.reset();
    if (m_id != 0 && !m_succeeded) {
        core::Job job;
        job.id = m_id;
        job.output = QFileInfo(m_request.outPath).absoluteFilePath().toStdString();
        std::error_code ec;
        std::filesystem::remove_all(core::defaultWorkDir(job), ec);
    }
}

QVariantMap StudioExport::spec() const {
    // What the Export dialog sends, with the output named by the request: its folder, and its
    // file name as a pattern without tokens.
    const QFileInfo out(m_request.outPath);
    QVariantMap s{{QStringLiteral("input"), QFileInfo(m_request.input).absoluteFilePath()},
                  {QStringLiteral("folder"), out.absolutePath()},
                  {QStringLiteral("pattern"), out.completeBaseName()},
                  {QStringLiteral("preset"), exportPresetFor(m_request.outPath)},
                  {QStringLiteral("extension"), out.suffix()},
                  {QStringLiteral("engine"), m_request.engine},
                  {QStringLiteral("scale"), m_request.scale}};
    if (!m_request.modelsFolder.isEmpty())
        s.insert(QStringLiteral("modelsFolder"), m_request.modelsFolder);
    return s;
}

void StudioExport::start() {
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        fail(QStringLiteral("the export did not finish in %1 s").arg(m_request.timeoutSeconds));
    });
    m_timeout.start(m_request.timeoutSeconds * 1000);

    // The option table's checks, with the CLI's messages (enqueue() checks the whole job again).
    core::EngineSettings checked;
    core::Status valid = core::setEngineOption(checked, "engine", m_request.engine.toStdString());
    if (valid)
        valid = core::setEngineOption(checked, "scale",
                                      QString::number(m_request.scale, 'g', 17).toStdString());
    if (!valid) {
        fail(QString::fromStdString(valid.error().message));
        return;
    }
    const QString out = QFileInfo(m_request.outPath).absoluteFilePath();
    if (exportPresetFor(out).isEmpty()) {
        fail(QStringLiteral("%1: the output must end in .mkv (FFV1), .mov (ProRes) or .mp4 "
                            "(H.264)")
                 .arg(out));
        return;
    }
    if (QFileInfo::exists(out)) {
        fail(QStringLiteral("%1 exists; it is not overwritten").arg(out));
        return;
    }
    const QVariantMap s = spec();
    // The queue would pick "NAME (2).EXT" beside a file being written; this run names one file.
    if (QFileInfo(m_queue->previewOutputPath(s)).absoluteFilePath() != out) {
        fail(QStringLiteral("cannot export to %1 (another file of that name is being written)")
                 .arg(out));
        return;
    }
    // Every reload of the queue file ends in countChanged: the job's state is read there.
    connect(m_queue, &ui::ExportQueueModel::countChanged, this, &StudioExport::check);
    m_id = m_queue->enqueue(s);
    if (m_id == 0) {
        fail(QStringLiteral("the export was refused: %1").arg(m_queue->errorText()));
        return;
    }
    printLine(QStringLiteral("export: job %1 queued: %2 -> %3 (engine %4, x%5, preset %6)")
                  .arg(m_id)
                  .arg(QFileInfo(m_request.input).absoluteFilePath(), out, m_request.engine)
                  .arg(m_request.scale)
                  .arg(exportPresetFor(out)));
    m_runner = std::make_unique<ui::ExportRunner>(m_queuePath, m_engines.get(), m_queue);
    connect(m_runner.get(), &ui::ExportRunner::message, this,
            [this](const QString& text) { fail(text); });
}

void StudioExport::check() {
    if (m_done || m_id == 0)
        return;
    for (int row = 0; row < m_queue->rowCount(); ++row) {
        const QModelIndex index = m_queue->index(row);
        if (m_queue->data(index, ui::ExportQueueModel::IdRole).toULongLong() != m_id)
            continue;
        const QString state = m_queue->data(index, ui::ExportQueueModel::StateRole).toString();
        if (state != QLatin1String("done") && state != QLatin1String("failed") &&
            state != QLatin1String("cancelled"))
            return;
        m_done = true;
        m_timeout.stop();
        printLine(QStringLiteral("state: %1").arg(state));
        printLine(QStringLiteral("output: %1")
                      .arg(m_queue->data(index, ui::ExportQueueModel::OutputRole).toString()));
        printLine(
            QStringLiteral("frames written: %1 of %2")
                .arg(m_queue->data(index, ui::ExportQueueModel::FramesDoneRole).toLongLong())
                .arg(m_queue->data(index, ui::ExportQueueModel::FramesTotalRole).toLongLong()));
        const QString engine = m_engines->engineLine();
        printLine(
            QStringLiteral("engine: %1").arg(engine.isEmpty() ? QStringLiteral("none") : engine));
        if (state == QLatin1String("done")) {
            m_succeeded = true;
            Q_EMIT finished(0);
            return;
        }
        const QString reason = m_queue->data(index, ui::ExportQueueModel::ErrorRole).toString();
        std::fprintf(stderr, "flashvsr-studio: --export failed: job %s: %s\n",
                     state.toLocal8Bit().constData(), reason.toLocal8Bit().constData());
        Q_EMIT finished(1);
        return;
    }
    fail(QStringLiteral("job %1 left the queue").arg(m_id));
}

void StudioExport::fail(const QString& message) {
    if (m_done)
        return;
    m_done = true;
    m_timeout.stop();
    std::fprintf(stderr, "flashvsr-studio: --export failed: %s\n",
                 message.toLocal8Bit().constData());
    Q_EMIT finished(1);
}

}  // namespace fvs::app
