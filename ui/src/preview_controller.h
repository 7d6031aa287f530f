#pragma once
// PreviewController: the thin view-model of the comparison player. It owns a core::PreviewSession
// (whose engine thread decodes and upscales around the playhead) and turns its news into
// properties.
//
// Thread contract: every property and invokable lives on the GUI thread. The session's callbacks
// run on the engine thread and only post queued invokeMethod calls guarded by QPointer; the GUI
// never waits on the engine (opening a file runs on a pool thread, frames arrive via a Mailbox).

#include <QtQml/qqmlregistration.h>
#include <QImage>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QUrl>
#include <QVariantList>
#include <QVariantMap>
#include <atomic>
#include <memory>
#include <stop_token>

#include "fvs/core/preview_session.h"

namespace fvs::ui {

class StudioServices;

class PreviewController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("created by the application")

    Q_PROPERTY(bool hasSource READ hasSource NOTIFY sourceChanged)
    Q_PROPERTY(bool loading READ loading NOTIFY loadingChanged)
    Q_PROPERTY(QString sourcePath READ sourcePath NOTIFY sourceChanged)
    Q_PROPERTY(QString sourceName READ sourceName NOTIFY sourceChanged)
    Q_PROPERTY(QVariantMap sourceInfo READ sourceInfo NOTIFY sourceChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
    Q_PROPERTY(qint64 frameCount READ frameCount NOTIFY sourceChanged)
    Q_PROPERTY(double fps READ fps NOTIFY sourceChanged)
    Q_PROPERTY(qint64 frameIndex READ frameIndex WRITE seek NOTIFY frameIndexChanged)
    Q_PROPERTY(qint64 shownIndex READ shownIndex NOTIFY frameChanged)
    Q_PROPERTY(QString timecode READ timecode NOTIFY frameIndexChanged)
    Q_PROPERTY(bool playing READ playing WRITE setPlaying NOTIFY playingChanged)
    Q_PROPERTY(
        CompareMode compareMode READ compareMode WRITE setCompareMode NOTIFY compareModeChanged)
    Q_PROPERTY(bool showUpscaled READ showUpscaled WRITE setShowUpscaled NOTIFY showUpscaledChanged)
    Q_PROPERTY(double splitRatio READ splitRatio WRITE setSplitRatio NOTIFY splitRatioChanged)
    Q_PROPERTY(double zoom READ zoom WRITE setZoom NOTIFY zoomChanged)
    Q_PROPERTY(double panX READ panX WRITE setPanX NOTIFY panChanged)
    Q_PROPERTY(double panY READ panY WRITE setPanY NOTIFY panChanged)
    Q_PROPERTY(qint64 inFrame READ inFrame WRITE setInFrame NOTIFY inOutChanged)
    Q_PROPERTY(qint64 outFrame READ outFrame WRITE setOutFrame NOTIFY inOutChanged)
    Q_PROPERTY(QImage originalImage READ originalImage NOTIFY frameChanged)
    Q_PROPERTY(QImage upscaledImage READ upscaledImage NOTIFY frameChanged)
    Q_PROPERTY(bool upscaledReady READ upscaledReady NOTIFY frameChanged)
    // The upscaled frame when it stays on the GPU (a DeviceImagePtr for VideoTextureItem's
    // deviceFrame; invalid for host frames, which come as upscaledImage).
    Q_PROPERTY(QVariant upscaledDeviceFrame READ upscaledDeviceFrame NOTIFY frameChanged)
    // Ask the engine for GPU frames (set by the app only where CUDA-OpenGL interop is compiled in
    // and the scene graph runs on OpenGL); applies to files opened afterwards.
    Q_PROPERTY(bool deviceFrames READ deviceFrames WRITE setDeviceFrames NOTIFY deviceFramesChanged)
    Q_PROPERTY(QString engineDescription READ engineDescription NOTIFY engineChanged)
    Q_PROPERTY(int contentWidth READ contentWidth NOTIFY engineChanged)
    Q_PROPERTY(int contentHeight READ contentHeight NOTIFY engineChanged)
    Q_PROPERTY(QString engineName READ engineName NOTIFY engineChanged)
    Q_PROPERTY(QString engineNote READ engineNote NOTIFY engineChanged)
    Q_PROPERTY(QString preferredEngine READ preferredEngine WRITE setPreferredEngine NOTIFY
                   preferredEngineChanged)
    Q_PROPERTY(
        QString modelsFolder READ modelsFolder WRITE setModelsFolder NOTIFY modelsFolderChanged)
    Q_PROPERTY(QVariantList upscaledRanges READ upscaledRanges NOTIFY upscaledRangesChanged)
    // Model loading (FlashVSR weights) on the engine thread: `loading` above is the file opening.
    Q_PROPERTY(bool modelLoading READ modelLoading NOTIFY modelLoadingChanged)
    Q_PROPERTY(double loadProgress READ loadProgress NOTIFY modelLoadingChanged)  // 0..1, per file
    Q_PROPERTY(QString loadingFile READ loadingFile NOTIFY modelLoadingChanged)
    Q_PROPERTY(bool loadCancelled READ loadCancelled NOTIFY modelLoadingChanged)
    // An export runs (set by the app from the queue): the preview then upscales nothing, so it
    // never competes with the export for the device; cached frames still show. While paused the
    // preview upscales the shown frame only; frames ahead are upscaled only during playback.
    Q_PROPERTY(
        bool exportRunning READ exportRunning WRITE setExportRunning NOTIFY exportRunningChanged)

public:
    enum class CompareMode { SideBySide, Split, Toggle };
    Q_ENUM(CompareMode)

    static constexpr double kMinZoom = 0.05;
    static constexpr double kMaxZoom = 8.0;  // 800 %

    explicit PreviewController(StudioServices* services, QObject* parent = nullptr);
    ~PreviewController() override;

    bool hasSource() const { return m_session != nullptr; }
    bool loading() const { return m_loading; }
    QString sourcePath() const { return m_sourcePath; }
    QString sourceName() const;
    QVariantMap sourceInfo() const { return m_sourceInfo; }
    QString errorText() const { return m_errorText; }
    qint64 frameCount() const;
    double fps() const;
    qint64 frameIndex() const { return m_frameIndex; }
    qint64 shownIndex() const { return m_shown.index; }
    QString timecode() const;
    bool playing() const { return m_playing; }
    CompareMode compareMode() const { return m_compareMode; }
    bool showUpscaled() const { return m_showUpscaled; }
    double splitRatio() const { return m_splitRatio; }
    double zoom() const { return m_zoom; }
    double panX() const { return m_panX; }
    double panY() const { return m_panY; }
    qint64 inFrame() const { return m_inFrame; }
    qint64 outFrame() const { return m_outFrame; }
    QImage originalImage() const { return m_originalImage; }
    QImage upscaledImage() const { return m_upscaledImage; }
    bool upscaledReady() const { return !m_upscaledImage.isNull() || m_upscaledDevice != nullptr; }
    QVariant upscaledDeviceFrame() const;
    bool deviceFrames() const { return m_deviceFrames; }
    void setDeviceFrames(bool on);
    QString engineDescription() const { return m_engineDescription; }
    int contentWidth() const;
    int contentHeight() const;
    QString engineName() const { return m_engineName; }
    QString engineNote() const { return m_engineNote; }
    QString preferredEngine() const { return m_preferredEngine; }
    QString modelsFolder() const { return m_modelsFolder; }
    QVariantList upscaledRanges() const { return m_upscaledRanges; }
    bool modelLoading() const { return m_modelLoading; }
    double loadProgress() const { return m_loadProgress; }
    QString loadingFile() const { return m_loadingFile; }
    bool loadCancelled() const { return m_loadCancelled; }
    bool exportRunning() const { return m_exportRunning; }
    void setExportRunning(bool running);

    void setPlaying(bool playing);
    void setCompareMode(CompareMode mode);
    void setShowUpscaled(bool show);
    void setSplitRatio(double ratio);
    void setZoom(double zoom);  // 0: fit to the view; otherwise 1.0 = one output pixel per pixel
    void setPanX(double x);
    void setPanY(double y);
    void setInFrame(qint64 frame);
    void setOutFrame(qint64 frame);
    void setPreferredEngine(const QString& engine);
    void setModelsFolder(const QString& folder);

    // Opens a file asynchronously; sourceChanged (or errorText) follows.
    Q_INVOKABLE void open(const QUrl& url);
    Q_INVOKABLE void close();
    Q_INVOKABLE void seek(qint64 frame);
    Q_INVOKABLE void step(int frames);
    Q_INVOKABLE void togglePlay() { setPlaying(!m_playing); }
    Q_INVOKABLE void markIn() { setInFrame(m_frameIndex); }
    Q_INVOKABLE void markOut() { setOutFrame(m_frameIndex); }
    Q_INVOKABLE void clearInOut();
    Q_INVOKABLE void zoomIn(double fitZoom);  // fitZoom: the zoom "fit" currently means
    Q_INVOKABLE void zoomOut(double fitZoom);
    Q_INVOKABLE void zoomToFit();
    Q_INVOKABLE void toggleAB() { setShowUpscaled(!m_showUpscaled); }
    Q_INVOKABLE bool isUpscaled(qint64 frame) const { return m_upscaled.contains(frame); }
    // A view could not show a GPU frame (VideoTextureItem::displayFailed): say so next to the
    // engine, stop asking for GPU frames for later files; the originals stay on screen.
    Q_INVOKABLE void reportDisplayError(const QString& message);
    // Stops the model loading under way: the preview shows the originals and says so.
    Q_INVOKABLE void cancelLoading();
    // Opens the current file again (at the current frame), so the engine is made anew.
    Q_INVOKABLE void retryLoading();

Q_SIGNALS:
    void sourceChanged();
    void loadingChanged();
    void errorTextChanged();
    void frameIndexChanged();
    void frameChanged();
    void playingChanged();
    void compareModeChanged();
    void showUpscaledChanged();
    void splitRatioChanged();
    void zoomChanged();
    void panChanged();
    void inOutChanged();
    void engineChanged();
    void preferredEngineChanged();
    void modelsFolderChanged();
    void upscaledRangesChanged();
    void modelLoadingChanged();
    void deviceFramesChanged();
    void exportRunningChanged();
    void displayFailed(const QString& message);
    void opened(const QString& path);
    void openFailed(const QString& path, const QString& message);

private:
    struct Shown {
        qint64 index = -1;
    };
    void startSession(std::shared_ptr<core::PreviewSession> session, const QString& path);
    void takeFrame();
    void request(qint64 frame);  // asks the session with the upscale mode the state allows
    void onTick();
    void setError(const QString& text);
    void rebuildRanges();
    core::PreviewListener makeListener(std::shared_ptr<std::atomic<bool>> pending);
    core::EngineFactory makeEngineFactory();
    void setModelLoad(bool loading, double progress, const QString& file, bool cancelled);

    StudioServices* m_services;
    std::shared_ptr<core::PreviewSession> m_session;
    quint64 m_openGeneration = 0;
    bool m_loading = false;
    QString m_sourcePath;
    QVariantMap m_sourceInfo;
    QString m_errorText;
    qint64 m_frameIndex = 0;
    Shown m_shown;
    bool m_playing = false;
    CompareMode m_compareMode = CompareMode::Split;
    bool m_showUpscaled = true;
    double m_splitRatio = 0.5;
    double m_zoom = 0.0;
    double m_panX = 0.0;
    double m_panY = 0.0;
    qint64 m_inFrame = -1;
    qint64 m_outFrame = -1;
    QImage m_originalImage;
    QImage m_upscaledImage;
    std::shared_ptr<const core::DeviceImage> m_upscaledDevice;
    bool m_deviceFrames = false;
    QString m_displayError;
    QString m_engineDescription;
    int m_outputWidth = 0;
    int m_outputHeight = 0;
    QString m_engineName;
    QString m_engineNote;
    QString m_preferredEngine = QStringLiteral("flashvsr");
    QString m_modelsFolder;
    QSet<qint64> m_upscaled;
    QVariantList m_upscaledRanges;
    bool m_rangesDirty = false;
    QTimer m_playTimer;
    std::shared_ptr<std::atomic<bool>> m_framePending;  // a delivery is queued
    std::stop_source m_loadStop;  // the current session's model loading; close() stops it
    bool m_modelLoading = false;
    double m_loadProgress = 0.0;
    QString m_loadingFile;
    bool m_loadCancelled = false;
    qint64 m_resumeFrame = -1;  // retryLoading(): the frame to show once reopened
    bool m_exportRunning = false;
};

}  // namespace fvs::ui
