// Screenshot test: the main window and the comparison view on a generated clip, rendered with
// fixed size, font, style and theme, compared with reference PNGs within a tolerance.
// FVS_UPDATE_REFERENCE=1 rewrites the references; FVS_SCREENSHOT_DIR=DIR also saves every screen
// (main, compare, export dialog, settings, queue) for docs/screenshots.
#include <QDir>
#include <QFont>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QtQml/QQmlExtensionPlugin>
#include <QtTest>

#include "app_settings.h"
#include "export_queue_model.h"
#include "fvs/core/job_queue.h"
#include "preview_controller.h"
#include "source_list_model.h"
#include "studio_services_impl.h"
#include "thumbnail_provider.h"
#include "ui_test_support.h"

Q_IMPORT_QML_PLUGIN(FlashVsr_UiPlugin)

using namespace fvs::ui;

namespace {

struct Diff {
    double meanAbs = 0;      // mean absolute difference per channel (0..255)
    double fractionOff = 0;  // pixels with any channel off by more than 32
};

Diff compareImages(const QImage& a, const QImage& b) {
    const QImage x = a.convertToFormat(QImage::Format_RGB32);
    const QImage y = b.convertToFormat(QImage::Format_RGB32);
    Diff d;
    if (x.size() != y.size())
        return {255, 1};
    double sum = 0;
    qint64 off = 0;
    for (int row = 0; row < x.height(); ++row) {
        const QRgb* p = reinterpret_cast<const QRgb*>(x.constScanLine(row));
        const QRgb* q = reinterpret_cast<const QRgb*>(y.constScanLine(row));
        for (int col = 0; col < x.width(); ++col) {
            const int dr = std::abs(qRed(p[col]) - qRed(q[col]));
            const int dg = std::abs(qGreen(p[col]) - qGreen(q[col]));
            const int db = std::abs(qBlue(p[col]) - qBlue(q[col]));
            sum += dr + dg + db;
            off += std::max({dr, dg, db}) > 32;
        }
    }
    const double pixels = double(x.width()) * x.height();
    d.meanAbs = sum / (pixels * 3);
    d.fractionOff = off / pixels;
    return d;
}

}  // namespace

class TestUiScreenshot : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        qputenv("FLASHVSR_MODELS", m_dir.filePath(QStringLiteral("no-models")).toUtf8());
        // A still test card (testsrc) so every frame index renders the same picture.
        m_clip = test::makeClip(QDir(m_dir.path()), QStringLiteral("card.mp4"), 50, 160, 90,
                                QStringLiteral("testsrc"));
        QVERIFY(!m_clip.isEmpty());
        auto queue =
            fvs::core::JobQueue::open(m_dir.filePath(QStringLiteral("queue.json")).toStdString());
        QVERIFY(queue);
        m_queue = std::make_unique<ExportQueueModel>(std::move(queue.value()));
        m_settings = std::make_unique<AppSettings>(
            &m_services, std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("s.ini")),
                                                     QSettings::IniFormat));
        m_settings->setTheme(QStringLiteral("dark"));
        m_preview = std::make_unique<PreviewController>(&m_services);
        m_preview->setPreferredEngine(QStringLiteral("lanczos"));

        m_settings->setQmlEngine(&m_engine);
        m_engine.addImportPath(QStringLiteral("qrc:/"));
        m_engine.addImageProvider(QLatin1String(ThumbnailProvider::kName), new ThumbnailProvider);
        m_engine.setInitialProperties(
            {{QStringLiteral("preview"), QVariant::fromValue(m_preview.get())},
             {QStringLiteral("sources"), QVariant::fromValue(&m_sources)},
             {QStringLiteral("settings"), QVariant::fromValue(m_settings.get())},
             {QStringLiteral("exportQueue"), QVariant::fromValue(m_queue.get())}});
        m_engine.load(QUrl(QStringLiteral("qrc:/FlashVsr/Ui/qml/Main.qml")));
        QVERIFY(!m_engine.rootObjects().isEmpty());
        m_window = qobject_cast<QQuickWindow*>(m_engine.rootObjects().first());
        QVERIFY(m_window);
        m_window->resize(1280, 800);
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
    }

    void emptyWindow() { screen(QStringLiteral("main-empty"), false); }

    void mainWindowWithClip() {
        QSignalSpy opened(m_preview.get(), &PreviewController::opened);
        QVariant ignored;
        QMetaObject::invokeMethod(
            m_window, "openUrls", Q_RETURN_ARG(QVariant, ignored),
            Q_ARG(QVariant, QVariant::fromValue(QList<QUrl>{QUrl::fromLocalFile(m_clip)})));
        QVERIFY(opened.wait(20000));
        // The green band over frames 24..32: a paused player upscales only the frame it shows,
        // so each is shown once, ending at 24.
        for (int frame = 32; frame >= 24; --frame) {
            m_preview->seek(frame);
            QTRY_VERIFY_WITH_TIMEOUT(m_preview->isUpscaled(frame), 20000);
        }
        QTRY_VERIFY_WITH_TIMEOUT(m_preview->shownIndex() == 24 && m_preview->upscaledReady(),
                                 20000);
        waitForThumbnails();
        m_preview->setCompareMode(PreviewController::CompareMode::Split);
        m_preview->setSplitRatio(0.5);
        screen(QStringLiteral("main-window"), true);
    }

    void compareZoomed() {
        m_preview->setCompareMode(PreviewController::CompareMode::SideBySide);
        m_preview->setZoom(4.0);  // 400 %: Lanczos pixels vs. the blocky original
        m_preview->setPanX(-200);
        m_preview->setPanY(-80);
        auto* view = m_window->findChild<QQuickItem*>(QStringLiteral("compareView"));
        QVERIFY(view);
        screen(QStringLiteral("compare-side-by-side-400"), true, view);
        m_preview->zoomToFit();
        m_preview->setCompareMode(PreviewController::CompareMode::Split);
    }

    void dialogsForDocs() {
        if (qEnvironmentVariableIsEmpty("FVS_SCREENSHOT_DIR"))
            QSKIP("docs screenshots only");
        // The queue with jobs in several states, then the export and settings dialogs.
        for (const char* preset : {"prores-hq", "h265-10bit", "h264-web"}) {
            QVERIFY(m_queue->enqueue({{QStringLiteral("input"), m_clip},
                                      {QStringLiteral("folder"), m_dir.path()},
                                      {QStringLiteral("preset"), QString::fromLatin1(preset)},
                                      {QStringLiteral("engine"), QStringLiteral("lanczos")}}) > 0);
        }
        m_queue->pause(1);
        m_queue->cancel(2);
        QTRY_VERIFY(m_window->findChild<QQuickItem*>(QStringLiteral("queuePanel"))->isVisible());
        screen(QStringLiteral("queue"), false);
        QMetaObject::invokeMethod(m_window, "showExport");
        QTest::qWait(400);  // the dialog's enter transition; docs only, not compared
        screen(QStringLiteral("export-dialog"), false);
        auto* exportDialog = m_window->findChild<QObject*>(QStringLiteral("exportDialog"));
        auto* settingsPage = m_window->findChild<QObject*>(QStringLiteral("settingsPage"));
        QVERIFY(exportDialog && settingsPage);
        QMetaObject::invokeMethod(exportDialog, "close");
        QMetaObject::invokeMethod(settingsPage, "open");
        QTest::qWait(400);
        screen(QStringLiteral("settings"), false);
        QMetaObject::invokeMethod(settingsPage, "close");
        QTest::qWait(400);
    }

    void chineseScreensForDocs() {
        if (qEnvironmentVariableIsEmpty("FVS_SCREENSHOT_DIR"))
            QSKIP("docs screenshots only");
        // The same screens in Simplified Chinese (needs a CJK font: fonts-wqy-microhei).
        m_settings->setLanguage(QStringLiteral("zh_CN"));
        auto* exportButton = m_window->findChild<QObject*>(QStringLiteral("exportButton"));
        QVERIFY(exportButton);
        const QString label = exportButton->property("text").toString();
        QVERIFY2(label.contains(QChar(0x5BFC)), qPrintable(label));  // 导出 (export)
        screen(QStringLiteral("main-window-zh_CN"), false);
        QMetaObject::invokeMethod(m_window, "showExport");
        QTest::qWait(400);
        screen(QStringLiteral("export-dialog-zh_CN"), false);
        auto* exportDialog = m_window->findChild<QObject*>(QStringLiteral("exportDialog"));
        auto* settingsPage = m_window->findChild<QObject*>(QStringLiteral("settingsPage"));
        QVERIFY(exportDialog && settingsPage);
        QMetaObject::invokeMethod(exportDialog, "close");
        QMetaObject::invokeMethod(settingsPage, "open");
        QTest::qWait(400);
        screen(QStringLiteral("settings-zh_CN"), false);
        QMetaObject::invokeMethod(settingsPage, "close");
        QTest::qWait(400);
        m_settings->setLanguage(QStringLiteral("en"));
    }

    void modelLoadCancelledForDocs() {
        if (qEnvironmentVariableIsEmpty("FVS_SCREENSHOT_DIR"))
            QSKIP("docs screenshots only");
        if (!m_services.engines().contains(QStringLiteral("flashvsr")))
            QSKIP("this build has no FlashVSR engine");
        // The model-loading panel after a cancel (requested in the same turn as the open, so the
        // load never gets past its first progress report): the originals and Retry.
        m_preview->setPreferredEngine(QStringLiteral("flashvsr"));
        m_preview->setModelsFolder(QStringLiteral(FVS_SOURCE_DIR "/tests/data/parity/e2e_v11"));
        m_preview->open(QUrl::fromLocalFile(m_clip));
        m_preview->cancelLoading();
        QTRY_VERIFY_WITH_TIMEOUT(m_preview->loadCancelled(), 60000);
        QTRY_VERIFY_WITH_TIMEOUT(!m_preview->originalImage().isNull(), 20000);
        auto* view = m_window->findChild<QQuickItem*>(QStringLiteral("compareView"));
        QVERIFY(view);
        screen(QStringLiteral("model-load-cancelled"), false, view);
        m_preview->close();
        m_preview->setPreferredEngine(QStringLiteral("lanczos"));
        m_preview->setModelsFolder({});
    }

private:
    // Every timeline thumbnail finished loading (visual children: Repeater items have no QObject
    // parent to find them by).
    static void collect(QQuickItem* item, QList<QQuickItem*>& out) {
        if (item->objectName() == QLatin1String("thumbnail"))
            out << item;
        for (QQuickItem* child : item->childItems())
            collect(child, out);
    }

    void waitForThumbnails() {
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                QList<QQuickItem*> thumbs;
                collect(m_window->contentItem(), thumbs);
                for (QQuickItem* t : thumbs) {
                    const int status = t->property("status").toInt();
                    if (status != 1 && status != 3)
                        return false;  // Image.Ready or Image.Error
                }
                return !thumbs.isEmpty();
            }(),
            20000);
    }

    // Grabs the window (or one item of it); saves for docs; compares with the reference.
    void screen(const QString& name, bool compareWithReference, QQuickItem* item = nullptr) {
        m_window->requestUpdate();
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        QImage shot = m_window->grabWindow();
        QVERIFY(!shot.isNull());
        if (item) {
            const QRectF r = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
            shot = shot.copy(r.toAlignedRect());
        }
        const QString docsDir = qEnvironmentVariable("FVS_SCREENSHOT_DIR");
        if (!docsDir.isEmpty())
            QVERIFY(shot.save(QDir(docsDir).filePath(name + QStringLiteral(".png"))));
        if (!compareWithReference)
            return;
        const QString reference =
            QStringLiteral(FVS_SOURCE_DIR "/tests/ui/reference/%1.png").arg(name);
        if (qEnvironmentVariableIntValue("FVS_UPDATE_REFERENCE") == 1) {
            QVERIFY(shot.save(reference));
            return;
        }
        const QImage expected(reference);
        QVERIFY2(!expected.isNull(), qPrintable(QStringLiteral("missing reference ") + reference));
        const Diff d = compareImages(shot, expected);
        const QString actual = QStringLiteral(FVS_BINARY_DIR "/%1.actual.png").arg(name);
        if (d.meanAbs > 3.0 || d.fractionOff > 0.01)
            shot.save(actual);
        QVERIFY2(d.meanAbs <= 3.0 && d.fractionOff <= 0.01,
                 qPrintable(QStringLiteral("%1 differs from its reference: mean %2, %3 % of pixels "
                                           "off (actual saved as %4)")
                                .arg(name)
                                .arg(d.meanAbs)
                                .arg(d.fractionOff * 100)
                                .arg(actual)));
    }

    QTemporaryDir m_dir;
    QString m_clip;
    fvs::app::StudioServicesImpl m_services;
    SourceListModel m_sources;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<PreviewController> m_preview;
    std::unique_ptr<ExportQueueModel> m_queue;
    QQmlApplicationEngine m_engine;
    QQuickWindow* m_window = nullptr;
};

int main(int argc, char** argv) {
    // Deterministic rendering: OpenGL scene graph, Fusion, one font, scale 1.
    qputenv("QT_SCALE_FACTOR", "1");
    qputenv("QT_ENABLE_HIGHDPI_SCALING", "0");
    QQuickWindow::setGraphicsApi(QSGRendererInterface::OpenGL);
    QGuiApplication app(argc, argv);
    QGuiApplication::setFont(QFont(QStringLiteral("DejaVu Sans"), 10));
    QQuickStyle::setStyle(QStringLiteral("Fusion"));
    TestUiScreenshot test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_ui_screenshot.moc"
