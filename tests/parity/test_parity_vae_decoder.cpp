// Wan 2.1 VAE decoder (Full variant) against the official code's goldens
// (tests/data/parity/vae_decoder, dim 4): three chunks with the cache carried, streamed == whole.
#include <QtTest>

#include "decoder_golden_util.h"
#include "model/wan_vae_decoder.h"

using namespace fvs::gpu;
using namespace fvs::gpu::testing;

namespace {

constexpr double kTolerance = 1e-5;  // README: rel ≤ 1e-5 per chunk

}  // namespace

class TestParityVaeDecoder : public QObject {
    Q_OBJECT

private:
    TensorMap m_weights;
    std::vector<TensorMap> m_chunks;

    WanVaeDecoder make(const TensorMap& weights) {
        return loadOrThrow(loadWanVaeDecoder, weights, "vae_decoder/weights.safetensors");
    }

private Q_SLOTS:
    void initTestCase() {
        auto goldens = loadDecoderGoldens("vae_decoder");
        m_weights = std::move(goldens.weights);
        m_chunks = std::move(goldens.chunks);
    }

    void configFromWeights() {
        auto config = WanVaeDecoderConfig::fromWeights(m_weights);
        QVERIFY2(config.ok(), config.ok() ? "" : config.error().message.c_str());
        QCOMPARE(config->dim, int64_t{4});
        QCOMPARE(config->zDim, int64_t{16});
        QCOMPARE(config->dimMult, (std::vector<int64_t>{1, 2, 4, 4}));
        QCOMPARE(config->numResBlocks, int64_t{2});
        QCOMPARE(config->temporalUpsample, (std::vector<bool>{true, true, false}));
    }

    void chunksMatchReference() {
        // GIVEN the reduced decoder and a fresh session
        auto decoder = make(m_weights);
        WanVaeDecoderState state;
        const int64_t expectedFrames[3] = {21, 8, 8};
        for (int k = 0; k < 3; ++k) {
            const auto& g = m_chunks[k];
            // WHEN chunk k's latents are decoded with the cache of the previous chunks
            const auto frames = decoder->decodeChunk(tensorOf(g, "input.latents"), state);
            // THEN the frames match the reference (1 + 4·5 = 21 frames, then 8 per chunk)
            const auto& expected = tensorOf(g, "output.frames");
            QCOMPARE(frames.size(2), expectedFrames[k]);
            const double rel = relError(frames, expected);
            QVERIFY2(rel <= kTolerance, chunkMismatch(k, rel, frames, expected).c_str());
            QVERIFY(frames.abs().max().item<float>() <= 1.0f);
        }
    }

    void streamedEqualsWholeClip() {
        std::vector<torch::Tensor> latents;
        for (const auto& g : m_chunks)
            latents.push_back(tensorOf(g, "input.latents"));
        auto decoder = make(m_weights);
        // WHEN decoded per chunk and, in a second session, all 10 latents at once
        WanVaeDecoderState streamState, wholeState;
        std::vector<torch::Tensor> streamed;
        for (const auto& z : latents)
            streamed.push_back(decoder->decodeChunk(z, streamState));
        const auto whole = decoder->decodeChunk(torch::cat(latents, 2), wholeState);
        // THEN the frames are bit-identical
        QCOMPARE(whole.sizes(), (c10::IntArrayRef{1, 3, 37, 24, 40}));
        QVERIFY(torch::equal(torch::cat(streamed, 2), whole));
    }

    void encoderKeysAreIgnored() {
        // GIVEN a Wan2.1_VAE.pth-like state dict that also holds encoder.* and conv1.* tensors
        auto full = m_weights;
        full["encoder.conv1.weight"] = torch::zeros({4, 3, 3, 3, 3});
        full["conv1.weight"] = torch::zeros({32, 32, 1, 1, 1});
        // WHEN it is loaded THEN only the decoder path is taken, without complaint
        auto decoder = loadWanVaeDecoder(full, "Wan2.1_VAE.pth");
        QVERIFY2(decoder.ok(), decoder.ok() ? "" : decoder.error().message.c_str());
    }

    void badInputIsAClearError() {
        auto decoder = make(m_weights);
        WanVaeDecoderState state;
        try {
            decoder->decodeChunk(torch::zeros({1, 8, 2, 3, 5}), state);
            QFAIL("8 latent channels were accepted");
        } catch (const c10::Error& e) {
            QVERIFY(
                std::string(e.what_without_backtrace()).find("expected latents (1, 16, T, h, w)") !=
                std::string::npos);
        }
        QVERIFY_THROWS_EXCEPTION(c10::Error,
                                 decoder->decodeChunk(torch::zeros({1, 16, 0, 3, 5}), state));
        QVERIFY(!state.started);
    }

    void badWeightsAreAClearError() {
        auto wrong = m_weights;
        wrong["decoder.upsamples.3.resample.1.weight"] = torch::zeros({7, 16, 3, 3});
        auto result = loadWanVaeDecoder(wrong, "Wan2.1_VAE.pth");
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code, fvs::core::ErrorCode::ModelError);
        QVERIFY(result.error().message.find("decoder.upsamples.3.resample.1.weight") !=
                std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestParityVaeDecoder)
#include "test_parity_vae_decoder.moc"
