#pragma once
// StudioGrab: `flashvsr-studio --grab FRAME OUT.png FILE`: automation for tests and the GPU
// machine's interop proof. It waits (on signals, never a sleep) until frame FRAME's upscaled
// picture was uploaded to the comparison view (side by side), saves the window
// (QQuickWindow::grabWindow), prints the engine and the display counters, and finishes with 0; an
// open failure, a preview or display error, an engine other than the one asked for, or the timeout
// finish with 1.
//
// Thread contract: GUI thread only (it talks to PreviewController and the view items).

#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

class QQuickWindow;

namespace fvs::ui {
class PreviewController;
class VideoTextureItem;
}  // namespace fvs::ui

namespace fvs::app {

struct GrabRequest {
    qint64 frame = 0;
    QString outPath;
    QString engine;  // the engine that must run the preview (empty: whatever runs)
    int timeoutSeconds = 300;
};

class StudioGrab : public QObject {
    Q_OBJECT

public:
    StudioGrab(GrabRequest request, QQuickWindow* window, ui::PreviewController* preview,
               QObject* parent = nullptr);

    // Connects to the preview and arms the timeout; call before the file is opened.
    void start();

Q_SIGNALS:
    void finished(int exitCode);

private:
    void onSourceChanged();
    void onEngineChanged();
    void onFrameChanged();
    void onUploaded();
    void save();
    void fail(const QString& message);
    ui::VideoTextureItem* upscaledView() const;

    GrabRequest m_request;
    QQuickWindow* m_window;
    ui::PreviewController* m_preview;
    QPointer<ui::VideoTextureItem> m_view;
    int m_baseline = -1;  // the view's uploads when frame `frame` arrived upscaled
    bool m_done = false;
    QTimer m_timeout;
};

}  // namespace fvs::app
