#include "studio_grab.h"

#include <QFileInfo>
#include <QImage>
#include <QQuickItem>
#include <QQuickWindow>
#include <QSGRendererInterface>
#include <cstdio>

#include "preview_controller.h"
#include "video_texture_item.h"

namespace fvs::app {
namespace {

void printLine(const QString& text) {
    std::printf("%s\n", text.toLocal8Bit().constData());
    std::fflush(stdout);
}

}  // namespace

StudioGrab::StudioGrab(GrabRequest request, QQuickWindow* window, ui::PreviewController* preview,
                       QObject* parent)
    : QObject(parent), m_request(std::move(request)), m_window(window), m_preview(preview) {
    m_timeout.setSingleShot(true);
}

void StudioGrab::start() {
    using ui::PreviewController;
    connect(m_preview, &PreviewController::openFailed, this,
            [this](const QString& path, const QString& message) {
                fail(QStringLiteral("cannot open %1: %2").arg(path, message));
            });
    connect(m_preview, &PreviewController::errorTextChanged, this, [this] {
        if (!m_preview->errorText().isEmpty())
            fail(m_preview->errorText());
    });
    connect(m_preview, &PreviewController::displayFailed, this,
            [this](const QString& message) { fail(message); });
    connect(m_preview, &PreviewController::sourceChanged, this, &StudioGrab::onSourceChanged);
    connect(m_preview, &PreviewController::engineChanged, this, &StudioGrab::onEngineChanged);
    connect(m_preview, &PreviewController::frameChanged, this, &StudioGrab::onFrameChanged);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        fail(QStringLiteral("no upscaled frame %1 on screen after %2 s")
                 .arg(m_request.frame)
                 .arg(m_request.timeoutSeconds));
    });
    m_timeout.start(m_request.timeoutSeconds * 1000);
}

ui::VideoTextureItem* StudioGrab::upscaledView() const {
    // Side by side: the right pane (CompareView.qml) shows the upscaled picture. The visual tree
    // is searched: QML items' QObject parents need not follow it.
    QList<QQuickItem*> todo{m_window->contentItem()};
    while (!todo.isEmpty()) {
        QQuickItem* item = todo.takeFirst();
        if (auto* view = qobject_cast<ui::VideoTextureItem*>(item);
            view && view->objectName() == QLatin1String("rightView"))
            return view;
        todo.append(item->childItems());
    }
    return nullptr;
}

void StudioGrab::onSourceChanged() {
    if (!m_preview->hasSource())
        return;
    if (m_request.frame >= m_preview->frameCount()) {
        fail(QStringLiteral("frame %1 is past the end (the clip has %2 frames)")
                 .arg(m_request.frame)
                 .arg(m_preview->frameCount()));
        return;
    }
    m_preview->setCompareMode(ui::PreviewController::CompareMode::SideBySide);
    // After the controller has finished starting the session (it asks for its first frame last).
    QMetaObject::invokeMethod(
        this, [this] { m_preview->seek(m_request.frame); }, Qt::QueuedConnection);
    m_view = upscaledView();
    if (!m_view) {
        fail(QStringLiteral("the window has no upscaled view"));
        return;
    }
    connect(m_view, &ui::VideoTextureItem::uploaded, this, &StudioGrab::onUploaded,
            Qt::UniqueConnection);
    onFrameChanged();  // frame 0 may already be the one asked for
}

void StudioGrab::onEngineChanged() {
    if (m_request.engine.isEmpty() || !m_preview->hasSource())
        return;
    // A note without the engine asked for means it fell back (or none started): the grab would
    // not show what was asked for.
    const QString engine = m_preview->engineName();
    if ((!engine.isEmpty() && engine != m_request.engine) ||
        (engine.isEmpty() && !m_preview->engineNote().isEmpty())) {
        fail(QStringLiteral("the preview does not run engine %1: %2")
                 .arg(m_request.engine,
                      m_preview->engineNote().isEmpty() ? engine : m_preview->engineNote()));
    }
}

void StudioGrab::onFrameChanged() {
    if (m_done || !m_view || m_baseline >= 0)
        return;
    if (m_preview->shownIndex() != m_request.frame || !m_preview->upscaledReady())
        return;
    // The view takes the new frame through its bindings now and uploads it at the next scene
    // graph sync, which comes later in the event loop: uploads past this count are this frame's.
    m_baseline = m_view->uploadCount();
}

void StudioGrab::onUploaded() {
    if (m_done || m_baseline < 0 || !m_view || m_view->uploadCount() <= m_baseline)
        return;
    save();
}

void StudioGrab::save() {
    m_done = true;
    m_timeout.stop();
    // grabWindow renders the current scene (with the uploaded texture) and reads it back.
    const QImage image = m_window->grabWindow();
    if (image.isNull() || !image.save(m_request.outPath, "PNG")) {
        m_done = false;
        fail(QStringLiteral("cannot write %1").arg(m_request.outPath));
        return;
    }
    QSGRendererInterface* renderer = m_window->rendererInterface();
    const bool openGl = renderer && renderer->graphicsApi() == QSGRendererInterface::OpenGL;
    printLine(QStringLiteral("grab: frame %1 -> %2 (%3x%4)")
                  .arg(m_request.frame)
                  .arg(QFileInfo(m_request.outPath).absoluteFilePath())
                  .arg(image.width())
                  .arg(image.height()));
    printLine(QStringLiteral("engine: %1 (%2)")
                  .arg(m_preview->engineName(), m_preview->engineDescription()));
    printLine(QStringLiteral("scene graph: %1").arg(openGl ? "OpenGL" : "not OpenGL"));
    printLine(QStringLiteral("upscaled frame %1 shown by: %2")
                  .arg(m_request.frame)
                  .arg(m_view->lastUploadFromDevice() ? "device frame (CUDA-OpenGL interop)"
                                                      : "host upload"));
    // Where the upscaled picture is in the saved image (tests and the proof crop it).
    const QRect shown = m_view->mapRectToScene(m_view->paintedRect())
                            .intersected(m_view->mapRectToScene(m_view->boundingRect()))
                            .toAlignedRect();
    printLine(QStringLiteral("upscaled view: %1 %2 %3 %4")
                  .arg(shown.x())
                  .arg(shown.y())
                  .arg(shown.width())
                  .arg(shown.height()));
    printLine(QStringLiteral("interop: %1").arg(m_view->interopSummary()));
    printLine(QStringLiteral("host uploads of upscaled frames: %1").arg(m_view->hostUploads()));
    Q_EMIT finished(0);
}

void StudioGrab::fail(const QString& message) {
    if (m_done)
        return;
    m_done = true;
    m_timeout.stop();
    std::fprintf(stderr, "flashvsr-studio: --grab failed: %s\n", message.toLocal8Bit().constData());
    Q_EMIT finished(1);
}

}  // namespace fvs::app
