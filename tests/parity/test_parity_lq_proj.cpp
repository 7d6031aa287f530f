// LQ projector v1 (Buffer_LQ4x_Proj) and v1.1 (Causal_LQ4x_Proj) against the official code's
// goldens (tests/data/parity/lq_proj, reduced widths 8/16, output 96), streaming call by call.
#include <QtTest>

#include "decoder_golden_util.h"
#include "model/lq_projector.h"

using namespace fvs::gpu;
using namespace fvs::gpu::testing;

namespace {

constexpr double kTolerance = 1e-5;  // README: rel ≤ 1e-5 per call

std::string callKey(int i) {
    return QString("output.call%1").arg(i, 2, 10, QChar('0')).toStdString();
}

}  // namespace

class TestParityLqProj : public QObject {
    Q_OBJECT

private:
    TensorMap m_weights;
    torch::Tensor m_video;  // (1, 3, 41, 32, 32)

    LqProjector make(LqProjectorVersion version) {
        auto projector = loadLqProjector(m_weights, version, "lq_proj/weights.safetensors");
        if (!projector)
            throw std::runtime_error(projector.error().message);
        return *projector;
    }

    // Runs the reference call schedule: [0:1] priming, then 10 clips of 4 frames.
    std::vector<torch::Tensor> runCalls(LqProjector& projector, LqProjectorState& state) {
        std::vector<torch::Tensor> outs;
        auto primed = projector->streamClip(m_video.slice(2, 0, 1), state);
        if (primed.has_value())
            throw std::runtime_error("priming call returned tokens");
        for (int i = 1; i <= 10; ++i) {
            const int64_t start = 1 + 4 * (i - 1);
            auto out = projector->streamClip(m_video.slice(2, start, start + 4), state);
            if (!out)
                throw std::runtime_error("streaming call returned nothing");
            outs.push_back(*out);
        }
        return outs;
    }

    void checkGolden(LqProjectorVersion version, const std::string& file) {
        // GIVEN the reduced projector with the golden weights and the golden LQ video
        auto projector = make(version);
        const auto golden = loadGolden(file);
        LqProjectorState state;
        // WHEN the chunk schedule's 11 stream_forward calls run
        const auto outs = runCalls(projector, state);
        // THEN every call's tokens and the final caches match the reference
        for (int i = 1; i <= 10; ++i) {
            const auto& expected = tensorOf(golden, callKey(i));
            const double rel = relError(outs[i - 1], expected);
            QVERIFY2(rel <= kTolerance,
                     qPrintable(QString("%1 call %2: rel %3, shape %4 vs %5")
                                    .arg(QString::fromStdString(file))
                                    .arg(i)
                                    .arg(rel)
                                    .arg(QString::fromStdString(shapeOf(outs[i - 1])))
                                    .arg(QString::fromStdString(shapeOf(expected)))));
        }
        QVERIFY(relError(state.cache1, tensorOf(golden, "tap.cache_conv1")) <= kTolerance);
        QVERIFY(relError(state.cache2, tensorOf(golden, "tap.cache_conv2")) <= kTolerance);
        QCOMPARE(state.clipIndex, int64_t{11});
    }

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(2);
        const auto golden = loadGolden("lq_proj/weights.safetensors");
        m_weights = weightsOf(golden);
        m_video = tensorOf(golden, "input.video");
        QCOMPARE(m_video.sizes(), (c10::IntArrayRef{1, 3, 41, 32, 32}));
    }

    void configFromWeights() {
        // GIVEN the reduced weights WHEN the config is read from their shapes
        auto config = LqProjectorConfig::fromWeights(m_weights, LqProjectorVersion::V1);
        QVERIFY(config.ok());
        // THEN the widths are the reduced ones
        QCOMPARE(config->inChannels, int64_t{3});
        QCOMPARE(config->hidden1, int64_t{8});
        QCOMPARE(config->hidden2, int64_t{16});
        QCOMPARE(config->outDim, int64_t{96});
        QVERIFY(config->version == LqProjectorVersion::V1);
    }

    void v11MatchesReference() { checkGolden(LqProjectorVersion::V1_1, "lq_proj/v11.safetensors"); }
    void v1MatchesReference() { checkGolden(LqProjectorVersion::V1, "lq_proj/v1.safetensors"); }

    void versionsDiffer() {
        // GIVEN the same weights in both versions
        auto v1 = make(LqProjectorVersion::V1);
        auto v11 = make(LqProjectorVersion::V1_1);
        LqProjectorState s1, s11;
        // WHEN both stream the same clips
        const auto a = runCalls(v1, s1);
        const auto b = runCalls(v11, s11);
        // THEN the cache semantics make every call differ (v1 projects each clip on its own)
        for (size_t i = 0; i < a.size(); ++i)
            QVERIFY2(relError(a[i], b[i]) > 1e-3, qPrintable(QString("call %1 equal").arg(i + 1)));
    }

    void projectFramesEqualsCalls() {
        // GIVEN a v1.1 projector
        auto projector = make(LqProjectorVersion::V1_1);
        LqProjectorState callState, chunkState;
        const auto calls = runCalls(projector, callState);
        // WHEN chunks 0, 1, 2 are projected with projectFrames ([0:25], [25:33], [33:41])
        const auto chunk0 = projector->projectFrames(m_video.slice(2, 0, 25), chunkState);
        const auto chunk1 = projector->projectFrames(m_video.slice(2, 25, 33), chunkState);
        const auto chunk2 = projector->projectFrames(m_video.slice(2, 33, 41), chunkState);
        // THEN they are the per-call tokens concatenated in time order, bit for bit
        QCOMPARE(chunk0.sizes(), (c10::IntArrayRef{1, 6 * 4, 96}));
        QVERIFY(torch::equal(
            chunk0, torch::cat({calls[0], calls[1], calls[2], calls[3], calls[4], calls[5]}, 1)));
        QVERIFY(torch::equal(chunk1, torch::cat({calls[6], calls[7]}, 1)));
        QVERIFY(torch::equal(chunk2, torch::cat({calls[8], calls[9]}, 1)));
    }

    void resetRestartsTheStream() {
        // GIVEN a projector that has streamed a whole clip
        auto projector = make(LqProjectorVersion::V1_1);
        LqProjectorState state;
        const auto first = runCalls(projector, state);
        // WHEN the state is reset and the clip is streamed again
        state.reset();
        const auto second = runCalls(projector, state);
        // THEN the output repeats exactly
        for (size_t i = 0; i < first.size(); ++i)
            QVERIFY(torch::equal(first[i], second[i]));
    }

    void badInputIsAClearError() {
        auto projector = make(LqProjectorVersion::V1_1);
        LqProjectorState state;
        auto messageOf = [&](const torch::Tensor& clip) -> std::string {
            try {
                projector->streamClip(clip, state);
            } catch (const c10::Error& e) {
                return e.what_without_backtrace();
            }
            return {};
        };
        // wrong channel count
        QVERIFY(
            messageOf(torch::zeros({1, 4, 1, 32, 32})).find("expected a clip (1, 3, T, H, W)") !=
            std::string::npos);
        // size not a multiple of 16
        QVERIFY(messageOf(torch::zeros({1, 3, 1, 30, 32})).find("multiples of 16") !=
                std::string::npos);
        // priming with 4 frames
        QVERIFY(messageOf(torch::zeros({1, 3, 4, 32, 32})).find("priming call takes 1 frame") !=
                std::string::npos);
        QCOMPARE(state.clipIndex, int64_t{0});
        // projectFrames with a count that is not 1 + 4m
        QVERIFY_THROWS_EXCEPTION(c10::Error,
                                 projector->projectFrames(m_video.slice(2, 0, 24), state));
    }

    void badWeightsAreAClearError() {
        // GIVEN weights with a key missing, and weights with a wrongly shaped gamma
        auto missing = m_weights;
        missing.erase("conv2.weight");
        auto wrongShape = m_weights;
        wrongShape["norm1.gamma"] = torch::ones({7, 1, 1, 1});
        // WHEN they are loaded THEN each is a ModelError naming the file and the key
        auto a = loadLqProjector(missing, LqProjectorVersion::V1_1, "LQ_proj_in.ckpt");
        QVERIFY(!a.ok());
        QCOMPARE(a.error().code, fvs::core::ErrorCode::ModelError);
        QVERIFY(a.error().message.find("LQ_proj_in.ckpt") != std::string::npos);
        QVERIFY(a.error().message.find("conv2.weight") != std::string::npos);
        auto b = loadLqProjector(wrongShape, LqProjectorVersion::V1_1, "LQ_proj_in.ckpt");
        QVERIFY(!b.ok());
        QVERIFY(b.error().message.find("norm1.gamma") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestParityLqProj)
#include "test_parity_lq_proj.moc"
