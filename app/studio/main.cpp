// flashvsr-studio [FILES...]: the desktop application. Composition root: builds the services,
// view-models and queue runner, then loads FlashVsr.Ui's Main.qml from the module's qrc path
// (Qt 6.4 has no loadFromModule).
//
// --help and --version need no display: they are answered with a QCoreApplication before any
// window system is touched. --grab FRAME OUT.png (automation, see studio_grab.h) shows FRAME of
// the first file side by side and saves the window once the upscaled frame is on screen;
// --export OUT FILE (studio_export.h) exports FILE through the app's export queue and runner.

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QIcon>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QUrl>
#include <QtQml/QQmlExtensionPlugin>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "app_settings.h"
#include "export_queue_model.h"
#include "export_runner.h"
#include "file_chooser.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/xdg_paths.h"
#include "preview_controller.h"
#include "qml_module_check.h"
#include "source_list_model.h"
#include "studio_export.h"
#include "studio_grab.h"
#include "studio_services_impl.h"
#include "thumbnail_provider.h"
#include "video_texture_item.h"

Q_IMPORT_QML_PLUGIN(FlashVsr_UiPlugin)

namespace {

struct Options {
    QCommandLineOption engine{
        QStringLiteral("engine"),
        QCoreApplication::translate("main", "Preview engine for this run (not saved): %1.")
            .arg(QStringLiteral("flashvsr, lanczos, bicubic")),
        QStringLiteral("NAME")};
    QCommandLineOption models{
        QStringLiteral("models"),
        QCoreApplication::translate("main", "FlashVSR model folder for this run (not saved)."),
        QStringLiteral("DIR")};
    QCommandLineOption grab{
        QStringLiteral("grab"),
        QCoreApplication::translate(
            "main",
            "Show frame FRAME of the first file side by side, save the window to OUT.png once "
            "the upscaled frame is on screen, print the engine and display counters, and quit "
            "(exit code 0; 1 on failure or timeout)."),
        QStringLiteral("FRAME OUT.png")};
    QCommandLineOption exportTo{
        QStringLiteral("export"),
        QCoreApplication::translate(
            "main",
            "Export the file through the app's export queue to OUT (.mkv: FFV1 lossless, .mov: "
            "ProRes, .mp4: H.264; an existing file is not overwritten), print the job's state, "
            "output, frames written and engine, and quit (exit code 0 when done; 1 otherwise). "
            "The user's export queue is not touched."),
        QStringLiteral("OUT")};
    QCommandLineOption scale{
        QStringLiteral("scale"),
        QCoreApplication::translate("main", "With --export: the scale factor (default 4)."),
        QStringLiteral("FACTOR"), QStringLiteral("4")};
    QCommandLineOption timeout{
        QStringLiteral("timeout"),
        QCoreApplication::translate(
            "main", "With --grab or --export: give up after SECONDS (default 300)."),
        QStringLiteral("SECONDS"), QStringLiteral("300")};
};

void describe(QCommandLineParser& parser, const Options& options) {
    parser.setApplicationDescription(QCoreApplication::translate(
        "main", "Upscale videos with FlashVSR: compare before and after, queue exports."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({options.engine, options.models, options.grab, options.exportTo,
                       options.scale, options.timeout});
    parser.addPositionalArgument(QStringLiteral("files"),
                                 QCoreApplication::translate("main", "Videos or folders to open."),
                                 QStringLiteral("[FILES...]"));
}

void setIdentity() {
    QCoreApplication::setOrganizationName(QStringLiteral("flashvsr-studio"));
    QCoreApplication::setApplicationName(QStringLiteral("flashvsr-studio"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FVS_VERSION));
}

bool asksForHelpOrVersion(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        for (const char* flag : {"-h", "--help", "-?", "--help-all", "-v", "--version"})
            if (std::strcmp(argv[i], flag) == 0)
                return true;
        if (std::strcmp(argv[i], "--") == 0)
            break;
    }
    return false;
}

// Answers --help/--version without a display; QCommandLineParser::process exits.
int helpOrVersion(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    setIdentity();
    fvs::ui::AppSettings settings(nullptr);
    settings.applyLanguage();  // the help in the user's language
    Options options;
    QCommandLineParser parser;
    describe(parser, options);
    parser.process(app);
    return 0;
}

int usageError(const QString& message) {
    std::fprintf(stderr, "flashvsr-studio: %s\n", message.toLocal8Bit().constData());
    return 1;
}

// "--grab FRAME OUT.png" takes two values, which QCommandLineParser cannot express: take them
// out of the argument list before it parses the rest.
std::optional<QString> takeGrab(QStringList& args, std::optional<fvs::app::GrabRequest>& grab) {
    const qsizetype at = args.indexOf(QStringLiteral("--grab"));
    if (at < 0)
        return std::nullopt;
    if (at + 2 >= args.size())
        return QStringLiteral("--grab needs FRAME and OUT.png");
    bool ok = false;
    fvs::app::GrabRequest request;
    request.frame = args.at(at + 1).toLongLong(&ok);
    if (!ok || request.frame < 0)
        return QStringLiteral("--grab: FRAME must be a frame number >= 0, not '%1'")
            .arg(args.at(at + 1));
    request.outPath = args.at(at + 2);
    if (!request.outPath.endsWith(QLatin1String(".png"), Qt::CaseInsensitive))
        return QStringLiteral("--grab: OUT must be a .png file, not '%1'").arg(request.outPath);
    args.remove(at, 3);
    grab = request;
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
    if (asksForHelpOrVersion(argc, argv))
        return helpOrVersion(argc, argv);

    // The scene graph on OpenGL: CUDA-GL interop (CUDA builds) needs GL textures, and CPU builds
    // render the same way (Qt's default on Linux).
    QQuickWindow::setGraphicsApi(QSGRendererInterface::OpenGL);
    // A widgets application: FileChooser's fallback dialog is a QFileDialog.
    QApplication app(argc, argv);
    setIdentity();
    QGuiApplication::setApplicationDisplayName(QStringLiteral("FlashVSR Studio"));
    QGuiApplication::setDesktopFileName(QStringLiteral("org.flashvsrstudio.FlashVSRStudio"));
    QGuiApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/flashvsr-studio.svg")));
    QQuickStyle::setStyle(QStringLiteral("Fusion"));

    // The engines' configuration is read here, once; preview and export share the engines (one
    // loaded model, one executor per device: the preview yields to a running export).
    auto engines = std::make_shared<fvs::app::Engines>(fvs::app::readEngineEnvironment());
    fvs::app::StudioServicesImpl services(engines, fvs::app::EngineRole::Preview);
    fvs::app::StudioServicesImpl exportServices(engines, fvs::app::EngineRole::Export);
    fvs::ui::AppSettings settings(&services);
    settings.applyLanguage();

    QStringList args = QGuiApplication::arguments();
    std::optional<fvs::app::GrabRequest> grab;
    if (auto error = takeGrab(args, grab))
        return usageError(*error);
    Options options;
    QCommandLineParser parser;
    describe(parser, options);
    parser.process(args);

    if (parser.isSet(options.grab))  // "--grab=5": the two-value form was not used
        return usageError(QStringLiteral("--grab takes two values: --grab FRAME OUT.png"));
    const QStringList files = parser.positionalArguments();
    QString engineOverride;
    if (parser.isSet(options.engine)) {
        engineOverride = parser.value(options.engine);
        if (!services.engines().contains(engineOverride))
            return usageError(
                QStringLiteral("unknown engine '%1' (this build has: %2)")
                    .arg(engineOverride, services.engines().join(QLatin1String(", "))));
    }
    QString modelsOverride;
    if (parser.isSet(options.models)) {
        modelsOverride = QFileInfo(parser.value(options.models)).absoluteFilePath();
        if (!QFileInfo(modelsOverride).isDir())
            return usageError(QStringLiteral("--models: no folder %1").arg(modelsOverride));
    }
    bool timeoutOk = false;
    const int timeoutSeconds = parser.value(options.timeout).toInt(&timeoutOk);
    if (!timeoutOk || timeoutSeconds <= 0)
        return usageError(QStringLiteral("--timeout needs a number of seconds > 0"));
    if (grab) {
        grab->timeoutSeconds = timeoutSeconds;
        if (files.isEmpty())
            return usageError(QStringLiteral("--grab needs a file to open"));
        grab->engine = engineOverride;
    }
    std::optional<fvs::app::ExportRequest> exportRequest;
    if (parser.isSet(options.exportTo)) {
        if (grab)
            return usageError(QStringLiteral("--grab and --export cannot be combined"));
        if (files.size() != 1)
            return usageError(QStringLiteral("--export needs exactly one file to export"));
        fvs::app::ExportRequest request;
        request.input = files.constFirst();
        request.outPath = parser.value(options.exportTo);
        request.engine = engineOverride.isEmpty() ? settings.preferredEngine() : engineOverride;
        request.modelsFolder = modelsOverride.isEmpty() ? settings.modelsFolder() : modelsOverride;
        bool ok = false;
        request.scale = parser.value(options.scale).toDouble(&ok);
        if (!ok || request.scale <= 0)
            return usageError(QStringLiteral("--scale needs a factor > 0"));
        request.timeoutSeconds = timeoutSeconds;
        exportRequest = request;
    }
    // The run's models folder: the status the panels show is the folder the engines use.
    if (!modelsOverride.isEmpty())
        settings.setModelsFolderOverride(modelsOverride);

    // An automated export runs on a queue file of its own, removed at exit: the user's queue
    // (and a `flashvsr queue run` on it) is never touched.
    QTemporaryDir exportQueueDir;
    if (exportRequest && !exportQueueDir.isValid())
        return usageError(QStringLiteral("cannot make a temporary folder for the export queue"));
    const auto queuePath =
        exportRequest ? std::filesystem::path(
                            exportQueueDir.filePath(QStringLiteral("queue.json")).toStdString())
                      : fvs::core::defaultQueuePath();
    auto queue = fvs::core::JobQueue::open(queuePath);
    if (!queue) {
        std::fprintf(stderr, "flashvsr-studio: cannot open the export queue %s: %s\n",
                     queuePath.string().c_str(), queue.error().message.c_str());
        return 1;
    }

    fvs::ui::SourceListModel sources;
    fvs::ui::PreviewController preview(&services);
    // Command-line overrides hold for this run only; the settings page keeps the saved values.
    preview.setPreferredEngine(engineOverride.isEmpty() ? settings.preferredEngine()
                                                        : engineOverride);
    // (settings.modelsFolder() is the --models folder until the user picks another.)
    preview.setModelsFolder(settings.modelsFolder());
    if (engineOverride.isEmpty())
        QObject::connect(&settings, &fvs::ui::AppSettings::preferredEngineChanged, &preview,
                         [&] { preview.setPreferredEngine(settings.preferredEngine()); });
    QObject::connect(&settings, &fvs::ui::AppSettings::modelsFolderChanged, &preview,
                     [&] { preview.setModelsFolder(settings.modelsFolder()); });
    // GPU frames only where they can be shown: interop compiled in and an OpenGL scene graph.
    preview.setDeviceFrames(fvs::ui::VideoTextureItem::interopCompiledIn() &&
                            QQuickWindow::graphicsApi() == QSGRendererInterface::OpenGL);
    fvs::ui::ExportQueueModel exportQueue(std::move(queue.value()));
    QObject::connect(&settings, &fvs::ui::AppSettings::languageChanged, &exportQueue,
                     &fvs::ui::ExportQueueModel::presetsChanged);
    // The export dialog refuses FlashVSR jobs whose models folder is not usable.
    exportQueue.setModelCheck([&services](const QString& folder) {
        const fvs::ui::ModelStatus status = services.checkModels(folder);
        if (status.usable)
            return QStringList();
        return status.problems.isEmpty() ? QStringList{QStringLiteral("no usable model files")}
                                         : status.problems;
    });
    // The preview upscales nothing while an export runs: they would share the device.
    preview.setExportRunning(exportQueue.exporting());
    QObject::connect(&exportQueue, &fvs::ui::ExportQueueModel::countChanged, &preview,
                     [&] { preview.setExportRunning(exportQueue.exporting()); });
    // A grab only looks: it does not start the export queue; an export starts its own runner.
    std::unique_ptr<fvs::ui::ExportRunner> runner;
    if (!grab && !exportRequest)
        runner = std::make_unique<fvs::ui::ExportRunner>(queuePath, &exportServices, &exportQueue);

    QQmlApplicationEngine engine;
    settings.setQmlEngine(&engine);
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.addImageProvider(QLatin1String(fvs::ui::ThumbnailProvider::kName),
                            new fvs::ui::ThumbnailProvider);
    engine.setInitialProperties(
        {{QStringLiteral("preview"), QVariant::fromValue(&preview)},
         {QStringLiteral("sources"), QVariant::fromValue(&sources)},
         {QStringLiteral("settings"), QVariant::fromValue(&settings)},
         {QStringLiteral("exportQueue"), QVariant::fromValue(&exportQueue)}});
    // Every QML module the window imports must load: a missing one is named with its package
    // instead of a window that fails (or crashes) later. The file dialogs' own modules are
    // optional: FileChooser falls back to the portal or Qt Widgets without them.
    if (const QStringList missing =
            fvs::ui::missingQmlModules(engine, fvs::ui::requiredQmlModules());
        !missing.isEmpty()) {
        std::fprintf(stderr, "flashvsr-studio: QML modules the window needs do not load:\n  %s\n",
                     missing.join(QLatin1String("\n  ")).toLocal8Bit().constData());
        return 1;
    }
    if (const QStringList missing = fvs::ui::FileChooser::missingQuickDialogModules(&engine);
        !missing.isEmpty())
        std::fprintf(stderr,
                     "flashvsr-studio: Qt Quick's file dialog is not usable, using the desktop's "
                     "or Qt Widgets' instead:\n  %s\n",
                     missing.join(QLatin1String("\n  ")).toLocal8Bit().constData());
    engine.load(QUrl(QStringLiteral("qrc:/FlashVsr/Ui/qml/Main.qml")));
    if (engine.rootObjects().isEmpty()) {
        std::fprintf(stderr, "flashvsr-studio: the user interface failed to load\n");
        return 1;
    }
    QObject* root = engine.rootObjects().constFirst();

    QList<QUrl> urls;
    for (const QString& a : files)
        urls << QUrl::fromLocalFile(QFileInfo(a).absoluteFilePath());

    if (grab || exportRequest) {
        const QVariantMap status = settings.modelStatus();
        std::printf("models: %s\n",
                    (status.value(QStringLiteral("usable")).toBool()
                         ? QStringLiteral("FlashVSR %1 weights in %2")
                               .arg(status.value(QStringLiteral("version")).toString(),
                                    status.value(QStringLiteral("folder")).toString())
                         : QStringLiteral("not usable: %1")
                               .arg(status.value(QStringLiteral("problems"))
                                        .toStringList()
                                        .join(QLatin1String("; "))))
                        .toLocal8Bit()
                        .constData());
        std::fflush(stdout);
    }

    // Automation opens the first file like a drop, minus the recent-files entry (an automated run
    // leaves the settings alone). Returns the opened path, or empty with `why` set.
    auto openFirst = [&](QString* why) {
        const QVariantMap added = sources.addUrls({urls.constFirst()});
        const QStringList paths = added.value(QStringLiteral("added")).toStringList();
        if (paths.isEmpty()) {
            *why = QStringLiteral("cannot open %1: %2")
                       .arg(files.constFirst(), added.value(QStringLiteral("message")).toString());
            return QString();
        }
        preview.open(QUrl::fromLocalFile(paths.constFirst()));
        return paths.constFirst();
    };

    if (exportRequest) {
        // The window shows the clip as an opened file does; the export itself needs no view.
        QString why;
        const QString opened = openFirst(&why);
        if (opened.isEmpty())
            return usageError(why);
        exportRequest->input = opened;
        fvs::app::StudioExport exporter(*exportRequest, &exportServices, queuePath, &exportQueue);
        QObject::connect(&exporter, &fvs::app::StudioExport::finished, &app,
                         [](int code) { QCoreApplication::exit(code); });
        // From the event loop: a job refused at once must still reach exit().
        QMetaObject::invokeMethod(
            &exporter, [&exporter] { exporter.start(); }, Qt::QueuedConnection);
        return QGuiApplication::exec();
    }

    if (grab) {
        auto* window = qobject_cast<QQuickWindow*>(root);
        if (!window)
            return usageError(QStringLiteral("the main window is not a Qt Quick window"));
        fvs::app::StudioGrab grabber(*grab, window, &preview);
        QObject::connect(&grabber, &fvs::app::StudioGrab::finished, &app,
                         [](int code) { QCoreApplication::exit(code); });
        grabber.start();
        QString why;
        if (openFirst(&why).isEmpty())
            return usageError(why);
        return QGuiApplication::exec();
    }

    // Files from the command line: opened like a drop, with the same explanations.
    if (!urls.isEmpty())
        QMetaObject::invokeMethod(root, "openUrls", Q_ARG(QVariant, QVariant::fromValue(urls)));
    return QGuiApplication::exec();
}
