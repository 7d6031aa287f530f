// The desktop app's own path, end to end under Xvfb: an H.264 clip longer than one segment is
// opened with the Open dialog, exported through the app's queue with the default preset (the
// Export dialog's "Add to queue"), the app is killed (SIGKILL) in the middle of the export, the
// real flashvsr-studio binary started on the same queue resumes and finishes it, and the result
// equals an uninterrupted export (`flashvsr-studio --export`) frame for frame (decoded frames and
// their timestamps) and packet for packet in the audio.
//
// The first app is this test binary itself run as a child (`--app-child`): it builds the same
// pieces main.cpp builds (services, settings, clips, preview, queue model, runner, Main.qml) so
// the test can drive the Open dialog and the Export dialog in its window.
//
// FVS_RESUME_CLIP=FILE runs the same steps on FILE instead of the generated clip (the 30-second
// 1080p run recorded in docs/ui.md); FVS_RESUME_TIMEOUT=SECONDS raises the waits;
// FVS_RESUME_PRESET=ffv1 makes FFV1 the user's default preset first (the reference is then .mkv).
#include <QApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QSettings>
#include <QTemporaryDir>
#include <QtQml/QQmlExtensionPlugin>
#include <QtTest>
#include <csignal>
#include <cstring>

#include "app_settings.h"
#include "export_queue_model.h"
#include "export_runner.h"
#include "file_chooser.h"
#include "fvs/core/job_queue.h"
#include "preview_controller.h"
#include "source_list_model.h"
#include "studio_services_impl.h"
#include "thumbnail_provider.h"
#include "ui_test_support.h"

Q_IMPORT_QML_PLUGIN(FlashVsr_UiPlugin)

using namespace fvs::ui;

namespace {

int timeoutSeconds() {
    const int s = qEnvironmentVariableIntValue("FVS_RESUME_TIMEOUT");
    return s > 0 ? s : 300;
}

QQuickItem* visibleItem(QQuickWindow* window, const char* name) {
    for (QQuickItem* item : window->findChildren<QQuickItem*>(QString::fromLatin1(name)))
        if (item->isVisible() && item->window() == window)
            return item;
    return nullptr;
}

QList<QQuickItem*> visualTree(QQuickItem* root) {
    QList<QQuickItem*> all;
    for (QQuickItem* child : root->childItems())
        all << child << visualTree(child);
    return all;
}

bool click(QQuickWindow* window, const char* name) {
    QQuickItem* item = nullptr;
    if (!QTest::qWaitFor([&] { return (item = visibleItem(window, name)) && item->isEnabled(); },
                         20000)) {
        std::fprintf(stderr, "child: no enabled item %s\n", name);
        return false;
    }
    QTest::mouseClick(window, Qt::LeftButton, {},
                      item->mapToScene(QPointF(item->width() / 2, item->height() / 2)).toPoint());
    return true;
}

// The child: the app's window over QUEUE; opens CLIP with the Open dialog and queues its export
// with the Export dialog's defaults, then runs until it is killed.
int runChild(int argc, char** argv) {
    QApplication app(argc, argv);
    const QString queuePath = QString::fromLocal8Bit(argv[2]);
    const QString clip = QString::fromLocal8Bit(argv[3]);
    const QString home = QString::fromLocal8Bit(argv[4]);
    fvs::app::StudioServicesImpl services;
    AppSettings settings(
        &services,
        std::make_unique<QSettings>(home + QStringLiteral("/settings.ini"), QSettings::IniFormat));
    auto queue = fvs::core::JobQueue::open(queuePath.toStdString());
    if (!queue)
        return 2;
    const QString preset = qEnvironmentVariable("FVS_RESUME_PRESET");
    if (!preset.isEmpty())
        settings.setDefaultPreset(preset);  // as Settings › Default export preset does
    SourceListModel sources;
    PreviewController preview(&services);
    preview.setPreferredEngine(settings.preferredEngine());
    preview.setModelsFolder(settings.modelsFolder());
    ExportQueueModel exportQueue(std::move(queue.value()));
    preview.setExportRunning(exportQueue.exporting());
    QObject::connect(&exportQueue, &ExportQueueModel::countChanged, &preview,
                     [&] { preview.setExportRunning(exportQueue.exporting()); });
    ExportRunner runner(queuePath.toStdString(), &services, &exportQueue);
    QQmlApplicationEngine engine;
    settings.setQmlEngine(&engine);
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.addImageProvider(QLatin1String(ThumbnailProvider::kName), new ThumbnailProvider);
    engine.setInitialProperties(
        {{QStringLiteral("preview"), QVariant::fromValue(&preview)},
         {QStringLiteral("sources"), QVariant::fromValue(&sources)},
         {QStringLiteral("settings"), QVariant::fromValue(&settings)},
         {QStringLiteral("exportQueue"), QVariant::fromValue(&exportQueue)}});
    engine.load(QUrl(QStringLiteral("qrc:/FlashVsr/Ui/qml/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 3;
    auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().constFirst());
    if (!window || !QTest::qWaitForWindowExposed(window))
        return 4;

    // Open… → the Open dialog (Qt Quick's, as a user here gets it) → pick the clip → accept.
    auto* chooser = window->findChild<FileChooser*>(QStringLiteral("openDialog"));
    if (!chooser || !click(window, "openButton"))
        return 5;
    if (!QTest::qWaitFor([&] { return chooser->showing() && chooser->dialogObject(); }, 20000))
        return 6;
    std::fprintf(stderr, "child: Open dialog shown (%s)\n",
                 chooser->usedBackend() == FileChooser::QuickDialog ? "Qt Quick" : "Qt Widgets");
    // Qt 6.4's dialog has no path field: its folder is set, then the clip double-clicked in its
    // list, as a user does.
    QObject* dialog = chooser->dialogObject();
    dialog->setProperty("currentFolder", QUrl::fromLocalFile(QFileInfo(clip).absolutePath()));
    const QUrl clipUrl = QUrl::fromLocalFile(QFileInfo(clip).absoluteFilePath());
    QQuickItem* entry = nullptr;
    if (!QTest::qWaitFor(
            [&] {
                for (QQuickItem* item : visualTree(window->contentItem()))
                    if (item->isVisible() && item->width() > 0 &&
                        item->property("file").toUrl() == clipUrl)
                        entry = item;
                return entry != nullptr;
            },
            20000))
        return 11;
    QTest::qWait(100);  // the list's layout settles
    QSignalSpy opened(&preview, &PreviewController::opened);
    QTest::mouseDClick(
        window, Qt::LeftButton, {},
        entry->mapToScene(QPointF(entry->width() / 2, entry->height() / 2)).toPoint());
    if (!opened.wait(60000))
        return 7;
    std::fprintf(stderr, "child: opened %s\n", qPrintable(opened.first().first().toString()));

    // Ctrl+E → the Export dialog with its defaults → Add to queue.
    window->requestActivate();  // shortcuts need the focus window (the dialog had it)
    if (!QTest::qWaitForWindowActive(window))
        return 12;
    QTest::keyClick(window, Qt::Key_E, Qt::ControlModifier);
    QObject* exportDialog = window->findChild<QObject*>(QStringLiteral("exportDialog"));
    if (!exportDialog ||
        !QTest::qWaitFor([&] { return exportDialog->property("opened").toBool(); }, 20000))
        return 8;
    if (!click(window, "queueButton"))
        return 9;
    if (!QTest::qWaitFor([&] { return exportQueue.rowCount() == 1; }, 20000)) {
        std::fprintf(stderr, "child: not queued: %s\n", qPrintable(exportQueue.errorText()));
        return 10;
    }
    std::fprintf(
        stderr, "child: queued %s\n",
        qPrintable(
            exportQueue.data(exportQueue.index(0), ExportQueueModel::OutputRole).toString()));
    return QApplication::exec();  // until the parent kills it
}

QJsonObject firstJob(const QString& queuePath) {
    QFile f(queuePath);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QJsonArray jobs = QJsonDocument::fromJson(f.readAll()).object().value("jobs").toArray();
    return jobs.isEmpty() ? QJsonObject() : jobs.first().toObject();
}

// ffmpeg's per-frame checksums of the decoded video (with pts) and of the audio packets.
QString streamDigest(const QString& file, const char* map, bool copy) {
    QProcess ffmpeg;
    QStringList args{QStringLiteral("-v"),   QStringLiteral("error"), QStringLiteral("-i"), file,
                     QStringLiteral("-map"), QString::fromLatin1(map)};
    if (copy)
        args << QStringLiteral("-c") << QStringLiteral("copy");
    args << QStringLiteral("-f") << QStringLiteral("framemd5") << QStringLiteral("-");
    ffmpeg.start(QStringLiteral("ffmpeg"), args);
    if (!ffmpeg.waitForFinished(timeoutSeconds() * 1000) || ffmpeg.exitCode() != 0)
        return QStringLiteral("ffmpeg failed: ") +
               QString::fromLocal8Bit(ffmpeg.readAllStandardError());
    QStringList lines;
    for (const QByteArray& line : ffmpeg.readAllStandardOutput().split('\n'))
        if (!line.startsWith('#') && !line.trimmed().isEmpty())
            lines << QString::fromLatin1(line.trimmed());
    return lines.join(QLatin1Char('\n'));
}

}  // namespace

class TestStudioResume : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void killedExportResumesEqualToAnUninterruptedOne() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString home = dir.filePath(QStringLiteral("home"));
        const QString queuePath = dir.filePath(QStringLiteral("queue.json"));
        QProcessEnvironment env = test::isolatedAppEnvironment(home, queuePath);
        env.insert(QStringLiteral("FLASHVSR_MODELS"), dir.filePath(QStringLiteral("no-models")));
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("src"))));
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("ref"))));

        // GIVEN an H.264 clip with AAC audio, longer than one segment (250 frames): 400 frames
        QString clip = qEnvironmentVariable("FVS_RESUME_CLIP");
        if (clip.isEmpty()) {
            clip = dir.filePath(QStringLiteral("src/clip.mp4"));
            QProcess ffmpeg;
            ffmpeg.start(QStringLiteral("ffmpeg"),
                         {QStringLiteral("-v"),
                          QStringLiteral("error"),
                          QStringLiteral("-f"),
                          QStringLiteral("lavfi"),
                          QStringLiteral("-i"),
                          QStringLiteral("testsrc2=size=96x54:rate=25"),
                          QStringLiteral("-f"),
                          QStringLiteral("lavfi"),
                          QStringLiteral("-i"),
                          QStringLiteral("sine=frequency=440:sample_rate=48000"),
                          QStringLiteral("-frames:v"),
                          QStringLiteral("400"),
                          QStringLiteral("-t"),
                          QStringLiteral("16"),
                          QStringLiteral("-pix_fmt"),
                          QStringLiteral("yuv420p"),
                          QStringLiteral("-c:v"),
                          QStringLiteral("libx264"),
                          QStringLiteral("-c:a"),
                          QStringLiteral("aac"),
                          clip});
            QVERIFY(ffmpeg.waitForFinished(60000) && ffmpeg.exitCode() == 0);
        } else {
            const QString copy = dir.filePath(QStringLiteral("src/") + QFileInfo(clip).fileName());
            QVERIFY(QFile::copy(clip, copy));
            clip = copy;
        }
        const QString framesText = [&] {
            QProcess probe;
            probe.start(
                QStringLiteral("ffprobe"),
                {QStringLiteral("-v"), QStringLiteral("error"), QStringLiteral("-select_streams"),
                 QStringLiteral("v:0"), QStringLiteral("-count_packets"),
                 QStringLiteral("-show_entries"), QStringLiteral("stream=nb_read_packets"),
                 QStringLiteral("-of"), QStringLiteral("csv=p=0"), clip});
            probe.waitForFinished(60000);
            return QString::fromLatin1(probe.readAllStandardOutput()).trimmed();
        }();
        const qint64 frames = framesText.toLongLong();
        QVERIFY2(frames > 250, qPrintable(framesText));

        // WHEN the app opens it with the Open dialog and queues it with the default preset
        QProcess child;
        child.setProcessEnvironment(env);
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(),
                    {QStringLiteral("--app-child"), queuePath, clip, home});
        QVERIFY(child.waitForStarted());
        // ... and is killed once the first segment is recorded, while it encodes the second
        QElapsedTimer clock;
        clock.start();
        QJsonObject job;
        bool killed = false;
        while (clock.elapsed() < timeoutSeconds() * 1000 && child.state() == QProcess::Running) {
            job = firstJob(queuePath);
            if (job.value("state").toString() == QLatin1String("running") &&
                job.value("segments").toArray().size() >= 1) {
                ::kill(static_cast<pid_t>(child.processId()), SIGKILL);
                killed = true;
                break;
            }
            QTest::qWait(20);
        }
        QVERIFY2(killed, qPrintable(QStringLiteral("the app was not killed mid-export (child exit "
                                                   "code %1)")
                                        .arg(child.exitCode())));
        QVERIFY(child.waitForFinished(20000));
        job = firstJob(queuePath);
        QCOMPARE(job.value("state").toString(), QStringLiteral("running"));  // as a crash leaves it
        const bool ffv1 = qEnvironmentVariable("FVS_RESUME_PRESET") == QLatin1String("ffv1");
        // the default preset: H.264 for the web
        QCOMPARE(job.value("encode").toObject().value("codec").toString(),
                 ffv1 ? QStringLiteral("ffv1") : QStringLiteral("libx264"));
        const QString output = job.value("output").toString();
        QVERIFY(!QFileInfo::exists(output));
        qInfo("killed at %lld of %lld frames with %lld segment(s) done",
              job.value("framesDone").toInteger(), frames,
              qint64(job.value("segments").toArray().size()));

        // WHEN flashvsr-studio starts again on that queue THEN it resumes and finishes the job
        QProcess app;
        app.setProcessEnvironment(env);
        app.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        app.start(QStringLiteral(FVS_STUDIO_BINARY), {});
        QVERIFY(app.waitForStarted());
        clock.restart();
        while (clock.elapsed() < timeoutSeconds() * 1000 && app.state() == QProcess::Running) {
            job = firstJob(queuePath);
            const QString state = job.value("state").toString();
            if (state == QLatin1String("done") || state == QLatin1String("failed"))
                break;
            QTest::qWait(100);
        }
        app.terminate();
        QVERIFY(app.waitForFinished(20000));
        QCOMPARE(job.value("state").toString() + QLatin1Char(' ') + job.value("reason").toString(),
                 QStringLiteral("done "));
        QVERIFY(QFileInfo::exists(output));

        // THEN it equals an uninterrupted export of the same clip with the same preset
        const QString reference = dir.filePath(ffv1 ? QStringLiteral("ref/uninterrupted.mkv")
                                                    : QStringLiteral("ref/uninterrupted.mp4"));
        QProcessEnvironment refEnv = test::isolatedAppEnvironment(
            dir.filePath(QStringLiteral("home-ref")), dir.filePath(QStringLiteral("ref/q.json")));
        refEnv.insert(QStringLiteral("FLASHVSR_MODELS"), dir.filePath(QStringLiteral("no-models")));
        const auto ref =
            test::runProcess(QStringLiteral(FVS_STUDIO_BINARY),
                             // The dialog's default engine without FlashVSR weights: Real-ESRGAN
                             // (installed by the setup).
                             {QStringLiteral("--export"), reference, clip,
                              QStringLiteral("--engine"), QStringLiteral("realesrgan"),
                              QStringLiteral("--timeout"), QString::number(timeoutSeconds())},
                             refEnv, timeoutSeconds() * 1000 + 30000);
        QVERIFY2(ref.exitCode == 0, qPrintable(ref.out + ref.err));
        const QString videoOut = streamDigest(output, "0:v:0", false);
        const QString videoRef = streamDigest(reference, "0:v:0", false);
        QCOMPARE(videoOut.count(QLatin1Char('\n')) + 1, int(frames));
        QVERIFY2(videoOut == videoRef, "decoded frames or their timestamps differ");
        QCOMPARE(streamDigest(output, "0:a:0", true), streamDigest(reference, "0:a:0", true));
    }
};

int main(int argc, char** argv) {
    if (argc >= 5 && std::strcmp(argv[1], "--app-child") == 0)
        return runChild(argc, argv);
    QApplication app(argc, argv);
    TestStudioResume test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_studio_resume.moc"
