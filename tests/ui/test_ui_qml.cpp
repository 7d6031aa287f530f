// Qt Quick Test for the QML: a simulated drop of file URLs, dragging the split slider, zoom,
// queue actions. The QML tests (tst_*.qml) get the real view-models through the TestEnv singleton.
#include <QDir>
#include <QDragEnterEvent>
#include <QMimeData>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QtQml/QQmlExtensionPlugin>
#include <QtQuickTest>
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

class TestEnv : public QObject {
    Q_OBJECT
    Q_PROPERTY(QObject* preview READ preview CONSTANT)
    Q_PROPERTY(QObject* sources READ sources CONSTANT)
    Q_PROPERTY(QObject* settings READ settings CONSTANT)
    Q_PROPERTY(QObject* exportQueue READ exportQueue CONSTANT)
    Q_PROPERTY(QString clipPath READ clipPath CONSTANT)
    Q_PROPERTY(QString tempPath READ tempPath CONSTANT)
    // The reduced FlashVSR test model (release file formats, tiny sizes) and whether this build
    // has the FlashVSR engine at all.
    Q_PROPERTY(QString testModelsPath READ testModelsPath CONSTANT)
    Q_PROPERTY(bool hasFlashVsr READ hasFlashVsr CONSTANT)

public:
    TestEnv() {
        qputenv("FLASHVSR_MODELS", m_dir.filePath(QStringLiteral("no-models")).toUtf8());
        m_clip = test::makeClip(QDir(m_dir.path()), QStringLiteral("clip.mp4"), 30, 96, 64);
        auto queue =
            fvs::core::JobQueue::open(m_dir.filePath(QStringLiteral("queue.json")).toStdString());
        m_queue = std::make_unique<ExportQueueModel>(std::move(queue.value()));
        m_settings = std::make_unique<AppSettings>(
            &m_services, std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("s.ini")),
                                                     QSettings::IniFormat));
        m_settings->setTheme(QStringLiteral("light"));
        m_preview = std::make_unique<PreviewController>(&m_services);
        m_preview->setPreferredEngine(QStringLiteral("lanczos"));
    }

    QObject* preview() const { return m_preview.get(); }
    QObject* sources() const { return const_cast<SourceListModel*>(&m_sources); }
    QObject* settings() const { return m_settings.get(); }
    QObject* exportQueue() const { return m_queue.get(); }
    QString clipPath() const { return m_clip; }
    QString tempPath() const { return m_dir.path(); }
    QString testModelsPath() const {
        return QStringLiteral(FVS_SOURCE_DIR "/tests/data/parity/e2e_v11");
    }
    bool hasFlashVsr() const { return m_services.engines().contains(QStringLiteral("flashvsr")); }

    // Delivers a platform-like drag enter/move/drop of `urls` (QMimeData) at `pos` of `item`'s
    // window.
    Q_INVOKABLE bool drop(QQuickItem* item, const QStringList& paths, QPointF pos) {
        if (!item || !item->window())
            return false;
        QList<QUrl> urls;
        for (const QString& p : paths)
            urls << QUrl::fromLocalFile(p);
        QQuickWindow* window = item->window();
        const QPointF at = item->mapToScene(pos);
        QMimeData mime;
        mime.setUrls(urls);
        QDragEnterEvent enter(at.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(window, &enter);
        QDragMoveEvent move(at.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(window, &move);
        QDropEvent dropEvent(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(window, &dropEvent);
        return dropEvent.isAccepted();
    }

    // Key events go to the item's own window (TestCase.keyClick targets the test's window).
    Q_INVOKABLE bool key(QQuickItem* item, int key, int modifiers) {
        if (!item || !item->window())
            return false;
        QQuickWindow* window = item->window();
        window->requestActivate();
        if (!QTest::qWaitForWindowActive(window))
            return false;
        item->forceActiveFocus();
        QTest::keyClick(window, Qt::Key(key), Qt::KeyboardModifiers(modifiers));
        return true;
    }

    Q_INVOKABLE QString makeTextFile(const QString& name) {
        QFile f(m_dir.filePath(name));
        if (!f.open(QIODevice::WriteOnly))
            return {};
        f.write("not a video");
        return f.fileName();
    }

private:
    QTemporaryDir m_dir;
    QString m_clip;
    fvs::app::StudioServicesImpl m_services;
    SourceListModel m_sources;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<PreviewController> m_preview;
    std::unique_ptr<ExportQueueModel> m_queue;
};

class Setup : public QObject {
    Q_OBJECT

public Q_SLOTS:
    void applicationAvailable() {
        QQuickWindow::setGraphicsApi(QSGRendererInterface::OpenGL);
        QQuickStyle::setStyle(QStringLiteral("Fusion"));
    }

    void qmlEngineAvailable(QQmlEngine* engine) {
        engine->addImportPath(QStringLiteral("qrc:/"));
        engine->addImageProvider(QLatin1String(ThumbnailProvider::kName), new ThumbnailProvider);
        // One environment for all test files (qmlEngineAvailable runs once per file).
        if (!m_env) {
            m_env = new TestEnv;  // lives until the process ends
            qmlRegisterSingletonInstance("FlashVsr.Test", 1, 0, "TestEnv", m_env);
        }
    }

    void cleanupTestCase() {}

private:
    TestEnv* m_env = nullptr;
};

QUICK_TEST_MAIN_WITH_SETUP(test_ui_qml, Setup)
#include "test_ui_qml.moc"
