// TC decoder against the official code's goldens (tests/data/parity/tc_decoder, widths
// [16,16,8,8]): three chunks decoded with the state carried, the MemBlock memories, and streamed ==
// whole clip.
#include <QtTest>

#include "decoder_golden_util.h"
#include "model/tc_decoder.h"

using namespace fvs::gpu;
using namespace fvs::gpu::testing;

namespace {

constexpr double kTolerance = 1e-5;  // README: rel ≤ 1e-5 per chunk (frames and taps)
constexpr int kMemBlockLayers[9] = {5, 6, 7, 11, 12, 13, 17, 18, 19};

}  // namespace

class TestParityTcDecoder : public QObject {
    Q_OBJECT

private:
    TensorMap m_weights;
    std::vector<TensorMap> m_chunks;

    TcDecoder make() {
        return loadOrThrow(loadTcDecoder, m_weights, "tc_decoder/weights.safetensors");
    }

private Q_SLOTS:
    void initTestCase() {
        auto goldens = loadDecoderGoldens("tc_decoder");
        m_weights = std::move(goldens.weights);
        m_chunks = std::move(goldens.chunks);
    }

    void configFromWeights() {
        auto config = TcDecoderConfig::fromWeights(m_weights);
        QVERIFY(config.ok());
        QCOMPARE(config->widths, (std::array<int64_t, 4>{16, 16, 8, 8}));
        QCOMPARE(config->latentChannels, int64_t{16});
        QCOMPARE(config->timeStrides, (std::array<int64_t, 3>{1, 2, 2}));
    }

    void chunksMatchReference() {
        // GIVEN the reduced decoder and a fresh session
        auto decoder = make();
        TcDecoderState state;
        for (int k = 0; k < 3; ++k) {
            const auto& g = m_chunks[k];
            // WHEN chunk k is decoded with the state of the previous chunks
            const auto frames = decoder->decodeChunk(tensorOf(g, "input.latents"),
                                                     tensorOf(g, "input.cond"), state);
            // THEN the frames (21, then 8) and all 9 MemBlock memories match the reference
            const auto& expected = tensorOf(g, "output.frames");
            const double rel = relError(frames, expected);
            QVERIFY2(rel <= kTolerance, chunkMismatch(k, rel, frames, expected).c_str());
            for (int slot = 0; slot < 9; ++slot) {
                const auto& mem = tensorOf(g, "tap.mem." + std::to_string(kMemBlockLayers[slot]));
                const double memRel = relError(state.memory[slot], mem);
                QVERIFY2(memRel <= kTolerance,
                         qPrintable(QString("chunk %1 memory of layer %2: rel %3")
                                        .arg(k)
                                        .arg(kMemBlockLayers[slot])
                                        .arg(memRel)));
            }
        }
    }

    void streamedEqualsWholeClip() {
        // GIVEN the 10 latents and 37 cond frames of the three chunks
        std::vector<torch::Tensor> latents, cond;
        for (const auto& g : m_chunks) {
            latents.push_back(tensorOf(g, "input.latents"));
            cond.push_back(tensorOf(g, "input.cond"));
        }
        auto decoder = make();
        // WHEN the clip is decoded chunk by chunk and, in a second session, at once
        TcDecoderState streamState, wholeState;
        std::vector<torch::Tensor> streamed;
        for (size_t k = 0; k < latents.size(); ++k)
            streamed.push_back(decoder->decodeChunk(latents[k], cond[k], streamState));
        const auto whole =
            decoder->decodeChunk(torch::cat(latents, 2), torch::cat(cond, 2), wholeState);
        // THEN the frames are bit-identical (37 = 4·10 − 3)
        QCOMPARE(whole.sizes(), (c10::IntArrayRef{1, 3, 37, 24, 40}));
        QVERIFY(torch::equal(torch::cat(streamed, 2), whole));
        for (int slot = 0; slot < 9; ++slot)
            QVERIFY(torch::equal(streamState.memory[slot], wholeState.memory[slot]));
    }

    void resetStartsANewVideo() {
        // GIVEN a session that decoded chunk 0 and chunk 1
        auto decoder = make();
        TcDecoderState state;
        const auto& g0 = m_chunks[0];
        const auto first =
            decoder->decodeChunk(tensorOf(g0, "input.latents"), tensorOf(g0, "input.cond"), state);
        decoder->decodeChunk(tensorOf(m_chunks[1], "input.latents"),
                             tensorOf(m_chunks[1], "input.cond"), state);
        // WHEN the state is reset and chunk 0 is decoded again
        state.reset();
        const auto again =
            decoder->decodeChunk(tensorOf(g0, "input.latents"), tensorOf(g0, "input.cond"), state);
        // THEN it is trimmed again and identical to the first decode
        QVERIFY(torch::equal(first, again));
    }

    void badInputIsAClearError() {
        auto decoder = make();
        TcDecoderState state;
        const auto& g = m_chunks[0];
        auto messageOf = [&](const torch::Tensor& latents,
                             const torch::Tensor& cond) -> std::string {
            try {
                decoder->decodeChunk(latents, cond, state);
            } catch (const c10::Error& e) {
                return e.what_without_backtrace();
            }
            return {};
        };
        const auto latents = tensorOf(g, "input.latents"), cond = tensorOf(g, "input.cond");
        // wrong latent channels
        QVERIFY(
            messageOf(latents.slice(1, 0, 15), cond).find("expected latents (1, 16, T, h, w)") !=
            std::string::npos);
        // cond frames that do not pack into the latent frames (17 → 5 latent frames, not 6)
        QVERIFY(messageOf(latents, cond.slice(2, 0, 17)).find("do not pack into 6 latent frames") !=
                std::string::npos);
        // cond not 8× the latent size
        QVERIFY(messageOf(latents, cond.slice(3, 0, 16)).find("must be 8× the latent size") !=
                std::string::npos);
        // nothing was consumed by the failed calls
        QVERIFY(!state.started);
    }

    void badWeightsAreAClearError() {
        auto wrong = m_weights;
        wrong["decoder.26.bias"] = torch::zeros({4});
        auto result = loadTcDecoder(wrong, "TCDecoder.ckpt");
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code, fvs::core::ErrorCode::ModelError);
        QVERIFY(result.error().message.find("decoder.26.bias") != std::string::npos);
        auto missing = m_weights;
        missing.erase("decoder.10.weight");
        auto result2 = loadTcDecoder(missing, "TCDecoder.ckpt");
        QVERIFY(!result2.ok());
        QVERIFY(result2.error().message.find("decoder.10.weight") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestParityTcDecoder)
#include "test_parity_tc_decoder.moc"
