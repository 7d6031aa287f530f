// flashvsr-studio [FILES...]: the desktop application. Composition root: builds the services,
// view-models and queue runner, then loads FlashVsr.Ui's Main.qml from the module's qrc path
// (Qt 6.4 has no loadFromModule).

#include <QCommandLineParser>
#include <QFileInfo>
#include <QGuiApplication>
#include <QIcon>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QUrl>
#include <QtQml/QQmlExtensionPlugin>
#include <cstdio>

#include "app_settings.h"
#include "export_queue_model.h"
#include "export_runner.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/xdg_paths.h"
#include "preview_controller.h"
#include "source_list_model.h"
#include "studio_services_impl.h"
#include "thumbnail_provider.h"

Q_IMPORT_QML_PLUGIN(FlashVsr_UiPlugin)

int main(int argc, char** argv) {
    // The scene graph on OpenGL: CUDA-GL interop (CUDA builds) needs GL textures.
    QQuickWindow::setGraphicsApi(QSGRendererInterface::OpenGL);
    QGuiApplication app(argc, argv);
    QGuiApplication::setOrganizationName(QStringLiteral("flashvsr-studio"));
    QGuiApplication::setApplicationName(QStringLiteral("flashvsr-studio"));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("FlashVSR Studio"));
    QGuiApplication::setApplicationVersion(QStringLiteral(FVS_VERSION));
    QGuiApplication::setDesktopFileName(QStringLiteral("flashvsr-studio"));
    QGuiApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/flashvsr-studio.svg")));
    QQuickStyle::setStyle(QStringLiteral("Fusion"));

    fvs::app::StudioServicesImpl services;
    fvs::ui::AppSettings settings(&services);
    settings.applyLanguage();  // before the parser, so --help is translated too

    QCommandLineParser parser;
    parser.setApplicationDescription(QGuiApplication::translate(
        "main", "Upscale videos with FlashVSR: compare before and after, queue exports."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("files"),
                                 QGuiApplication::translate("main", "Videos or folders to open."),
                                 QStringLiteral("[FILES...]"));
    parser.process(app);

    const auto queuePath = fvs::core::defaultQueuePath();
    auto queue = fvs::core::JobQueue::open(queuePath);
    if (!queue) {
        std::fprintf(stderr, "flashvsr-studio: cannot open the export queue %s: %s\n",
                     queuePath.string().c_str(), queue.error().message.c_str());
        return 1;
    }

    fvs::ui::SourceListModel sources;
    fvs::ui::PreviewController preview(&services);
    preview.setPreferredEngine(settings.preferredEngine());
    preview.setModelsFolder(settings.modelsFolder());
    QObject::connect(&settings, &fvs::ui::AppSettings::preferredEngineChanged, &preview,
                     [&] { preview.setPreferredEngine(settings.preferredEngine()); });
    QObject::connect(&settings, &fvs::ui::AppSettings::modelsFolderChanged, &preview,
                     [&] { preview.setModelsFolder(settings.modelsFolder()); });
    fvs::ui::ExportQueueModel exportQueue(std::move(queue.value()));
    QObject::connect(&settings, &fvs::ui::AppSettings::languageChanged, &exportQueue,
                     &fvs::ui::ExportQueueModel::presetsChanged);
    fvs::ui::ExportRunner runner(queuePath, &services, &exportQueue);

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
    engine.load(QUrl(QStringLiteral("qrc:/FlashVsr/Ui/qml/Main.qml")));
    if (engine.rootObjects().isEmpty()) {
        std::fprintf(stderr, "flashvsr-studio: the user interface failed to load\n");
        return 1;
    }

    // Files from the command line: opened like a drop, with the same explanations.
    const QStringList args = parser.positionalArguments();
    if (!args.isEmpty()) {
        QList<QUrl> urls;
        for (const QString& a : args)
            urls << QUrl::fromLocalFile(QFileInfo(a).absoluteFilePath());
        QObject* root = engine.rootObjects().constFirst();
        QMetaObject::invokeMethod(root, "openUrls", Q_ARG(QVariant, QVariant::fromValue(urls)));
    }
    return QGuiApplication::exec();
}
