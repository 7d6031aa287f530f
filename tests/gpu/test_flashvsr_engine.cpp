// What the engine shares and what each session owns (issue 9 §1, §4), on the reduced e2e model
// (CPU, fp32): streams with their own options on one loaded model, each processor's metadata, the
// model cache across processors, and a preview and an export on one device at the same time.

#include <QtTest>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

extern "C" {
#include <libavutil/frame.h>
}

#include "engine/flashvsr_model.h"
#include "engine/flashvsr_stream.h"
#include "fvs/gpu/flashvsr_engine.h"
#include "stream_test_util.h"

using namespace fvs::gpu;
namespace core = fvs::core;

namespace {

using fvs::test::randomFrames;

std::filesystem::path modelFolder() {
    return fvs::test::reducedModelFolder();
}

torch::Tensor runStream(const std::shared_ptr<const FlashVsrModel>& model,
                        const StreamOptions& options, const torch::Tensor& clip) {
    FlashVsrStream stream(model, options);
    if (!stream.configure(clip.size(2), clip.size(3)).ok()) {
        return {};
    }
    for (int64_t t = 0; t < clip.size(0); t += 5) {  // uneven batches
        stream.push(clip.slice(0, t, std::min<int64_t>(t + 5, clip.size(0))));
    }
    stream.finish();
    return stream.take();
}

// An RGB24 picture w×h whose pattern depends on `index` and `seed`.
core::Frame rgbFrame(int w, int h, int64_t index, int seed) {
    return fvs::test::patternFrame(w, h, index, seed, index, index * 40000);
}

core::StreamInfo streamInfo(int w, int h) {
    core::StreamInfo info;
    info.width = w;
    info.height = h;
    info.timeBase = {1, 25};
    info.avgFrameRate = {25, 1};
    return info;
}

core::EngineSettings cpuSettings() {
    core::EngineSettings s;
    s.engine = core::EngineKind::FlashVsr;
    s.modelsDir = modelFolder().string();
    s.sparseRatio = 0.03125;  // the folder's run settings (flashvsr_config.json)
    s.localRange = 3;
    s.device = "cpu";
    s.dtype = core::ComputeDtype::Fp32;
    return s;
}

struct Run {
    std::vector<torch::Tensor> frames;  // the RGB24 codes of every output, in order
    std::vector<int64_t> indices;
    std::string description;
    std::chrono::steady_clock::time_point done;
    std::string error;
};

void take(core::FrameProcessor& p, Run& run) {
    while (auto f = p.pull()) {
        const AVFrame* av = f->av.get();
        auto codes = torch::from_blob(av->data[0], {av->height, av->linesize[0]}, torch::kUInt8)
                         .slice(1, 0, av->width * 3)
                         .clone();
        run.frames.push_back(codes);
        run.indices.push_back(f->index);
    }
}

// Drives `p` through a whole clip of `count` frames; `afterFirst` runs once the first is pushed.
Run drive(core::FrameProcessor& p, int w, int h, int count, int seed,
          const std::function<void()>& afterFirst = {}) {
    Run run;
    auto plan = p.configure(streamInfo(w, h));
    if (!plan) {
        run.error = plan.error().message;
        return run;
    }
    run.description = plan->engineDescription;
    for (int i = 0; i < count; ++i) {
        if (auto st = p.push(rgbFrame(w, h, i, seed)); !st) {
            run.error = st.error().message;
            return run;
        }
        take(p, run);
        if (i == 0 && afterFirst) {
            afterFirst();
        }
    }
    if (auto st = p.finish(); !st) {
        run.error = st.error().message;
        return run;
    }
    take(p, run);
    run.done = std::chrono::steady_clock::now();
    return run;
}

bool sameFrames(const Run& a, const Run& b) {
    if (a.frames.size() != b.frames.size()) {
        return false;
    }
    for (size_t i = 0; i < a.frames.size(); ++i) {
        if (!torch::equal(a.frames[i], b.frames[i])) {
            return false;
        }
    }
    return a.indices == b.indices;
}

}  // namespace

class TestFlashVsrEngine : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }
    void streamsWithTheirOwnOptionsShareOneModel();
    void eachOutputsMetadataStatesItsOwnOptions();
    void aLoadedModelIsReusedAndReleasedWhenIdle();
    void previewAndExportTogetherEqualTheirSoloRuns();
    void badStreamOverridesAreClearErrors();
};

void TestFlashVsrEngine::streamsWithTheirOwnOptionsShareOneModel() {
    // GIVEN one loaded model and two streams of different sizes and options on it
    auto shared = FlashVsrModel::load(modelFolder(), ModelOptions{});
    QVERIFY2(shared.ok(), shared.ok() ? "" : shared.error().message.c_str());
    StreamOptions a;
    a.sparseRatio = 0.03125;
    a.localRange = 3;
    a.seed = 1;
    StreamOptions b;
    b.sparseRatio = 0.0625;
    b.localRange = 5;
    b.kvRatio = 2.0;
    b.colorFix = ColorFixMethod::Wavelet;
    b.seed = 7;
    const auto clipA = randomFrames(26, 64, 128, 3);
    const auto clipB = randomFrames(26, 128, 128, 4);
    // WHEN both run at the same time on two threads
    torch::Tensor outA, outB;
    std::thread other([&] { outB = runStream(*shared, b, clipB); });
    outA = runStream(*shared, a, clipA);
    other.join();
    // AND each runs alone on its own freshly loaded model
    auto modelA = FlashVsrModel::load(modelFolder(), ModelOptions{});
    auto modelB = FlashVsrModel::load(modelFolder(), ModelOptions{});
    QVERIFY(modelA.ok() && modelB.ok());
    const auto soloA = runStream(*modelA, a, clipA);
    const auto soloB = runStream(*modelB, b, clipB);
    // THEN the outputs are exactly those of the separate models
    QVERIFY(outA.defined() && outB.defined());
    QCOMPARE(outA.size(0), int64_t{26});
    QCOMPARE(outB.size(0), int64_t{26});
    QVERIFY(torch::equal(outA, soloA));
    QVERIFY(torch::equal(outB, soloB));
    // AND the options took effect: B's clip with A's options comes out differently
    QVERIFY(!torch::equal(runStream(*shared, a, clipB), outB));
}

void TestFlashVsrEngine::eachOutputsMetadataStatesItsOwnOptions() {
    // GIVEN one engine and two processors with different stream settings
    FlashVsrEngine engine;
    auto folder = findModelFolder(modelFolder(), {});
    QVERIFY2(folder.ok(), folder.ok() ? "" : folder.error().message.c_str());
    auto first = cpuSettings();
    auto second = cpuSettings();
    second.sparseRatio = 0.0625;
    second.localRange = 5;
    second.colorFix = core::ColorFix::Wavelet;
    second.seed = 9;
    auto p1 = engine.createProcessor(first, *folder, ComputeRole::Export);
    auto p2 = engine.createProcessor(second, *folder, ComputeRole::Export);
    QVERIFY(p1.ok() && p2.ok());
    // WHEN both are configured
    auto plan1 = (*p1)->configure(streamInfo(16, 32));
    auto plan2 = (*p2)->configure(streamInfo(16, 32));
    QVERIFY(plan1.ok() && plan2.ok());
    // THEN one model served both, and each description states its own values
    QCOMPARE(engine.stats().modelLoads, int64_t{1});
    const auto& d1 = plan1->engineDescription;
    const auto& d2 = plan2->engineDescription;
    QVERIFY2(d1.find("sparse_ratio=0.03125 ") != std::string::npos, d1.c_str());
    QVERIFY2(d1.find("local_range=3 ") != std::string::npos, d1.c_str());
    QVERIFY2(d1.find("color_fix=adain seed=0 ") != std::string::npos, d1.c_str());
    QVERIFY2(d2.find("sparse_ratio=0.0625 ") != std::string::npos, d2.c_str());
    QVERIFY2(d2.find("local_range=5 ") != std::string::npos, d2.c_str());
    QVERIFY2(d2.find("color_fix=wavelet seed=9 ") != std::string::npos, d2.c_str());
    QVERIFY2(d1.find("FlashVSR v1.1 tiny") == 0, d1.c_str());
}

void TestFlashVsrEngine::aLoadedModelIsReusedAndReleasedWhenIdle() {
    // GIVEN an engine that releases unused models after 200 ms
    FlashVsrEngineConfig config;
    config.idleRelease = std::chrono::milliseconds(200);
    FlashVsrEngine engine(config);
    auto folder = findModelFolder(modelFolder(), {});
    QVERIFY(folder.ok());
    // WHEN three files of a batch are processed one after the other, a processor each
    for (int file = 0; file < 3; ++file) {
        auto p = engine.createProcessor(cpuSettings(), *folder, ComputeRole::Export);
        QVERIFY(p.ok());
        const Run run = drive(**p, 16, 32, 3, file);
        QVERIFY2(run.error.empty(), run.error.c_str());
        QCOMPARE(run.frames.size(), size_t(3));
    }
    // THEN the weights were loaded once
    QCOMPARE(engine.stats().modelLoads, int64_t{1});
    // AND other model options (another dtype) load another model; with nothing using the first,
    // it goes at once (memory pressure)
    auto bf16 = cpuSettings();
    bf16.dtype = core::ComputeDtype::Bf16;
    {
        auto p = engine.createProcessor(bf16, *folder, ComputeRole::Export);
        QVERIFY(p.ok());
        QCOMPARE(engine.stats().modelLoads, int64_t{2});
        QCOMPARE(engine.stats().modelsCached, int64_t{1});
    }
    // AND once idle it is released
    QTRY_COMPARE_WITH_TIMEOUT(engine.stats().modelsCached, int64_t{0}, 5000);
}

void TestFlashVsrEngine::previewAndExportTogetherEqualTheirSoloRuns() {
    // GIVEN one engine, an export clip and a preview clip of different sizes and settings
    FlashVsrEngine engine;
    auto folder = findModelFolder(modelFolder(), {});
    QVERIFY(folder.ok());
    auto previewSettings = cpuSettings();
    previewSettings.seed = 5;
    previewSettings.colorFix = core::ColorFix::Wavelet;
    auto solo = [&](const core::EngineSettings& s, ComputeRole role, int w, int h, int seed) {
        auto p = engine.createProcessor(s, *folder, role);
        return p ? drive(**p, w, h, 24, seed) : Run{{}, {}, {}, {}, p.error().message};
    };
    const Run soloExport = solo(cpuSettings(), ComputeRole::Export, 16, 32, 1);
    const Run soloPreview = solo(previewSettings, ComputeRole::Preview, 32, 32, 2);
    QVERIFY2(soloExport.error.empty(), soloExport.error.c_str());
    QVERIFY2(soloPreview.error.empty(), soloPreview.error.c_str());
    QCOMPARE(soloExport.frames.size(), size_t(24));
    QCOMPARE(engine.stats().previewWaits, int64_t{0});
    // WHEN the export runs and, once it has begun, the preview starts on another thread
    auto exporter = engine.createProcessor(cpuSettings(), *folder, ComputeRole::Export);
    auto previewer = engine.createProcessor(previewSettings, *folder, ComputeRole::Preview);
    QVERIFY(exporter.ok() && previewer.ok());
    Run together;
    std::thread previewThread;
    std::atomic<bool> previewStarted{false};
    const Run exported = drive(**exporter, 16, 32, 24, 1, [&] {
        previewThread = std::thread([&] {
            previewStarted = true;
            together = drive(**previewer, 32, 32, 24, 2);
        });
        // The export goes on once the preview is queued behind it (bounded: 10 s).
        for (int i = 0; i < 1000 && engine.stats().previewWaits == 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    previewThread.join();
    // THEN both equal their solo runs
    QVERIFY2(exported.error.empty(), exported.error.c_str());
    QVERIFY2(together.error.empty(), together.error.c_str());
    QVERIFY(previewStarted);
    QVERIFY(sameFrames(exported, soloExport));
    QVERIFY(sameFrames(together, soloPreview));
    // AND the preview yielded: it waited for the export and finished after it
    QVERIFY(engine.stats().previewWaits > 0);
    QVERIFY(together.done > exported.done);
    QCOMPARE(engine.stats().modelLoads, int64_t{1});  // one model for both
}

void TestFlashVsrEngine::badStreamOverridesAreClearErrors() {
    // GIVEN an engine configured with a bad attention path (as from FVS_ATTENTION=fast)
    FlashVsrEngineConfig config;
    config.streamOverrides = "attention=fast";
    FlashVsrEngine engine(config);
    auto folder = findModelFolder(modelFolder(), {});
    QVERIFY(folder.ok());
    // WHEN a processor is made THEN the error names the value and the choices
    auto p = engine.createProcessor(cpuSettings(), *folder, ComputeRole::Export);
    QVERIFY(!p.ok());
    QCOMPARE(p.error().code, core::ErrorCode::InvalidArgument);
    QVERIFY2(p.error().message.find("'fast'") != std::string::npos, p.error().message.c_str());
    QVERIFY(p.error().message.find("gather") != std::string::npos);
}

QTEST_GUILESS_MAIN(TestFlashVsrEngine)
#include "test_flashvsr_engine.moc"
