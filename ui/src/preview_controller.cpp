#include "preview_controller.h"

#include <QFileInfo>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <array>
#include <cmath>

#include "studio_services.h"

namespace fvs::ui {
namespace {

constexpr std::array<double, 13> kZoomSteps{0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5,
                                            2.0,  3.0, 4.0,  5.0, 6.0,  8.0};

QImage toImage(const core::RgbaImage& image) {
    if (!image.valid())
        return {};
    // The QImage borrows the shared pixels; the cleanup drops our reference when Qt is done.
    auto* keep = new std::shared_ptr<const std::vector<uint8_t>>(image.pixels);
    return QImage(
        image.pixels->data(), image.width, image.height, image.width * 4, QImage::Format_RGBA8888,
        [](void* p) { delete static_cast<std::shared_ptr<const std::vector<uint8_t>>*>(p); }, keep);
}

QVariantMap describe(const core::StreamInfo& info) {
    QVariantMap map;
    map[QStringLiteral("container")] = QString::fromStdString(info.container);
    map[QStringLiteral("codec")] = QString::fromStdString(info.codec);
    map[QStringLiteral("width")] = info.width;
    map[QStringLiteral("height")] = info.height;
    map[QStringLiteral("sar")] = QStringLiteral("%1:%2").arg(info.sar.num).arg(info.sar.den);
    map[QStringLiteral("fps")] = info.fps();
    map[QStringLiteral("variableFrameRate")] = info.variableFrameRate;
    map[QStringLiteral("frameCount")] = static_cast<qint64>(info.frameCount);
    map[QStringLiteral("frameCountExact")] = info.frameCountExact;
    map[QStringLiteral("durationMs")] = static_cast<qint64>(info.durationUs / 1000);
    map[QStringLiteral("pixelFormat")] = QString::fromStdString(info.pixelFormatName);
    map[QStringLiteral("bitDepth")] = info.bitDepth;
    map[QStringLiteral("rotation")] = info.rotationDegrees;
    QStringList aux;
    for (const auto& s : info.auxStreams) {
        QString text =
            QString::fromStdString(s.kind) + QLatin1Char(' ') + QString::fromStdString(s.codec);
        if (!s.language.empty())
            text += QStringLiteral(" (%1)").arg(QString::fromStdString(s.language));
        if (s.channels > 0)
            text += QStringLiteral(" %1ch %2 Hz").arg(s.channels).arg(s.sampleRate);
        aux << text;
    }
    map[QStringLiteral("otherStreams")] = aux;
    map[QStringLiteral("chapters")] = info.chapterCount;
    return map;
}

struct OpenResult {
    std::shared_ptr<core::PreviewSession> session;
    QString error;
};

}  // namespace

PreviewController::PreviewController(StudioServices* services, QObject* parent)
    : QObject(parent), m_services(services) {
    m_playTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_playTimer, &QTimer::timeout, this, &PreviewController::onTick);
}

PreviewController::~PreviewController() {
    m_playTimer.stop();
    m_loadStop.request_stop();  // a model load under way ends soon, so the join below is short
    m_session.reset();          // joins the engine thread before our members go away
}

QString PreviewController::sourceName() const {
    return QFileInfo(m_sourcePath).fileName();
}

qint64 PreviewController::frameCount() const {
    return m_session ? static_cast<qint64>(m_session->info().frameCount) : 0;
}

double PreviewController::fps() const {
    return m_session ? m_session->info().fps() : 0.0;
}

QString PreviewController::timecode() const {
    const double rate = fps();
    if (rate <= 0)
        return QStringLiteral("00:00:00.000");
    const qint64 ms = static_cast<qint64>(std::llround(m_frameIndex * 1000.0 / rate));
    return QStringLiteral("%1:%2:%3.%4")
        .arg(ms / 3600000, 2, 10, QLatin1Char('0'))
        .arg(ms / 60000 % 60, 2, 10, QLatin1Char('0'))
        .arg(ms / 1000 % 60, 2, 10, QLatin1Char('0'))
        .arg(ms % 1000, 3, 10, QLatin1Char('0'));
}

int PreviewController::contentWidth() const {
    if (m_outputWidth > 0)
        return m_outputWidth;
    return m_session ? m_session->info().width : 0;
}

int PreviewController::contentHeight() const {
    if (m_outputHeight > 0)
        return m_outputHeight;
    return m_session ? m_session->info().height : 0;
}

core::EngineFactory PreviewController::makeEngineFactory() {
    core::EngineSettings settings;
    settings.engine = core::engineKindFromString(m_preferredEngine.toStdString())
                          .value_or(core::EngineKind::Lanczos);
    settings.modelsDir = m_modelsFolder.toStdString();
    StudioServices* services = m_services;
    QPointer<PreviewController> self(this);
    // A stop per session: cancelLoading() and close() end this session's model load only.
    m_loadStop = std::stop_source();
    const std::stop_token stop = m_loadStop.get_token();
    // Model-load news for this open only (a newer open() makes older posts void).
    const quint64 generation = m_openGeneration;
    auto post = [self, generation](auto fn) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, fn = std::move(fn)] {
                if (self && self->m_openGeneration == generation)
                    fn(self.data());
            },
            Qt::QueuedConnection);
    };
    // Runs on the engine thread: only the (thread-safe) services and queued posts are touched.
    return [services, settings, self, stop,
            post]() -> core::Result<std::unique_ptr<core::FrameProcessor>> {
        if (!services)
            return core::makeError(core::ErrorCode::Unsupported, "no engine available");
        const bool loadsModel = settings.engine == core::EngineKind::FlashVsr;
        core::EngineLoadObserver observer;
        observer.stop = stop;
        if (loadsModel) {
            post([](PreviewController* c) { c->setModelLoad(true, 0.0, {}, false); });
            // One post per file and whole percent, not one per block read.
            auto last = std::make_shared<std::pair<std::string, int>>(std::string(), -1);
            observer.progress = [post, last](const std::string& file, int64_t done, int64_t total) {
                const int percent =
                    total > 0 ? static_cast<int>(std::clamp<int64_t>(done * 100 / total, 0, 100))
                              : 0;
                if (file == last->first && percent == last->second)
                    return;
                *last = {file, percent};
                post([name = QString::fromStdString(file), percent](PreviewController* c) {
                    c->setModelLoad(true, percent / 100.0, name, false);
                });
            };
        }
        auto made = services->createEngine(settings, observer);
        const bool cancelled = !made && made.error().code == core::ErrorCode::Cancelled;
        if (loadsModel) {
            post([ok = static_cast<bool>(made), cancelled](PreviewController* c) {
                c->setModelLoad(false, ok ? 1.0 : c->m_loadProgress, {}, cancelled);
            });
        }
        // A cancelled load stays cancelled: the preview shows the originals, no Lanczos stand-in.
        if (made || cancelled || settings.engine == core::EngineKind::Lanczos)
            return made;
        const QString reason = QString::fromStdString(made.error().message);
        core::EngineSettings fallback = settings;
        // The stand-in: Real-ESRGAN (an AI model installed by the setup), else Lanczos.
        fallback.engine = core::EngineKind::Lanczos;
        if (settings.engine != core::EngineKind::RealEsrgan &&
            services->engines().contains(QStringLiteral("realesrgan"))) {
            core::EngineSettings realEsrgan = settings;
            realEsrgan.engine = core::EngineKind::RealEsrgan;
            realEsrgan.modelVersion.clear();  // FlashVSR's version is no Real-ESRGAN model
            if (auto alt = services->createEngine(realEsrgan, core::EngineLoadObserver{{}, stop})) {
                made = std::move(alt);
                fallback = realEsrgan;
            }
        }
        const bool realEsrgan = fallback.engine == core::EngineKind::RealEsrgan;
        QMetaObject::invokeMethod(
            self.data(),
            [self, reason, realEsrgan] {
                if (!self)
                    return;
                const QString preferred = self->m_preferredEngine == QLatin1String("flashvsr")
                                              ? QStringLiteral("FlashVSR")
                                              : self->m_preferredEngine;
                self->m_engineNote =
                    realEsrgan ? tr("%1 is not available, so the preview uses Real-ESRGAN: %2")
                                     .arg(preferred, reason)
                               : tr("%1 is not available, so the preview uses Lanczos: %2")
                                     .arg(preferred, reason);
                Q_EMIT self->engineChanged();
            },
            Qt::QueuedConnection);
        if (realEsrgan)
            return made;
        return services->createEngine(fallback, core::EngineLoadObserver{{}, stop});
    };
}

core::PreviewListener PreviewController::makeListener(std::shared_ptr<std::atomic<bool>> pending) {
    QPointer<PreviewController> self(this);
    auto post = [self](auto fn) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, fn = std::move(fn)] {
                if (self)
                    fn(self.data());
            },
            Qt::QueuedConnection);
    };
    core::PreviewListener listener;
    listener.onFrameReady = [post, pending] {
        // Coalesce: one queued delivery at a time; it takes whatever is newest.
        if (!pending->exchange(true))
            post([](PreviewController* c) { c->takeFrame(); });
    };
    listener.onEngineReady = [post](const core::ProcessorPlan& plan) {
        post([plan](PreviewController* c) {
            c->m_engineName = QString::fromStdString(plan.engineName);
            c->m_engineDescription = QString::fromStdString(plan.engineDescription);
            c->m_outputWidth = plan.output.width;
            c->m_outputHeight = plan.output.height;
            Q_EMIT c->engineChanged();
        });
    };
    listener.onEngineError = [post](const core::Error& error) {
        post([error, message = QString::fromStdString(error.message)](PreviewController* c) {
            c->m_engineName.clear();
            c->m_engineNote =
                error.code == core::ErrorCode::Cancelled
                    ? tr("Model loading cancelled; the source is shown without upscaling.")
                    : tr("No engine could be started, so only the source is shown: %1")
                          .arg(message);
            Q_EMIT c->engineChanged();
        });
    };
    listener.onUpscaled = [post](int64_t index) {
        post([index](PreviewController* c) {
            c->m_upscaled.insert(index);
            c->rebuildRanges();
        });
    };
    listener.onEvicted = [post](int64_t index) {
        post([index](PreviewController* c) {
            c->m_upscaled.remove(index);
            c->rebuildRanges();
        });
    };
    listener.onError = [post](const core::Error& error) {
        post([message = QString::fromStdString(error.message)](PreviewController* c) {
            c->setError(tr("Preview failed: %1").arg(message));
            c->setPlaying(false);
        });
    };
    return listener;
}

void PreviewController::open(const QUrl& url) {
    const QString path = url.isLocalFile() ? url.toLocalFile() : url.toString();
    if (path.isEmpty())
        return;
    close();
    setError({});
    m_resumeFrame = -1;
    const quint64 generation = ++m_openGeneration;
    m_loading = true;
    Q_EMIT loadingChanged();

    m_framePending = std::make_shared<std::atomic<bool>>(false);
    auto listener = makeListener(m_framePending);
    auto factory = makeEngineFactory();
    auto* watcher = new QFutureWatcher<OpenResult>(this);
    connect(
        watcher, &QFutureWatcher<OpenResult>::finished, this, [this, watcher, generation, path] {
            watcher->deleteLater();
            OpenResult result = watcher->result();
            if (generation != m_openGeneration)
                return;  // a newer open() superseded this one
            m_loading = false;
            Q_EMIT loadingChanged();
            if (!result.session) {
                setError(tr("Cannot open %1: %2").arg(QFileInfo(path).fileName(), result.error));
                Q_EMIT openFailed(path, result.error);
                return;
            }
            startSession(std::move(result.session), path);
        });
    core::PreviewOptions options;
    options.deviceFrames = m_deviceFrames;
    watcher->setFuture(QtConcurrent::run([path, factory, listener, options] {
        auto opened = core::PreviewSession::open(path.toStdString(), factory, listener, options);
        if (!opened)
            return OpenResult{nullptr, QString::fromStdString(opened.error().message)};
        return OpenResult{std::shared_ptr<core::PreviewSession>(std::move(opened.value())), {}};
    }));
}

void PreviewController::startSession(std::shared_ptr<core::PreviewSession> session,
                                     const QString& path) {
    m_session = std::move(session);
    m_sourcePath = path;
    m_sourceInfo = describe(m_session->info());
    m_frameIndex = std::clamp<qint64>(m_resumeFrame, 0, std::max<qint64>(0, frameCount() - 1));
    m_resumeFrame = -1;
    m_inFrame = -1;
    m_outFrame = -1;
    m_zoom = 0.0;
    m_panX = m_panY = 0.0;
    const double rate = fps();
    m_playTimer.setInterval(rate > 0 ? static_cast<int>(std::lround(1000.0 / rate)) : 40);
    Q_EMIT sourceChanged();
    Q_EMIT frameIndexChanged();
    Q_EMIT inOutChanged();
    Q_EMIT zoomChanged();
    Q_EMIT panChanged();
    Q_EMIT engineChanged();
    request(m_frameIndex);
    Q_EMIT opened(path);
}

void PreviewController::close() {
    ++m_openGeneration;
    setPlaying(false);
    m_loadStop.request_stop();  // the engine thread's model load ends soon: the join stays short
    setModelLoad(false, 0.0, {}, false);
    if (!m_session && !m_loading)
        return;
    m_session.reset();
    m_loading = false;
    m_sourcePath.clear();
    m_sourceInfo.clear();
    m_originalImage = {};
    m_upscaledImage = {};
    m_upscaledDevice.reset();
    m_engineDescription.clear();
    m_displayError.clear();
    m_shown = {};
    m_outputWidth = m_outputHeight = 0;
    m_engineName.clear();
    m_engineNote.clear();
    m_upscaled.clear();
    m_upscaledRanges.clear();
    Q_EMIT loadingChanged();
    Q_EMIT sourceChanged();
    Q_EMIT frameChanged();
    Q_EMIT engineChanged();
    Q_EMIT upscaledRangesChanged();
}

void PreviewController::seek(qint64 frame) {
    if (!m_session)
        return;
    const qint64 last = std::max<qint64>(0, frameCount() - 1);
    frame = std::clamp<qint64>(frame, 0, last);
    if (frame == m_frameIndex)
        return;
    m_frameIndex = frame;
    Q_EMIT frameIndexChanged();
    request(frame);  // cancels the work for the previous position
}

void PreviewController::request(qint64 frame) {
    if (!m_session)
        return;
    m_session->requestFrame(frame, m_exportRunning ? core::PreviewUpscale::None
                                   : m_playing     ? core::PreviewUpscale::Ahead
                                                   : core::PreviewUpscale::FrameOnly);
}

void PreviewController::setExportRunning(bool running) {
    if (running == m_exportRunning)
        return;
    m_exportRunning = running;
    Q_EMIT exportRunningChanged();
    request(m_frameIndex);  // stops the engine work now, or upscales the shown frame again
}

void PreviewController::step(int frames) {
    setPlaying(false);
    seek(m_frameIndex + frames);
}

void PreviewController::takeFrame() {
    if (!m_session)
        return;
    // The engine thread may publish again while we take; clearing the flag first keeps one post.
    if (m_framePending)
        m_framePending->store(false);
    auto pair = m_session->frames().take();
    if (!pair)
        return;
    m_shown.index = pair->index;
    m_originalImage = toImage(pair->original);
    m_upscaledImage = toImage(pair->upscaled);
    m_upscaledDevice = pair->upscaledDevice;
    Q_EMIT frameChanged();
}

void PreviewController::onTick() {
    if (!m_session)
        return;
    // Advance only once the current frame is fully on screen: playback runs at the engine's pace.
    const bool ready = m_shown.index == m_frameIndex &&
                       (upscaledReady() || m_engineName.isEmpty() || m_exportRunning);
    if (!ready)
        return;
    const qint64 end = m_outFrame >= 0 ? m_outFrame : frameCount() - 1;
    if (m_frameIndex >= end) {
        setPlaying(false);
        return;
    }
    seek(m_frameIndex + 1);
}

void PreviewController::setPlaying(bool playing) {
    if (playing && !m_session)
        playing = false;
    if (playing == m_playing)
        return;
    m_playing = playing;
    if (playing) {
        const qint64 end = m_outFrame >= 0 ? m_outFrame : frameCount() - 1;
        if (m_frameIndex >= end)
            seek(m_inFrame >= 0 ? m_inFrame : 0);
        m_playTimer.start();
    } else {
        m_playTimer.stop();
        request(m_frameIndex);  // the frames-ahead work of the playback stops at its next frame
    }
    Q_EMIT playingChanged();
}

void PreviewController::setCompareMode(CompareMode mode) {
    if (mode == m_compareMode)
        return;
    m_compareMode = mode;
    Q_EMIT compareModeChanged();
}

void PreviewController::setShowUpscaled(bool show) {
    if (show == m_showUpscaled)
        return;
    m_showUpscaled = show;
    Q_EMIT showUpscaledChanged();
}

void PreviewController::setSplitRatio(double ratio) {
    ratio = std::clamp(ratio, 0.0, 1.0);
    if (qFuzzyCompare(ratio + 1.0, m_splitRatio + 1.0))
        return;
    m_splitRatio = ratio;
    Q_EMIT splitRatioChanged();
}

void PreviewController::setZoom(double zoom) {
    zoom = zoom <= 0 ? 0.0 : std::clamp(zoom, kMinZoom, kMaxZoom);
    if (qFuzzyCompare(zoom + 1.0, m_zoom + 1.0))
        return;
    m_zoom = zoom;
    if (zoom == 0.0) {
        m_panX = m_panY = 0.0;
        Q_EMIT panChanged();
    }
    Q_EMIT zoomChanged();
}

void PreviewController::zoomIn(double fitZoom) {
    const double current = m_zoom > 0 ? m_zoom : fitZoom;
    for (double z : kZoomSteps)
        if (z > current * 1.001)
            return setZoom(z);
    setZoom(kMaxZoom);
}

void PreviewController::zoomOut(double fitZoom) {
    const double current = m_zoom > 0 ? m_zoom : fitZoom;
    for (auto it = kZoomSteps.rbegin(); it != kZoomSteps.rend(); ++it)
        if (*it < current * 0.999)
            return setZoom(*it);
    setZoom(kMinZoom);
}

void PreviewController::zoomToFit() {
    setZoom(0.0);
}

void PreviewController::setPanX(double x) {
    if (qFuzzyCompare(x + 1.0, m_panX + 1.0))
        return;
    m_panX = x;
    Q_EMIT panChanged();
}

void PreviewController::setPanY(double y) {
    if (qFuzzyCompare(y + 1.0, m_panY + 1.0))
        return;
    m_panY = y;
    Q_EMIT panChanged();
}

void PreviewController::setInFrame(qint64 frame) {
    if (frame >= 0 && m_outFrame >= 0 && frame > m_outFrame)
        m_outFrame = -1;
    if (frame == m_inFrame)
        return;
    m_inFrame = frame;
    Q_EMIT inOutChanged();
}

void PreviewController::setOutFrame(qint64 frame) {
    if (frame >= 0 && m_inFrame >= 0 && frame < m_inFrame)
        m_inFrame = -1;
    if (frame == m_outFrame)
        return;
    m_outFrame = frame;
    Q_EMIT inOutChanged();
}

void PreviewController::clearInOut() {
    if (m_inFrame < 0 && m_outFrame < 0)
        return;
    m_inFrame = m_outFrame = -1;
    Q_EMIT inOutChanged();
}

void PreviewController::setPreferredEngine(const QString& engine) {
    if (engine == m_preferredEngine)
        return;
    m_preferredEngine = engine;
    Q_EMIT preferredEngineChanged();
}

void PreviewController::setModelsFolder(const QString& folder) {
    if (folder == m_modelsFolder)
        return;
    m_modelsFolder = folder;
    Q_EMIT modelsFolderChanged();
}

void PreviewController::cancelLoading() {
    // Thread-safe on the engine side: the loader sees the stop at its next progress report.
    m_loadStop.request_stop();
}

void PreviewController::retryLoading() {
    if (m_sourcePath.isEmpty() || m_modelLoading)
        return;
    const qint64 frame = m_frameIndex;
    open(QUrl::fromLocalFile(m_sourcePath));
    m_resumeFrame = frame;  // after open(): it clears the resume frame of a plain open
}

void PreviewController::setModelLoad(bool loading, double progress, const QString& file,
                                     bool cancelled) {
    if (loading == m_modelLoading && qFuzzyCompare(progress + 1.0, m_loadProgress + 1.0) &&
        file == m_loadingFile && cancelled == m_loadCancelled)
        return;
    m_modelLoading = loading;
    m_loadCancelled = cancelled;
    m_loadProgress = progress;
    m_loadingFile = file;
    Q_EMIT modelLoadingChanged();
}

QVariant PreviewController::upscaledDeviceFrame() const {
    return m_upscaledDevice ? QVariant::fromValue(m_upscaledDevice) : QVariant();
}

void PreviewController::setDeviceFrames(bool on) {
    if (on == m_deviceFrames)
        return;
    m_deviceFrames = on;
    Q_EMIT deviceFramesChanged();
}

void PreviewController::reportDisplayError(const QString& message) {
    if (message == m_displayError)
        return;  // every view of the same frame reports the same failure
    m_displayError = message;
    setDeviceFrames(false);
    m_engineNote = m_engineNote.isEmpty() ? message : m_engineNote + QLatin1Char('\n') + message;
    Q_EMIT engineChanged();
    Q_EMIT displayFailed(message);
}

void PreviewController::setError(const QString& text) {
    if (text == m_errorText)
        return;
    m_errorText = text;
    Q_EMIT errorTextChanged();
}

void PreviewController::rebuildRanges() {
    QList<qint64> frames(m_upscaled.begin(), m_upscaled.end());
    std::sort(frames.begin(), frames.end());
    QVariantList ranges;
    for (qsizetype i = 0; i < frames.size();) {
        qsizetype j = i;
        while (j + 1 < frames.size() && frames[j + 1] == frames[j] + 1)
            ++j;
        ranges.append(
            QVariantMap{{QStringLiteral("from"), frames[i]}, {QStringLiteral("to"), frames[j]}});
        i = j + 1;
    }
    if (ranges == m_upscaledRanges)
        return;
    m_upscaledRanges = ranges;
    Q_EMIT upscaledRangesChanged();
}

}  // namespace fvs::ui
