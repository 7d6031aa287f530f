// Model loading in the preview: the real FlashVSR engine on the CPU over the reduced test model
// folder (tests/data/parity/e2e_v11, the release file formats at a tiny size). Progress reaches the
// GUI thread, and a cancel requested from inside the first progress report ends the load with
// ErrorCode::Cancelled; a retry then loads.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "preview_controller.h"
#include "studio_services_impl.h"
#include "ui_test_support.h"

using namespace fvs;
using namespace fvs::ui;

namespace {

// The app's real services, with a look at the observer the preview hands in: it counts the
// progress reports, calls a hook at the first one of each load, and keeps each load's outcome.
class ObservedServices final : public StudioServices {
public:
    ModelStatus checkModels(const QString& folder) const override {
        return m_real.checkModels(folder);
    }
    DeviceSummary device() const override { return m_real.device(); }
    QStringList engines() const override { return m_real.engines(); }

    core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(
        const core::EngineSettings& settings,
        const core::EngineLoadObserver& observer) const override {
        core::EngineLoadObserver wrapped = observer;
        auto first = std::make_shared<bool>(true);  // the callbacks run on this thread only
        wrapped.progress = [this, observer, first](const std::string& file, int64_t done,
                                                   int64_t total) {
            ++m_progressReports;
            if (*first) {
                *first = false;
                if (auto hook = firstProgressHook())
                    hook(observer.stop);
            }
            if (observer.progress)
                observer.progress(file, done, total);
        };
        auto made = m_real.createEngine(settings, wrapped);
        std::lock_guard lock(m_mutex);
        m_outcomes.push_back(made ? std::nullopt
                                  : std::optional<core::ErrorCode>(made.error().code));
        return made;
    }

    void setFirstProgressHook(std::function<void(const std::stop_token&)> hook) {
        std::lock_guard lock(m_mutex);
        m_hook = std::move(hook);
    }
    // One entry per createEngine call: nullopt = an engine was made, else the error code.
    std::vector<std::optional<core::ErrorCode>> outcomes() const {
        std::lock_guard lock(m_mutex);
        return m_outcomes;
    }
    int progressReports() const { return m_progressReports; }

private:
    std::function<void(const std::stop_token&)> firstProgressHook() const {
        std::lock_guard lock(m_mutex);
        return m_hook;
    }

    app::StudioServicesImpl m_real;
    mutable std::mutex m_mutex;
    std::function<void(const std::stop_token&)> m_hook;
    mutable std::vector<std::optional<core::ErrorCode>> m_outcomes;
    mutable std::atomic<int> m_progressReports{0};
};

struct LoadSample {
    bool loading;
    double progress;
    QString file;
};

}  // namespace

class TestUiModelLoading : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        qputenv("XDG_DATA_HOME", m_dir.filePath(QStringLiteral("xdg")).toUtf8());
        if (!app::StudioServicesImpl().engines().contains(QStringLiteral("flashvsr")))
            QSKIP("this build has no FlashVSR engine (built without LibTorch)");
        QVERIFY(QFileInfo::exists(m_models + QStringLiteral("/flashvsr_config.json")));
        m_clip = test::makeClip(QDir(m_dir.path()), QStringLiteral("clip.mp4"), 12);
        QVERIFY(!m_clip.isEmpty());
    }

    void loadReportsProgressUntilTheEngineIsReady() {
        // GIVEN a preview that prefers FlashVSR, pointed at the reduced model folder
        ObservedServices services;
        PreviewController preview(&services);
        preview.setPreferredEngine(QStringLiteral("flashvsr"));
        preview.setModelsFolder(m_models);
        QList<LoadSample> samples;
        connect(&preview, &PreviewController::modelLoadingChanged, this, [&] {
            samples.append({preview.modelLoading(), preview.loadProgress(), preview.loadingFile()});
        });

        // WHEN a clip opens
        preview.open(QUrl::fromLocalFile(m_clip));

        // THEN the model loads on the engine thread, reporting per-file progress to the GUI ...
        QTRY_COMPARE_WITH_TIMEOUT(preview.engineName(), QStringLiteral("flashvsr"), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(!preview.modelLoading(), 10000);
        QVERIFY2(preview.engineNote().isEmpty(), qPrintable(preview.engineNote()));
        QCOMPARE(preview.loadProgress(), 1.0);
        QCOMPARE(preview.loadCancelled(), false);
        QVERIFY(services.progressReports() > 0);
        QVERIFY(samples.size() >= 3);
        QVERIFY(samples.first().loading);
        QCOMPARE(samples.first().progress, 0.0);
        QSet<QString> files;
        QSet<QString> completed;  // files whose report reached 100 % while loading
        for (qsizetype i = 0; i + 1 < samples.size(); ++i) {
            QVERIFY(samples[i].loading);
            QVERIFY(samples[i].progress >= 0.0 && samples[i].progress <= 1.0);
            if (!samples[i].file.isEmpty())
                files.insert(samples[i].file);
            if (samples[i].progress == 1.0)
                completed.insert(samples[i].file);
            // Within one file the progress only grows.
            if (i > 0 && samples[i].file == samples[i - 1].file)
                QVERIFY(samples[i].progress >= samples[i - 1].progress);
        }
        // The DiT weights, the prompt, the LQ projector and the TC decoder are each read.
        QVERIFY2(
            files.contains(QStringLiteral("diffusion_pytorch_model_streaming_dmd.safetensors")),
            qPrintable(QStringList(files.values()).join(QLatin1Char(','))));
        QVERIFY(files.contains(QStringLiteral("TCDecoder.ckpt")));
        QCOMPARE(completed, files);  // each file's own reports reach 1
        QCOMPARE(samples.last().loading, false);
        QCOMPARE(samples.last().progress, 1.0);
        QCOMPARE(services.outcomes().size(), size_t{1});
        QVERIFY(!services.outcomes().front());

        // ... and the preview upscales with it (the output is 4x the 64x48 source).
        QCOMPARE(preview.contentWidth(), 256);
        QTRY_VERIFY_WITH_TIMEOUT(preview.upscaledReady(), 120000);
        QCOMPARE(preview.upscaledImage().width(), 256);
    }

    void cancelInTheFirstProgressReportThenRetryLoads() {
        // GIVEN a preview whose first progress report asks the GUI thread to cancel (and waits
        // until it has), so the cancel lands during the load without any timing luck
        ObservedServices services;
        PreviewController preview(&services);
        preview.setPreferredEngine(QStringLiteral("flashvsr"));
        preview.setModelsFolder(m_models);
        services.setFirstProgressHook([&preview](const std::stop_token&) {
            QMetaObject::invokeMethod(&preview, &PreviewController::cancelLoading,
                                      Qt::BlockingQueuedConnection);
        });

        // WHEN a clip opens
        preview.open(QUrl::fromLocalFile(m_clip));

        // THEN the load ends as Cancelled, without a Lanczos stand-in, and the originals show
        QTRY_VERIFY_WITH_TIMEOUT(preview.loadCancelled(), 120000);
        QCOMPARE(preview.modelLoading(), false);
        QTRY_VERIFY_WITH_TIMEOUT(preview.engineNote().contains(QStringLiteral("cancelled")), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!preview.originalImage().isNull(), 60000);
        QCOMPARE(preview.engineName(), QString());
        QCOMPARE(preview.upscaledReady(), false);
        QCOMPARE(services.outcomes().size(), size_t{1});
        QCOMPARE(services.outcomes().front(), std::optional(core::ErrorCode::Cancelled));

        // WHEN the user retries (no more cancelling) at frame 5
        services.setFirstProgressHook({});
        preview.seek(5);
        preview.retryLoading();

        // THEN the model loads and the preview comes back at the same frame, upscaled
        QTRY_COMPARE_WITH_TIMEOUT(preview.engineName(), QStringLiteral("flashvsr"), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(!preview.modelLoading(), 10000);
        QCOMPARE(preview.loadCancelled(), false);
        QCOMPARE(preview.loadProgress(), 1.0);
        QCOMPARE(preview.frameIndex(), qint64{5});
        QVERIFY(preview.engineNote().isEmpty());
        QCOMPARE(services.outcomes().size(), size_t{2});
        QVERIFY(!services.outcomes().back());
    }

    void closeDuringTheLoadStopsIt() {
        // GIVEN a load held inside its first progress report until its stop is requested
        ObservedServices services;
        auto preview = std::make_unique<PreviewController>(&services);
        preview->setPreferredEngine(QStringLiteral("flashvsr"));
        preview->setModelsFolder(m_models);
        std::mutex mutex;
        std::condition_variable_any wake;
        bool reached = false;
        services.setFirstProgressHook([&](const std::stop_token& stop) {
            std::unique_lock lock(mutex);
            reached = true;
            wake.notify_all();
            // Bounded, so a missing stop fails the test below instead of hanging it.
            wake.wait_for(lock, stop, std::chrono::seconds(60), [] { return false; });
        });
        preview->open(QUrl::fromLocalFile(m_clip));
        {
            std::unique_lock lock(mutex);
            QVERIFY(wake.wait_for(lock, std::chrono::seconds(120), [&] { return reached; }));
        }

        // WHEN the preview is closed
        preview->close();

        // THEN the load stops as Cancelled instead of finishing
        QTRY_COMPARE_WITH_TIMEOUT(services.outcomes().size(), size_t{1}, 30000);
        QCOMPARE(services.outcomes().front(), std::optional(core::ErrorCode::Cancelled));
        QCOMPARE(preview->modelLoading(), false);
    }

private:
    QTemporaryDir m_dir;
    QString m_clip;
    const QString m_models = QStringLiteral(FVS_SOURCE_DIR "/tests/data/parity/e2e_v11");
};

QTEST_MAIN(TestUiModelLoading)
#include "test_ui_model_loading.moc"
