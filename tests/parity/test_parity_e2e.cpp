// End-to-end parity of the streaming engine with the official Tiny-Long pipeline (CPU, fp32):
// the reduced v1.1 model folder tests/data/parity/e2e_v11 in the release formats, 37 LR frames,
// 3 chunks, the reference's own noise. Compares the DiT latents of every chunk and the output
// frames (pooled and full) with relative error ≤ 1e-4 (the golden's nudge floor is 117.8 dB).

#include <QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/flashvsr_model.h"
#include "engine/flashvsr_stream.h"
#include "engine/lq_input.h"
#include "parity_dit_util.h"

using namespace fvs::gpu;
using namespace fvs::gpu::testing;

class TestParityE2e : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void streamMatchesReferenceOverThreeChunks();
    void v1ProjectorMatchesReference();
};

namespace {

// The golden's LQ recipe: [-1,1] then torch bicubic ×4 (README of the goldens). (N, 3, H, W).
torch::Tensor goldenLq(const torch::Tensor& lr) {
    auto x = lr.permute({0, 3, 1, 2}).to(torch::kFloat32) / 255.0 * 2.0 - 1.0;  // (N, 3, h, w)
    return torch::nn::functional::interpolate(
        x, torch::nn::functional::InterpolateFuncOptions()
               .size(std::vector<int64_t>{lr.size(1) * 4, lr.size(2) * 4})
               .mode(torch::kBicubic)
               .align_corners(false));
}

FlashVsrOptions goldenOptions(const std::filesystem::path& folder) {
    std::ifstream jsonIn(folder / "flashvsr_config.json");
    const auto cfg = nlohmann::json::parse(jsonIn);
    FlashVsrOptions options;
    options.stream.sparseRatio = cfg.at("sparse_ratio").get<double>();
    options.stream.kvRatio = cfg.at("kv_ratio").get<double>();
    options.stream.localRange = cfg.at("local_range").get<int64_t>();
    return options;
}

// One stream over `lq` (N, 3, H, W) with the reference noise, pushed in batches ending at `cuts`
// (then the rest), finished: the outputs and the DiT latents of every chunk ("chunk<k>.z0").
struct StreamedClip {
    torch::Tensor frames;  // (N, 3, H, W)
    std::map<std::string, torch::Tensor> z0;
    int64_t chunks = 0;
    int64_t emptyQueryBlocks = 0;
};

StreamedClip streamClip(const std::shared_ptr<FlashVsrModel>& model, const StreamOptions& options,
                        const torch::Tensor& lq, const torch::Tensor& noise,
                        const std::vector<int64_t>& cuts = {}) {
    FlashVsrStream stream(model, options);
    if (auto st = stream.configure(lq.size(2), lq.size(3)); !st) {
        throw std::runtime_error(st.error().message);
    }
    stream.setNoise(noise.to(torch::kFloat32));
    StreamedClip out;
    DitHooks hooks;
    hooks.tap = [&](const std::string& name, const torch::Tensor& t) {
        if (name.find(".z0") != std::string::npos) {
            out.z0[name] = t.clone();
        }
    };
    stream.setHooks(&hooks);
    int64_t begin = 0;
    for (int64_t end : cuts) {
        stream.push(lq.slice(0, begin, end));
        begin = end;
    }
    stream.push(lq.slice(0, begin, lq.size(0)));
    stream.finish();
    out.frames = stream.take();
    out.chunks = stream.chunksRun();
    out.emptyQueryBlocks = stream.attentionStats().emptyQueryBlocks;
    return out;
}

}  // namespace

void TestParityE2e::v1ProjectorMatchesReference() {
    torch::NoGradGuard noGrad;
    // GIVEN the same weights presented as a v1 folder (the v1 code path: Buffer_LQ4x_Proj)
    const auto source = parityDataDir() / "e2e_v11";
    const auto folder = std::filesystem::temp_directory_path() / "fvs_parity_e2e_v1";
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    for (const auto& entry : std::filesystem::directory_iterator(source)) {
        if (entry.path().extension() != ".json" &&
            entry.path().filename().string().rfind("chunk", 0) != 0) {
            std::filesystem::copy_file(entry.path(), folder / entry.path().filename());
        }
    }
    std::ifstream jsonIn(source / "flashvsr_config.json");
    auto cfg = nlohmann::json::parse(jsonIn);
    cfg["version"] = "v1";
    cfg["lq_proj_class"] = "Buffer_LQ4x_Proj";
    std::ofstream(folder / "flashvsr_config.json") << cfg.dump(2);
    const auto options = goldenOptions(source);
    auto model = FlashVsrModel::load(folder, options.model);
    QVERIFY2(model.ok(), model.ok() ? "" : model.error().message.c_str());
    QCOMPARE(QString::fromStdString((*model)->options().version), QString("v1"));
    auto io = loadGolden("e2e_v11/io.safetensors");
    auto golden1 = loadGolden("e2e_v1.safetensors");
    // WHEN the clip is streamed
    const auto run =
        streamClip(*model, options.stream, goldenLq(golden(io, "input.lr_uint8")),
                   golden(io, "input.noise"));
    const auto& taps = run.z0;
    // THEN the DiT latents of every chunk match the v1 reference
    for (int k = 0; k < 3; ++k) {
        const auto key = "chunk" + std::to_string(k) + ".z0";
        const double e =
            relErr(taps.at(key), golden(golden1, "output.z0.chunk" + std::to_string(k)));
        qInfo("v1 chunk %d: z0 rel %.3g", k, e);
        QVERIFY(e <= 1e-4);
    }
    std::filesystem::remove_all(folder);
}

void TestParityE2e::streamMatchesReferenceOverThreeChunks() {
    torch::NoGradGuard noGrad;
    // GIVEN the reduced model folder, its run settings and the reference inputs
    const auto folder = parityDataDir() / "e2e_v11";
    const auto options = goldenOptions(folder);
    auto model = FlashVsrModel::load(folder, options.model);
    QVERIFY2(model.ok(), model.ok() ? "" : model.error().message.c_str());
    QCOMPARE(QString::fromStdString((*model)->options().version), QString("v1.1"));
    auto io = loadGolden("e2e_v11/io.safetensors");
    const auto& lr = golden(io, "input.lr_uint8");  // (37, 32, 64, 3) uint8
    const int64_t n = lr.size(0);
    // WHEN the frames are streamed in uneven batches and the stream is finished
    const auto run =
        streamClip(*model, options.stream, goldenLq(lr), golden(io, "input.noise"), {10, 30});
    const auto& frames = run.frames;  // (N, 3, H, W)
    const auto& taps = run.z0;
    // THEN every input frame has its output, and each chunk matches the reference
    QCOMPARE(frames.size(0), n);
    QCOMPARE(run.chunks, int64_t{3});
    int64_t start = 0;
    for (int k = 0; k < 3; ++k) {
        auto chunk = loadGolden("e2e_v11/chunk" + std::to_string(k) + ".safetensors");
        auto full = loadGolden("e2e_v11/chunk" + std::to_string(k) + "_frame.safetensors");
        const int64_t count = k == 0 ? 21 : 8;
        const double z0 =
            relErr(taps.at("chunk" + std::to_string(k) + ".z0"), golden(chunk, "output.z0"));
        auto seg = frames.slice(0, start, start + count);               // (n, 3, H, W)
        auto pooled = torch::avg_pool2d(seg, 8).permute({1, 0, 2, 3});  // (3, n, H/8, W/8)
        const double pooledErr = relErr(pooled, golden(chunk, "output.frames_pooled"));
        const double fullErr = relErr(frames[start + count - 1], golden(full, "output.frame"));
        qInfo("chunk %d: z0 rel %.3g, frames pooled rel %.3g, full frame rel %.3g", k, z0,
              pooledErr, fullErr);
        QVERIFY(z0 <= 1e-4);
        QVERIFY(pooledErr <= 1e-4);
        QVERIFY(fullErr <= 1e-4);
        start += count;
    }
    // AND the sparse regime really exercised empty query blocks (8 in the reference run)
    QCOMPARE(run.emptyQueryBlocks, int64_t{8});
}

QTEST_GUILESS_MAIN(TestParityE2e)
#include "test_parity_e2e.moc"
