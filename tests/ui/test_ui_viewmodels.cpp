// View-models with QAbstractItemModelTester and QSignalSpy over the real core (decoder, Lanczos
// engine, JobQueue file) and the app's real StudioServices.
#include <QAbstractItemModelTester>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "app_settings.h"
#include "export_presets.h"
#include "export_queue_model.h"
#include "export_runner.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/job_runner.h"
#include "fvs/core/media_sink.h"
#include "preview_controller.h"
#include "source_list_model.h"
#include "studio_services_impl.h"
#include "ui_test_support.h"

using namespace fvs::ui;

class TestUiViewModels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        // FlashVSR weights must not be found here, whatever the machine has installed.
        qputenv("FLASHVSR_MODELS", m_dir.filePath(QStringLiteral("no-models")).toUtf8());
        qputenv("XDG_DATA_HOME", m_dir.filePath(QStringLiteral("xdg")).toUtf8());
        m_clip = test::makeClip(QDir(m_dir.path()), QStringLiteral("clip.mp4"), 30);
        QVERIFY(!m_clip.isEmpty());
    }

    // --- SourceListModel ---------------------------------------------------------------------

    void dropOfFilesAndFoldersExplainsWhatIsUnusable() {
        // GIVEN a folder with two clips, a text file and an empty sub-folder
        QDir dir(m_dir.path());
        QVERIFY(dir.mkpath(QStringLiteral("batch/sub")));
        QVERIFY(dir.mkpath(QStringLiteral("empty")));
        QVERIFY(
            !test::makeClip(QDir(dir.filePath(QStringLiteral("batch"))), QStringLiteral("a.mp4"), 5)
                 .isEmpty());
        QVERIFY(!test::makeClip(QDir(dir.filePath(QStringLiteral("batch/sub"))),
                                QStringLiteral("b.mkv"), 5)
                     .isEmpty());
        QFile notes(dir.filePath(QStringLiteral("batch/notes.txt")));
        QVERIFY(notes.open(QIODevice::WriteOnly));
        notes.write("hello");
        notes.close();

        SourceListModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy countSpy(&model, &SourceListModel::countChanged);

        // WHEN the folder, a clip, a text file, a missing file, an empty folder and a web URL drop
        const QVariantMap result =
            model.addUrls({QUrl::fromLocalFile(dir.filePath(QStringLiteral("batch"))),
                           QUrl::fromLocalFile(m_clip), QUrl::fromLocalFile(notes.fileName()),
                           QUrl::fromLocalFile(dir.filePath(QStringLiteral("gone.mp4"))),
                           QUrl::fromLocalFile(dir.filePath(QStringLiteral("empty"))),
                           QUrl(QStringLiteral("https://example.com/v.mp4"))});

        // THEN the three clips are listed (folder expanded one level) ...
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(result.value(QStringLiteral("added")).toStringList().size(), 3);
        QCOMPARE(model.data(model.index(0), SourceListModel::FileNameRole).toString(),
                 QStringLiteral("a.mp4"));
        QCOMPARE(model.data(model.index(1), SourceListModel::FileNameRole).toString(),
                 QStringLiteral("b.mkv"));
        QCOMPARE(countSpy.count(), 1);
        // ... and each unusable item comes back with its reason, summarised in one message
        const QVariantList rejected = result.value(QStringLiteral("rejected")).toList();
        QCOMPARE(rejected.size(), 4);
        QStringList reasons;
        for (const QVariant& r : rejected)
            reasons << r.toMap().value(QStringLiteral("reason")).toString();
        QVERIFY(reasons.contains(QStringLiteral("only local files can be opened")));
        QVERIFY(reasons.contains(QStringLiteral("not a video file this application opens")));
        QVERIFY(reasons.contains(QStringLiteral("the file does not exist")));
        QVERIFY(reasons.contains(QStringLiteral("the folder contains no video files")));
        QVERIFY(
            result.value(QStringLiteral("message")).toString().contains(QStringLiteral("3 more")));

        // WHEN the same clip drops again THEN it is not listed twice
        model.addUrls({QUrl::fromLocalFile(m_clip)});
        QCOMPARE(model.rowCount(), 3);
        model.remove(0);
        QCOMPARE(model.rowCount(), 2);
    }

    // --- AppSettings ----------------------------------------------------------------------------

    void settingsPersistRecentFilesAndSwitchLanguage() {
        StudioServicesImplHolder holder;
        const QString ini = m_dir.filePath(QStringLiteral("settings.ini"));
        {
            AppSettings settings(&holder.services,
                                 std::make_unique<QSettings>(ini, QSettings::IniFormat));
            QSignalSpy recentSpy(&settings, &AppSettings::recentFilesChanged);
            for (int i = 0; i < 12; ++i)
                settings.addRecentFile(QStringLiteral("/videos/%1.mp4").arg(i));
            settings.addRecentFile(QStringLiteral("/videos/3.mp4"));  // moves to the front
            QCOMPARE(recentSpy.count(), 13);
            QCOMPARE(settings.recentFiles().size(), AppSettings::kMaxRecentFiles);
            QCOMPARE(settings.recentFiles().first(), QStringLiteral("/videos/3.mp4"));
            QCOMPARE(settings.recentFiles().count(QStringLiteral("/videos/3.mp4")), 1);

            // The models folder status comes from the real `models check`: nothing there.
            QSignalSpy statusSpy(&settings, &AppSettings::modelStatusChanged);
            settings.setModelsFolder(m_dir.filePath(QStringLiteral("no-models")));
            QCOMPARE(settings.modelStatus().value(QStringLiteral("usable")).toBool(), false);
            QVERIFY(
                !settings.modelStatus().value(QStringLiteral("problems")).toStringList().isEmpty());

            // Language: Simplified Chinese replaces the English texts at once.
            QSignalSpy langSpy(&settings, &AppSettings::languageChanged);
            const QString english =
                presetsForQml().at(2).toMap().value(QStringLiteral("name")).toString();
            QCOMPARE(english, QStringLiteral("H.264 for the web"));
            settings.setLanguage(QStringLiteral("zh_CN"));
            QCOMPARE(langSpy.count(), 1);
            const QString chinese =
                presetsForQml().at(2).toMap().value(QStringLiteral("name")).toString();
            QVERIFY2(chinese != english, qPrintable(chinese));
            settings.setLanguage(QStringLiteral("klingon"));  // unknown: ignored
            QCOMPARE(settings.language(), QStringLiteral("zh_CN"));
            settings.setLanguage(QStringLiteral("en"));
            QCOMPARE(presetsForQml().at(2).toMap().value(QStringLiteral("name")).toString(),
                     english);
            settings.setTheme(QStringLiteral("dark"));
        }
        // THEN a new instance reads what was stored
        AppSettings again(&holder.services, std::make_unique<QSettings>(ini, QSettings::IniFormat));
        QCOMPARE(again.recentFiles().first(), QStringLiteral("/videos/3.mp4"));
        QCOMPARE(again.theme(), QStringLiteral("dark"));
    }

    // --- Export presets and names
    // -----------------------------------------------------------------

    void outputNamesNeverOverwrite() {
        const QString folder = m_dir.filePath(QStringLiteral("out"));
        QVERIFY(QDir().mkpath(folder));
        const QVariantMap tokens{{QStringLiteral("engine"), QStringLiteral("lanczos")},
                                 {QStringLiteral("scale"), QStringLiteral("x4")}};
        const QString first =
            expandOutputPath(m_clip, folder, {}, tokens, QStringLiteral("mp4"), false);
        QCOMPARE(QFileInfo(first).fileName(), QStringLiteral("clip_lanczos_x4.mp4"));
        QFile existing(first);
        QVERIFY(existing.open(QIODevice::WriteOnly));
        existing.close();
        const QString second =
            expandOutputPath(m_clip, folder, {}, tokens, QStringLiteral("mp4"), false);
        QCOMPARE(QFileInfo(second).fileName(), QStringLiteral("clip_lanczos_x4 (2).mp4"));
        // A pattern equal to the source name in the source folder never yields the source.
        const QString same = expandOutputPath(m_clip, {}, QStringLiteral("{name}"), tokens,
                                              QStringLiteral("mp4"), false);
        QVERIFY(QFileInfo(same).absoluteFilePath() != QFileInfo(m_clip).absoluteFilePath());
        const QString seq = expandOutputPath(m_clip, folder, QStringLiteral("{name}/{engine}"),
                                             tokens, QStringLiteral("png"), true);
        QCOMPARE(QFileInfo(seq).fileName(), QStringLiteral("clip_lanczos_%06d.png"));
        QVERIFY(findPreset(QStringLiteral("prores-hq")));
        QCOMPARE(QString::fromStdString(findPreset(QStringLiteral("prores-hq"))->encode.codec),
                 QStringLiteral("prores_ks"));
    }

    // --- ExportQueueModel
    // -------------------------------------------------------------------------

    void queueModelForwardsActionsAndPersists() {
        const std::filesystem::path queuePath =
            m_dir.filePath(QStringLiteral("queue/queue.json")).toStdString();
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("queue"))));
        auto queue = fvs::core::JobQueue::open(queuePath);
        QVERIFY(queue);
        ExportQueueModel model(std::move(queue.value()));
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy edited(&model, &ExportQueueModel::queueEdited);
        const QString out = m_dir.filePath(QStringLiteral("exports"));
        QVERIFY(QDir().mkpath(out));

        // GIVEN three jobs queued from the dialog's spec
        QList<quint64> ids;
        for (const char* preset : {"h264-web", "prores-hq", "png"}) {
            const quint64 id =
                model.enqueue({{QStringLiteral("input"), m_clip},
                               {QStringLiteral("folder"), out},
                               {QStringLiteral("preset"), QString::fromLatin1(preset)},
                               {QStringLiteral("pattern"), QStringLiteral("{name}_{preset}")},
                               {QStringLiteral("engine"), QStringLiteral("lanczos")},
                               {QStringLiteral("scale"), 2},
                               {QStringLiteral("inFrame"), 5},
                               {QStringLiteral("outFrame"), 9}});
            QVERIFY2(id > 0, qPrintable(model.errorText()));
            ids << id;
        }
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(edited.count(), 3);
        QCOMPARE(model.data(model.index(1), ExportQueueModel::StateRole).toString(),
                 QStringLiteral("queued"));
        QVERIFY(model.data(model.index(1), ExportQueueModel::OutputRole)
                    .toString()
                    .endsWith(QStringLiteral("clip_prores-hq.mov")));
        QVERIFY(model.data(model.index(2), ExportQueueModel::OutputRole)
                    .toString()
                    .endsWith(QStringLiteral("clip_png_%06d.png")));

        // WHEN the last job is dragged to the top
        QSignalSpy moved(&model, &QAbstractItemModel::rowsMoved);
        QVERIFY(model.move(2, 0));
        QCOMPARE(moved.count(), 1);
        QCOMPARE(model.data(model.index(0), ExportQueueModel::IdRole).toULongLong(), ids[2]);
        QCOMPARE(model.data(model.index(1), ExportQueueModel::IdRole).toULongLong(), ids[0]);
        // THEN the order is in the file (what a restart or `flashvsr queue` sees)
        auto reopened = fvs::core::JobQueue::open(queuePath);
        QVERIFY(reopened);
        QCOMPARE(reopened.value().jobs().front().id, ids[2]);
        QCOMPARE(reopened.value().jobs().front().trim.startFrame, int64_t(5));
        QCOMPARE(reopened.value().jobs().front().trim.endFrame, int64_t(10));
        QCOMPARE(reopened.value().jobs().front().engine.scale.factor, 2.0);

        // Pause / resume / cancel / retry / remove go through the queue's state machine.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QVERIFY(model.pause(0));
        QCOMPARE(model.data(model.index(0), ExportQueueModel::StateRole).toString(),
                 QStringLiteral("paused"));
        QVERIFY(model.data(model.index(0), ExportQueueModel::CanResumeRole).toBool());
        QVERIFY(!changed.isEmpty());
        QVERIFY(model.resume(0));
        QCOMPARE(model.data(model.index(0), ExportQueueModel::StateRole).toString(),
                 QStringLiteral("queued"));
        QVERIFY(model.cancel(1));
        QCOMPARE(model.data(model.index(1), ExportQueueModel::StateRole).toString(),
                 QStringLiteral("cancelled"));
        QVERIFY(model.data(model.index(1), ExportQueueModel::CanRetryRole).toBool());
        QVERIFY(!model.retry(0));  // a queued job cannot be retried: refused, with a reason
        QVERIFY(!model.errorText().isEmpty());
        QVERIFY(model.retry(1));
        QCOMPARE(model.data(model.index(1), ExportQueueModel::StateRole).toString(),
                 QStringLiteral("queued"));
        QVERIFY(model.remove(2));
        QCOMPARE(model.rowCount(), 2);
        QVERIFY(!model.remove(7));

        // Live progress from the runner shows as fps and ETA.
        model.setLiveProgress(ids[2], 10, 40, 5.0, 6.0);  // not running: no fps shown
        QCOMPARE(model.data(model.index(0), ExportQueueModel::FpsRole).toDouble(), 0.0);

        // Bad specs are refused with a reason instead of queueing nonsense.
        QCOMPARE(model.enqueue({{QStringLiteral("input"), QStringLiteral("/nope.mp4")}}),
                 quint64(0));
        QVERIFY(!model.errorText().isEmpty());
        QCOMPARE(model.enqueue({{QStringLiteral("input"), m_clip},
                                {QStringLiteral("folder"), out},
                                {QStringLiteral("inFrame"), 9},
                                {QStringLiteral("outFrame"), 3}}),
                 quint64(0));
        QCOMPARE(model.rowCount(), 2);
    }

    void queueModelSeesEditsFromAnotherProcess() {
        const std::filesystem::path queuePath =
            m_dir.filePath(QStringLiteral("queue2.json")).toStdString();
        auto queue = fvs::core::JobQueue::open(queuePath);
        QVERIFY(queue);
        ExportQueueModel model(std::move(queue.value()));
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        // WHEN `flashvsr queue` (another JobQueue on the same file) adds and fails a job
        auto other = fvs::core::JobQueue::open(queuePath);
        QVERIFY(other);
        fvs::core::Job job;
        job.input = m_clip.toStdString();
        job.output = m_dir.filePath(QStringLiteral("x.mp4")).toStdString();
        auto id = other.value().add(job);
        QVERIFY(id);
        // THEN the model picks it up (file watcher) ...
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, 10000);
        // ... and a failure produces the notification signal with the reason
        QSignalSpy finished(&model, &ExportQueueModel::jobFinished);
        QVERIFY(other.value().update(id.value(), [](fvs::core::Job& j) {
            j.state = fvs::core::JobState::Failed;
            j.reason = "encoder exploded";
            return fvs::core::Status{};
        }));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(finished.at(0).at(2).toBool(), false);
        QCOMPARE(finished.at(0).at(3).toString(), QStringLiteral("encoder exploded"));
        QCOMPARE(model.data(model.index(0), ExportQueueModel::ErrorRole).toString(),
                 QStringLiteral("encoder exploded"));
    }

    // --- PreviewController
    // ------------------------------------------------------------------------

    void previewOpensComparesAndFallsBackToLanczos() {
        StudioServicesImplHolder holder;
        PreviewController preview(&holder.services);
        QSignalSpy opened(&preview, &PreviewController::opened);
        QSignalSpy frameSpy(&preview, &PreviewController::frameChanged);
        // GIVEN FlashVSR preferred but no weights
        preview.setPreferredEngine(QStringLiteral("flashvsr"));
        preview.setModelsFolder(m_dir.filePath(QStringLiteral("no-models")));
        // WHEN a clip opens
        preview.open(QUrl::fromLocalFile(m_clip));
        QVERIFY(preview.loading());
        QVERIFY(opened.wait(20000));
        QVERIFY(preview.hasSource());
        QCOMPARE(preview.frameCount(), 30);
        QCOMPARE(preview.sourceInfo().value(QStringLiteral("width")).toInt(), 64);
        QCOMPARE(preview.sourceInfo().value(QStringLiteral("codec")).toString(),
                 QStringLiteral("h264"));
        // THEN Real-ESRGAN (installed by the setup; else Lanczos) previews ×4 and the UI says
        // why FlashVSR is not used
        const bool realEsrgan = holder.services.engines().contains(QStringLiteral("realesrgan"));
        QTRY_VERIFY_WITH_TIMEOUT(preview.upscaledReady(), 60000);
        QCOMPARE(preview.engineName(),
                 realEsrgan ? QStringLiteral("realesrgan") : QStringLiteral("lanczos"));
        QVERIFY2(preview.engineNote().contains(realEsrgan ? QStringLiteral("Real-ESRGAN")
                                                          : QStringLiteral("Lanczos")),
                 qPrintable(preview.engineNote()));
        QCOMPARE(preview.upscaledImage().size(), QSize(256, 192));
        QCOMPARE(preview.originalImage().size(), QSize(64, 48));
        QCOMPARE(preview.contentWidth(), 256);
        QVERIFY(frameSpy.count() >= 1);

        // WHEN the user seeks THEN the frame at the playhead is shown and marked as upscaled
        QSignalSpy rangesSpy(&preview, &PreviewController::upscaledRangesChanged);
        preview.seek(20);
        QCOMPARE(preview.frameIndex(), 20);
        QTRY_VERIFY_WITH_TIMEOUT(preview.shownIndex() == 20 && preview.upscaledReady(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(preview.isUpscaled(20), 20000);
        QVERIFY(!rangesSpy.isEmpty());
        bool covered = false;
        for (const QVariant& r : preview.upscaledRanges()) {
            const QVariantMap m = r.toMap();
            covered |= m.value(QStringLiteral("from")).toLongLong() <= 20 &&
                       m.value(QStringLiteral("to")).toLongLong() >= 20;
        }
        QVERIFY(covered);
        QCOMPARE(preview.timecode(), QStringLiteral("00:00:00.800"));

        // Frame stepping, clamping, in/out.
        preview.step(-1);
        QCOMPARE(preview.frameIndex(), 19);
        preview.seek(1000);
        QCOMPARE(preview.frameIndex(), 29);
        preview.seek(4);
        preview.markIn();
        preview.seek(12);
        preview.markOut();
        QCOMPARE(preview.inFrame(), 4);
        QCOMPARE(preview.outFrame(), 12);
        preview.setInFrame(20);  // past the out point: the out point goes
        QCOMPARE(preview.outFrame(), -1);
        preview.clearInOut();
        QCOMPARE(preview.inFrame(), -1);

        // Playback advances at the engine's pace and stops at the end.
        preview.seek(25);
        QSignalSpy playingSpy(&preview, &PreviewController::playingChanged);
        preview.setPlaying(true);
        QTRY_COMPARE_WITH_TIMEOUT(preview.playing(), false, 30000);
        QCOMPARE(preview.frameIndex(), 29);
        QCOMPARE(playingSpy.count(), 2);
    }

    void zoomSplitAndModes() {
        PreviewController preview(nullptr);
        QSignalSpy zoomSpy(&preview, &PreviewController::zoomChanged);
        preview.zoomIn(0.3);  // from "fit" at 30 %
        QCOMPARE(preview.zoom(), 0.5);
        preview.setZoom(100);
        QCOMPARE(preview.zoom(), PreviewController::kMaxZoom);  // 800 %
        preview.zoomIn(0.3);
        QCOMPARE(preview.zoom(), 8.0);
        preview.zoomOut(0.3);
        QCOMPARE(preview.zoom(), 6.0);
        preview.setPanX(40);
        preview.zoomToFit();
        QCOMPARE(preview.zoom(), 0.0);
        QCOMPARE(preview.panX(), 0.0);  // fit re-centres
        QCOMPARE(zoomSpy.count(), 4);

        QSignalSpy splitSpy(&preview, &PreviewController::splitRatioChanged);
        preview.setSplitRatio(1.7);
        QCOMPARE(preview.splitRatio(), 1.0);
        preview.setSplitRatio(-1);
        QCOMPARE(preview.splitRatio(), 0.0);
        QCOMPARE(splitSpy.count(), 2);
        preview.setCompareMode(PreviewController::CompareMode::Toggle);
        preview.toggleAB();
        QCOMPARE(preview.showUpscaled(), false);
        preview.setPlaying(true);  // nothing open: refuses
        QCOMPARE(preview.playing(), false);
    }

    void queueStateTextFollowsTheLanguage() {
        // GIVEN a queue with one job, shown in English
        StudioServicesImplHolder holder;
        AppSettings settings(&holder.services,
                             std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("lang.ini")),
                                                         QSettings::IniFormat));
        settings.setLanguage(QStringLiteral("en"));
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("langq"))));
        auto queue = fvs::core::JobQueue::open(
            m_dir.filePath(QStringLiteral("langq/queue.json")).toStdString());
        QVERIFY(queue);
        ExportQueueModel model(std::move(queue.value()));
        QVERIFY(model.enqueue({{QStringLiteral("input"), m_clip},
                               {QStringLiteral("folder"), m_dir.path()},
                               {QStringLiteral("preset"), QStringLiteral("h264-web")},
                               {QStringLiteral("engine"), QStringLiteral("lanczos")}}) > 0);
        const QModelIndex first = model.index(0);
        QCOMPARE(model.data(first, ExportQueueModel::StateTextRole).toString(),
                 QStringLiteral("Queued"));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

        // WHEN the language switches to Simplified Chinese
        settings.setLanguage(QStringLiteral("zh_CN"));

        // THEN the views are told to re-read the rows, which now read in Chinese
        QVERIFY(changed.count() >= 1);
        QCOMPARE(changed.last().at(0).toModelIndex().row(), 0);
        const QString chinese = model.data(first, ExportQueueModel::StateTextRole).toString();
        QVERIFY2(chinese != QStringLiteral("Queued"), qPrintable(chinese));
        settings.setLanguage(QStringLiteral("en"));
    }

    void queuedJobsNeverShareAnOutput() {
        // GIVEN a queue (nothing written to disk yet)
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("q2"))));
        auto queue = fvs::core::JobQueue::open(
            m_dir.filePath(QStringLiteral("q2/queue.json")).toStdString());
        QVERIFY(queue);
        ExportQueueModel model(std::move(queue.value()));
        const QVariantMap spec{{QStringLiteral("input"), m_clip},
                               {QStringLiteral("folder"), m_dir.filePath(QStringLiteral("q2"))},
                               {QStringLiteral("preset"), QStringLiteral("ffv1")},
                               {QStringLiteral("engine"), QStringLiteral("lanczos")}};
        // WHEN the same export is queued twice
        QVERIFY(model.enqueue(spec) > 0);
        QVERIFY(model.enqueue(spec) > 0);
        // THEN the second job writes "(2)": the rule sees the first, queued job
        const QString first = model.data(model.index(0), ExportQueueModel::OutputRole).toString();
        const QString second = model.data(model.index(1), ExportQueueModel::OutputRole).toString();
        QCOMPARE(QFileInfo(first).fileName(), QStringLiteral("clip_lanczos_x4.mkv"));
        QCOMPARE(QFileInfo(second).fileName(), QStringLiteral("clip_lanczos_x4 (2).mkv"));
        // and the dialog's preview of the next name says "(3)"
        QCOMPARE(QFileInfo(model.previewOutputPath(spec)).fileName(),
                 QStringLiteral("clip_lanczos_x4 (3).mkv"));
    }

    void exportsThatCannotRunAreRefused() {
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("q3"))));
        auto queue = fvs::core::JobQueue::open(
            m_dir.filePath(QStringLiteral("q3/queue.json")).toStdString());
        QVERIFY(queue);
        ExportQueueModel model(std::move(queue.value()));
        StudioServicesImplHolder holder;
        model.setModelCheck([&holder](const QString& folder) {
            const ModelStatus status = holder.services.checkModels(folder);
            return status.usable ? QStringList()
                                 : status.problems + QStringList{QStringLiteral("x")};
        });
        const QVariantMap base{{QStringLiteral("input"), m_clip},
                               {QStringLiteral("folder"), m_dir.filePath(QStringLiteral("q3"))},
                               {QStringLiteral("preset"), QStringLiteral("ffv1")},
                               {QStringLiteral("engine"), QStringLiteral("lanczos")}};
        QCOMPARE(model.problems(base), QStringList());
        auto refused = [&](QVariantMap spec, const QString& says) {
            for (auto it = base.begin(); it != base.end(); ++it)
                if (!spec.contains(it.key()))
                    spec.insert(it.key(), it.value());
            const QStringList why = model.problems(spec);
            if (why.isEmpty() || !why.join(QLatin1Char(' ')).contains(says)) {
                qWarning() << "problems:" << why;
                return false;
            }
            // enqueue() refuses it with the same reason and queues nothing
            return model.enqueue(spec) == 0 && model.errorText().contains(says) &&
                   model.rowCount() == 0;
        };
        // NVENC on a machine without an NVIDIA encoder (this one has none)
        const auto encoders = fvs::core::availableEncoders();
        if (std::find(encoders.begin(), encoders.end(), "hevc_nvenc") == encoders.end())
            QVERIFY(refused({{QStringLiteral("preset"), QStringLiteral("h265-nvenc")},
                             {QStringLiteral("codec"), QStringLiteral("hevc_nvenc")}},
                            QStringLiteral("NVIDIA")));
        // Sizes over 16384 pixels: a target size, and a factor of a large source
        QVERIFY(refused(
            {{QStringLiteral("targetWidth"), 20000}, {QStringLiteral("targetHeight"), 2000}},
            QStringLiteral("16384")));
        QVERIFY(refused({{QStringLiteral("sourceWidth"), 5000},
                         {QStringLiteral("sourceHeight"), 2000},
                         {QStringLiteral("scale"), 4}},
                        QStringLiteral("16384")));
        // FlashVSR without weights
        QVERIFY(refused({{QStringLiteral("engine"), QStringLiteral("flashvsr")},
                         {QStringLiteral("modelsFolder"), m_dir.filePath(QStringLiteral("none"))}},
                        QStringLiteral("FlashVSR")));
        // and what can run still does
        QVERIFY(model.enqueue(base) > 0);
    }

    void restartDeletesTheSegmentsAndStartsFromZero() {
        // GIVEN a failed job with two completed segments on disk
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("q5"))));
        const auto queuePath = m_dir.filePath(QStringLiteral("q5/queue.json")).toStdString();
        auto queue = fvs::core::JobQueue::open(queuePath);
        QVERIFY(queue);
        ExportQueueModel model(std::move(queue.value()));
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const quint64 id =
            model.enqueue({{QStringLiteral("input"), m_clip},
                           {QStringLiteral("folder"), m_dir.filePath(QStringLiteral("q5"))},
                           {QStringLiteral("preset"), QStringLiteral("h264-web")},
                           {QStringLiteral("engine"), QStringLiteral("lanczos")}});
        QVERIFY2(id > 0, qPrintable(model.errorText()));
        // a queued job has nothing to restart: refused, with a reason
        QVERIFY(!model.data(model.index(0), ExportQueueModel::CanRestartRole).toBool());
        QVERIFY(!model.restart(0));
        QVERIFY(!model.errorText().isEmpty());
        auto edit = fvs::core::JobQueue::open(queuePath);
        QVERIFY(edit);
        fvs::core::Job job = *edit.value().find(id);
        const std::filesystem::path work = fvs::core::defaultWorkDir(job);
        std::filesystem::create_directories(work);
        for (const char* name : {"segment_000000.mov", "segment_000001.mov", "spill_000002.nut"})
            std::ofstream(work / name) << "frames";
        QVERIFY(edit.value()
                    .update(id,
                            [&](fvs::core::Job& j) -> fvs::core::Status {
                                j.state = fvs::core::JobState::Failed;
                                j.reason = "disk full";
                                j.workDir = work.string();
                                j.segments = {{"segment_000000.mov", 0, 10, 0, 6, ""},
                                              {"segment_000001.mov", 10, 10, 0, 6, ""}};
                                j.kept.file = "spill_000002.nut";
                                j.kept.firstFrame = 20;
                                j.kept.frameCount = 3;
                                j.framesDone = 23;
                                return {};
                            })
                    .ok());
        model.reload();
        QVERIFY(model.data(model.index(0), ExportQueueModel::CanRetryRole).toBool());
        QVERIFY(model.data(model.index(0), ExportQueueModel::CanRestartRole).toBool());
        // WHEN the user picks Restart
        QSignalSpy edited(&model, &ExportQueueModel::queueEdited);
        QVERIFY2(model.restart(0), qPrintable(model.errorText()));
        // THEN it is queued from frame 0, its segments and kept frames are gone from the file
        // and from the disk, and the runner is told to look
        QCOMPARE(model.data(model.index(0), ExportQueueModel::StateRole).toString(),
                 QStringLiteral("queued"));
        QCOMPARE(model.data(model.index(0), ExportQueueModel::FramesDoneRole).toLongLong(), 0);
        QCOMPARE(edited.count(), 1);
        job = *fvs::core::JobQueue::open(queuePath).value().find(id);
        QVERIFY(job.segments.empty());
        QVERIFY(!job.kept.recorded());
        QVERIFY(!std::filesystem::exists(work));
    }

    void pausingInsideTheFirstSegmentKeepsTheFrames() {
        // GIVEN the app's runner on a job of 150 frames in one 250-frame segment, slow enough to
        // be paused in the middle (Lanczos x4 of a 160x120 clip into FFV1)
        const QString clip =
            test::makeClip(QDir(m_dir.path()), QStringLiteral("long.mp4"), 150, 160, 120);
        QVERIFY(!clip.isEmpty());
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("q4"))));
        const auto queuePath = m_dir.filePath(QStringLiteral("q4/queue.json")).toStdString();
        auto queue = fvs::core::JobQueue::open(queuePath);
        QVERIFY(queue);
        ExportQueueModel model(std::move(queue.value()));
        StudioServicesImplHolder holder;
        ExportRunner runner(queuePath, &holder.services, &model);
        QVERIFY(model.enqueue({{QStringLiteral("input"), clip},
                               {QStringLiteral("folder"), m_dir.filePath(QStringLiteral("q4"))},
                               {QStringLiteral("preset"), QStringLiteral("ffv1")},
                               {QStringLiteral("engine"), QStringLiteral("lanczos")}}) > 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            model.data(model.index(0), ExportQueueModel::FramesDoneRole).toLongLong() >= 10, 60000);
        // WHEN it is paused before its first segment is complete
        QVERIFY(model.pause(0));
        QTRY_VERIFY_WITH_TIMEOUT(
            (model.reload(), model.data(model.index(0), ExportQueueModel::StateRole).toString() ==
                                 QLatin1String("paused")),
            60000);
        // THEN, once the runner has stopped it (the state says paused at once), the frames
        // encoded so far are kept (the segment itself stays open, so its boundaries do not move)
        auto check = fvs::core::JobQueue::open(queuePath);
        QVERIFY(check);
        auto stopped = [&] {
            (void)check.value().reload();
            const fvs::core::Job& j = check.value().jobs().front();
            return j.pid == 0 && j.kept.recorded();
        };
        QTRY_VERIFY_WITH_TIMEOUT(stopped(), 30000);
        const fvs::core::Job job = check.value().jobs().front();
        QCOMPARE(job.state, fvs::core::JobState::Paused);
        QVERIFY(job.segments.empty());
        const int64_t kept = job.kept.frameCount;
        QVERIFY2(kept > 0 && kept < 150, qPrintable(QString::number(kept)));
        QCOMPARE(job.kept.firstFrame, int64_t(0));
        QCOMPARE(job.framesDone, kept);
        // AND the queue shows that progress
        model.reload();
        QCOMPARE(model.data(model.index(0), ExportQueueModel::FramesDoneRole).toLongLong(),
                 qint64(kept));
        // WHEN it is resumed THEN it finishes with every frame
        QVERIFY(model.resume(0));
        QTRY_VERIFY_WITH_TIMEOUT(
            (model.reload(), model.data(model.index(0), ExportQueueModel::StateRole).toString() ==
                                 QLatin1String("done")),
            120000);
        QProcess probe;
        probe.start(
            QStringLiteral("ffprobe"),
            {QStringLiteral("-v"), QStringLiteral("error"), QStringLiteral("-count_frames"),
             QStringLiteral("-select_streams"), QStringLiteral("v:0"),
             QStringLiteral("-show_entries"), QStringLiteral("stream=nb_read_frames"),
             QStringLiteral("-of"), QStringLiteral("csv=p=0"), QString::fromStdString(job.output)});
        QVERIFY(probe.waitForFinished(60000));
        QCOMPARE(QString::fromLatin1(probe.readAllStandardOutput()).trimmed(),
                 QStringLiteral("150"));
    }

    void previewDoesNotUpscaleDuringAnExport() {
        StudioServicesImplHolder holder;
        PreviewController preview(&holder.services);
        preview.setPreferredEngine(QStringLiteral("lanczos"));
        QSignalSpy opened(&preview, &PreviewController::opened);
        preview.open(QUrl::fromLocalFile(m_clip));
        QVERIFY(opened.wait(20000));
        QTRY_VERIFY_WITH_TIMEOUT(preview.upscaledReady() && preview.isUpscaled(0), 20000);
        // GIVEN an export running
        preview.setExportRunning(true);
        // WHEN the user goes to frame 15
        preview.seek(15);
        // THEN the original is shown and nothing is upscaled
        QTRY_VERIFY_WITH_TIMEOUT(preview.shownIndex() == 15, 20000);
        QTest::qWait(300);
        QVERIFY(!preview.upscaledReady());
        QVERIFY(!preview.isUpscaled(15));
        // and playback still moves (at the originals' pace)
        preview.setPlaying(true);
        QTRY_VERIFY_WITH_TIMEOUT(preview.frameIndex() >= 18, 20000);
        preview.setPlaying(false);
        QVERIFY(!preview.isUpscaled(16) && !preview.isUpscaled(17));
        // WHEN the export ends THEN the shown frame is upscaled, and only that one (paused)
        const qint64 at = preview.frameIndex();
        preview.setExportRunning(false);
        QTRY_VERIFY_WITH_TIMEOUT(preview.shownIndex() == at && preview.upscaledReady(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(preview.isUpscaled(at), 20000);
        QTest::qWait(300);
        QVERIFY(!preview.isUpscaled(at + 1));
    }

    void badFileIsExplained() {
        StudioServicesImplHolder holder;
        PreviewController preview(&holder.services);
        QFile junk(m_dir.filePath(QStringLiteral("junk.mp4")));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write(QByteArray(4096, 'x'));
        junk.close();
        QSignalSpy failed(&preview, &PreviewController::openFailed);
        preview.open(QUrl::fromLocalFile(junk.fileName()));
        QVERIFY(failed.wait(20000));
        QVERIFY(!preview.hasSource());
        QVERIFY(preview.errorText().contains(QStringLiteral("junk.mp4")));
    }

private:
    struct StudioServicesImplHolder {
        fvs::app::StudioServicesImpl services;
    };
    QTemporaryDir m_dir;
    QString m_clip;
};

QTEST_MAIN(TestUiViewModels)
#include "test_ui_viewmodels.moc"
