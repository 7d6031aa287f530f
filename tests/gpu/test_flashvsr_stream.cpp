// FlashVsrStream / FlashVsrProcessor behaviour on the reduced e2e model folder (CPU, fp32):
// frame-exactness for any clip length, non-128 sizes, reset(), cancellation and bad inputs.

#include <QtTest>

#include <cstdlib>
#include <filesystem>
#include <stop_token>

#include "engine/chunk_schedule.h"
#include "engine/flashvsr_model.h"
#include "engine/flashvsr_stream.h"
#include "fvs/gpu/flashvsr_processor.h"
#include "stream_test_util.h"

using namespace fvs::gpu;

namespace {

using fvs::test::randomFrames;

std::filesystem::path modelFolder() {
    return fvs::test::reducedModelFolder();
}

}  // namespace

class TestFlashVsrStream : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void scheduleArithmetic();
    void everyInputFrameYieldsOneOutput_data();
    void everyInputFrameYieldsOneOutput();
    void nonAlignedSizeIsPaddedAndCroppedBack();
    void resetReproducesTheStream();
    void pagedKvPoolEqualsTheWindowMajorCache();
    void cancellationStopsBetweenChunks();
    void badInputsGiveClearErrors();

private:
    std::shared_ptr<FlashVsrModel> m_model;
    StreamOptions m_streamOptions;  // small budgets for the 64x128 test size
};

void TestFlashVsrStream::initTestCase() {
    // The reduced model is tiny: OpenMP fan-out only costs barrier waits on a busy 2-core CI box.
    torch::set_num_threads(1);
    m_streamOptions.sparseRatio = 0.03125;
    m_streamOptions.localRange = 3;
    auto model = FlashVsrModel::load(modelFolder(), ModelOptions{});
    QVERIFY2(model.ok(), model.ok() ? "" : model.error().message.c_str());
    m_model = *model;
}

void TestFlashVsrStream::scheduleArithmetic() {
    // GIVEN clip lengths around the chunk boundaries
    // THEN the chunk count covers every frame and N + 4 = 8n + 1 matches the official count
    QCOMPARE(chunkCountFor(1), int64_t{1});
    QCOMPARE(chunkCountFor(21), int64_t{1});
    QCOMPARE(chunkCountFor(22), int64_t{2});
    QCOMPARE(chunkCountFor(29), int64_t{2});
    QCOMPARE(chunkCountFor(37), int64_t{3});  // official: F = 41 → 3 chunks
    QCOMPARE(chunkCountFor(100), int64_t{11});
    QCOMPARE(paddedInputFrames(37), int64_t{41});
    QCOMPARE(latentFramesFor(37), int64_t{10});
    QCOMPARE(chunkPlan(2).condBegin, int64_t{29});
    QCOMPARE(chunkPlan(2).inputEnd, int64_t{41});
}

void TestFlashVsrStream::everyInputFrameYieldsOneOutput_data() {
    QTest::addColumn<int>("frames");
    for (int n : {1, 5, 20, 21, 22, 29, 37, 100}) {
        QTest::newRow(qPrintable(QString::number(n))) << n;
    }
}

void TestFlashVsrStream::everyInputFrameYieldsOneOutput() {
    QFETCH(int, frames);
    // GIVEN a stream at a small size and N frames whose brightness encodes their index
    FlashVsrStream stream(m_model, m_streamOptions);
    QVERIFY(stream.configure(64, 128).ok());
    auto input = randomFrames(frames, 64, 128, 7);
    // WHEN they are pushed one by one, outputs taken as they come, then finished
    int64_t out = 0;
    int64_t firstOutputAfter = -1;
    for (int i = 0; i < frames; ++i) {
        stream.push(input.slice(0, i, i + 1));
        auto got = stream.take();
        if (got.defined()) {
            if (firstOutputAfter < 0) {
                firstOutputAfter = i + 1;
            }
            QCOMPARE(got.size(1), int64_t{3});
            QCOMPARE(got.size(2), int64_t{64});
            QCOMPARE(got.size(3), int64_t{128});
            out += got.size(0);
        }
    }
    stream.finish();
    auto rest = stream.take();
    out += rest.defined() ? rest.size(0) : 0;
    // THEN exactly N outputs, no more, and the first ones needed the 25-frame look-ahead
    QCOMPARE(out, int64_t{frames});
    QCOMPARE(stream.framesEmitted(), int64_t{frames});
    QCOMPARE(stream.chunksRun(), chunkCountFor(frames));
    if (firstOutputAfter >= 0) {
        QCOMPARE(firstOutputAfter, int64_t{25});
    }
}

void TestFlashVsrStream::nonAlignedSizeIsPaddedAndCroppedBack() {
    // GIVEN an output size that is not a multiple of 128 (and smaller than one window)
    FlashVsrStream stream(m_model, m_streamOptions);
    QVERIFY(stream.configure(72, 100).ok());
    // WHEN 3 frames are upscaled
    stream.push(randomFrames(3, 72, 100, 3));
    stream.finish();
    auto out = stream.take();
    // THEN the outputs have the requested size (padded inside, cropped back, not centre-cropped)
    QVERIFY(out.sizes() == torch::IntArrayRef({3, 3, 72, 100}));
    QVERIFY(torch::isfinite(out).all().item<bool>());
    QVERIFY(out.abs().max().item<float>() <= 1.0f);  // colour fix clamps
}

void TestFlashVsrStream::resetReproducesTheStream() {
    // GIVEN a stream that already processed a different clip
    FlashVsrStream stream(m_model, m_streamOptions);
    QVERIFY(stream.configure(64, 128).ok());
    auto clip = randomFrames(30, 64, 128, 11);
    stream.push(randomFrames(26, 64, 128, 12));
    // WHEN it is reset and runs the clip, and a fresh stream runs the same clip
    stream.reset();
    stream.push(clip);
    stream.finish();
    auto a = stream.take();
    FlashVsrStream fresh(m_model, m_streamOptions);
    QVERIFY(fresh.configure(64, 128).ok());
    fresh.push(clip);
    fresh.finish();
    auto b = fresh.take();
    // THEN the outputs are identical (no state survives reset())
    QCOMPARE(a.size(0), int64_t{30});
    QVERIFY(torch::equal(a, b));
}

void TestFlashVsrStream::pagedKvPoolEqualsTheWindowMajorCache() {
    // GIVEN a clip of six chunks at a size with four windows per temporal group, run once with the
    // K/V in the stream's page pool (slots taken, recycled and reordered from chunk 2 on) and once
    // with the window-major cache (cat + slice), both with the fp32 reference attention
    auto clip = randomFrames(61, 256, 256, 21);
    auto run = [&](AttentionPath path) {
        StreamOptions options = m_streamOptions;
        options.attention = path;
        FlashVsrStream stream(m_model, options);
        if (!stream.configure(256, 256).ok()) {
            return std::pair{torch::Tensor{}, AttentionStats{}};
        }
        stream.push(clip);
        stream.finish();
        return std::pair{stream.take(), stream.attentionStats()};
    };
    auto [paged, pagedStats] = run(AttentionPath::Paged);
    auto [cached, cachedStats] = run(AttentionPath::Reference);
    // THEN every chunk selects the same key blocks and gives the same frames
    QCOMPARE(paged.size(0), int64_t{61});
    QCOMPARE(cached.size(0), int64_t{61});
    QCOMPARE(pagedStats.selectedBlocks, cachedStats.selectedBlocks);
    QCOMPARE(pagedStats.emptyQueryBlocks, cachedStats.emptyQueryBlocks);
    QCOMPARE(pagedStats.candidateBlocks, cachedStats.candidateBlocks);
    QVERIFY(pagedStats.selectedBlocks > 0);  // a real selection: some key blocks, not all
    QVERIFY(pagedStats.selectedBlocks < pagedStats.candidateBlocks);
    QVERIFY(torch::isfinite(paged).all().item<bool>());
    const float diff = (paged - cached).abs().max().item<float>();
    QVERIFY2(diff <= 1e-4f, qPrintable(QString("max |paged - cached| = %1").arg(diff)));
}

void TestFlashVsrStream::cancellationStopsBetweenChunks() {
    // GIVEN a stop request made before the first chunk can run
    FlashVsrStream stream(m_model, m_streamOptions);
    QVERIFY(stream.configure(64, 128).ok());
    std::stop_source stop;
    stream.push(randomFrames(24, 64, 128, 5), stop.get_token());
    stop.request_stop();
    // WHEN the frame completing chunk 0 arrives
    bool cancelled = false;
    try {
        stream.push(randomFrames(1, 64, 128, 6), stop.get_token());
    } catch (const StopRequested&) {
        cancelled = true;
    }
    // THEN the chunk is not run, and after reset() the stream works again
    QVERIFY(cancelled);
    QCOMPARE(stream.chunksRun(), int64_t{0});
    stream.reset();
    stream.push(randomFrames(2, 64, 128, 6));
    stream.finish();
    QCOMPARE(stream.take().size(0), int64_t{2});
}

void TestFlashVsrStream::badInputsGiveClearErrors() {
    // GIVEN a folder without weights
    const auto empty = std::filesystem::temp_directory_path() / "fvs_stream_no_weights";
    std::filesystem::create_directories(empty);
    ModelOptions options;
    options.version = "v1.1";
    auto missing = FlashVsrModel::load(empty, options);
    QVERIFY(!missing.ok());
    QVERIFY(missing.error().message.find(kDitFile) != std::string::npos);
    // AND a folder that does not exist
    auto none = FlashVsrModel::load(empty / "nope", options);
    QVERIFY(!none.ok());
    QCOMPARE(static_cast<int>(none.error().code), static_cast<int>(fvs::core::ErrorCode::NotFound));
    // AND the v1 code requested for v1.1 weights
    options.version = "v1";
    auto mixed = FlashVsrModel::load(modelFolder(), options);
    QVERIFY(!mixed.ok());
    QVERIFY(mixed.error().message.find("mixed") != std::string::npos);
    // AND the processor factory with a models folder lacking the weights
    fvs::core::EngineSettings settings;
    settings.modelsDir = empty.string();
    settings.device = "cpu";
    auto processor = createFlashVsrProcessor(settings);
    QVERIFY(!processor.ok());
    QCOMPARE(static_cast<int>(processor.error().code),
             static_cast<int>(fvs::core::ErrorCode::ModelError));
    // AND sizes outside the supported range, and frames of the wrong size
    FlashVsrStream stream(m_model, m_streamOptions);
    QVERIFY(!stream.configure(0, 128).ok());
    auto huge = stream.configure(20000, 20000);
    QVERIFY(!huge.ok());
    QVERIFY(huge.error().message.find("20000") != std::string::npos);
    QVERIFY(stream.configure(64, 128).ok());
    QVERIFY_THROWS_EXCEPTION(c10::Error, stream.push(randomFrames(1, 64, 64, 1)));
    std::filesystem::remove_all(empty);
}

QTEST_GUILESS_MAIN(TestFlashVsrStream)
#include "test_flashvsr_stream.moc"
