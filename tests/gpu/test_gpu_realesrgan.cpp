// Real-ESRGAN engine behaviour (CPU, fp32): the ncnn reader's strictness on broken files, tiled
// output equal to whole-frame output, and the FrameProcessor contract (one output per input with
// its index and pts, any factor, 16-bit input, cancellation).

#include <QtTest>

#include <cstdio>

#include "io/ncnn_bin.h"
#include "io/ncnn_param.h"
#include "realesrgan/realesrgan_upscaler.h"
#include "realesrgan_test_util.h"

namespace fs = std::filesystem;
using namespace fvs;
using namespace rgtest;

namespace {

void writeText(const fs::path& file, const std::string& text) {
    std::ofstream(file) << text;
}

void writeBytes(const fs::path& file, const std::vector<uint32_t>& words) {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(words.data()), std::streamsize(words.size() * 4));
}

uint32_t bitsOf(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

// Input -> 1x1 convolution 3->3 with bias: 9 weights + 3 biases.
const char* kTinyParam =
    "7767517\n2 2\nInput in 0 1 data\nConvolution conv 1 1 data out 0=3 1=1 5=1 6=9\n";

std::vector<uint32_t> tinyWeights(uint32_t tag) {
    std::vector<uint32_t> w{tag};
    for (int i = 0; i < 9; ++i)
        w.push_back(bitsOf(i == 0 || i == 4 || i == 8 ? 1.0f : 0.0f));  // identity
    for (int i = 0; i < 3; ++i)
        w.push_back(bitsOf(0.25f));
    return w;
}

std::string messageOf(const core::Error& e) {
    return e.message;
}

}  // namespace

class TestGpuRealEsrgan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void paramErrorsNameFileAndLayer_data();
    void paramErrorsNameFileAndLayer();
    void binReadsFp32AndFp16();
    void binSizeMismatchesAreErrors();
    void wheelModelsLoad();
    void tiledEqualsWholeFrame();
    void everyFrameKeepsItsIndexAndPts();
    void anyFactorAndDeepInput();
    void stopCancelsAndResetRearms();

private:
    fs::path path(const std::string& name) const {
        return fs::path(m_dir.path().toStdString()) / name;
    }
    QTemporaryDir m_dir;
};

void TestGpuRealEsrgan::paramErrorsNameFileAndLayer_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("magic") << "1234\n1 1\nInput in 0 1 data\n"
                           << "not an ncnn .param";
    QTest::newRow("unknown type") << "7767517\n2 2\nInput in 0 1 data\nSoftmax sm 1 1 data out\n"
                                  << "layer sm (Softmax): unsupported layer type 'Softmax'";
    QTest::newRow("dangling input") << "7767517\n2 2\nInput in 0 1 data\nSplit s 1 2 nope a b\n"
                                    << "input blob 'nope' is not produced";
    QTest::newRow("blob count") << "7767517\n1 5\nInput in 0 1 data\n"
                                << "5 blobs announced, 1";
    QTest::newRow("short file") << "7767517\n3 3\nInput in 0 1 data\n"
                                << "after 1 of 3 layers";
    QTest::newRow("bad param") << "7767517\n2 2\nInput in 0 1 data\nPReLU p 1 1 data out 0=x\n"
                               << "layer p (PReLU): bad parameter '0=x'";
}

void TestGpuRealEsrgan::paramErrorsNameFileAndLayer() {
    QFETCH(QString, text);
    QFETCH(QString, expected);
    // GIVEN a broken .param WHEN it is read THEN the error names the file and what is wrong
    const auto file = path("broken.param");
    writeText(file, text.toStdString());
    auto graph = gpu::readNcnnParam(file);
    QVERIFY(!graph.ok());
    const std::string msg = messageOf(graph.error());
    QVERIFY2(msg.find(file.string()) != std::string::npos, msg.c_str());
    QVERIFY2(msg.find(expected.toStdString()) != std::string::npos, msg.c_str());
    QCOMPARE(graph.error().code, core::ErrorCode::ModelError);
}

void TestGpuRealEsrgan::binReadsFp32AndFp16() {
    writeText(path("tiny.param"), kTinyParam);
    auto graph = gpu::readNcnnParam(path("tiny.param"));
    QVERIFY(graph.ok());
    QCOMPARE(graph->layers.size(), size_t(2));
    QCOMPARE(graph->outputBlob, 1);
    writeBytes(path("tiny32.bin"), tinyWeights(0));
    auto w32 = gpu::readNcnnBin(path("tiny32.bin"), *graph);
    QVERIFY2(w32.ok(), w32.ok() ? "" : w32.error().message.c_str());
    QCOMPARE(w32->byLayer.at("conv").weight.values[4], 1.0f);
    QCOMPARE(w32->byLayer.at("conv").bias.values[2], 0.25f);
    QCOMPARE(w32->fp32Tensors, int64_t(2));
    // fp16: 9 halves (18 bytes, padded to 20) after the tag; 1.0 = 0x3C00
    std::vector<uint32_t> half{0x01306B47, 0x00003C00, 0x00000000,
                               0x00003C00, 0x00000000, 0x00003C00};
    for (int i = 0; i < 3; ++i)
        half.push_back(bitsOf(0.25f));
    writeBytes(path("tiny16.bin"), half);
    auto w16 = gpu::readNcnnBin(path("tiny16.bin"), *graph);
    QVERIFY2(w16.ok(), w16.ok() ? "" : w16.error().message.c_str());
    QCOMPARE(w16->byLayer.at("conv").weight.storage, gpu::NcnnStorage::Float16);
    QCOMPARE(w16->byLayer.at("conv").weight.values[0], 1.0f);
    QCOMPARE(w16->byLayer.at("conv").weight.values[4], 1.0f);
    QCOMPARE(w16->byLayer.at("conv").weight.values[1], 0.0f);
}

void TestGpuRealEsrgan::binSizeMismatchesAreErrors() {
    writeText(path("tiny.param"), kTinyParam);
    auto graph = gpu::readNcnnParam(path("tiny.param"));
    QVERIFY(graph.ok());
    auto shortW = tinyWeights(0);
    shortW.pop_back();
    auto longW = tinyWeights(0);
    longW.push_back(0);
    for (const auto& [name, words, expected] :
         std::vector<std::tuple<std::string, std::vector<uint32_t>, std::string>>{
             {"short.bin", shortW, "layer conv (Convolution) bias: needs 12 bytes"},
             {"long.bin", longW, "4 bytes left after the last layer"},
             {"tag.bin", tinyWeights(0x000D4B38), "unsupported weight storage tag 0x000D4B38"}}) {
        writeBytes(path(name), words);
        auto w = gpu::readNcnnBin(path(name), *graph);
        QVERIFY(!w.ok());
        QVERIFY2(w.error().message.find(path(name).string()) != std::string::npos,
                 w.error().message.c_str());
        QVERIFY2(w.error().message.find(expected) != std::string::npos, w.error().message.c_str());
    }
}

void TestGpuRealEsrgan::wheelModelsLoad() {
    // GIVEN the installed wheel THEN every model of the catalogue is found and loads strictly
    for (const auto& f : gpu::locateRealEsrganFiles()) {
        QVERIFY2(!f.param.empty(), (f.model + " x" + std::to_string(f.scale) + " missing").c_str());
        auto net = gpu::NcnnNetwork::load(f.param, f.bin, {});
        QVERIFY2(net.ok(), net.ok() ? "" : net.error().message.c_str());
        QVERIFY((*net)->parameterCount() > 500000);
    }
    // A .bin that belongs to another .param is refused, naming the .bin and where it broke
    const auto files = gpu::locateRealEsrganFiles();
    auto wrong = gpu::NcnnNetwork::load(files.front().param, files.back().bin, {});
    QVERIFY(!wrong.ok());
    const std::string& msg = wrong.error().message;
    QVERIFY2(msg.find(files.back().bin.string()) != std::string::npos, msg.c_str());
    QVERIFY2(msg.find("does not belong") != std::string::npos ||
                 msg.find("layer Conv_") != std::string::npos,
             msg.c_str());
}

void TestGpuRealEsrgan::tiledEqualsWholeFrame() {
    // GIVEN the compact model WHEN a 70x50 frame runs in 24-pixel tiles THEN it equals the
    // whole-frame result (the overlap covers the receptive field)
    const auto files = gpu::locateRealEsrganFiles();
    const auto it = std::find_if(files.begin(), files.end(), [](const auto& f) {
        return f.model == "animevideov3" && f.scale == 4;
    });
    QVERIFY(it != files.end() && !it->param.empty());
    auto net = gpu::NcnnNetwork::load(it->param, it->bin, {});
    QVERIFY(net.ok());
    const Picture p = makePicture(70, 50, 3);
    auto image = torch::from_blob(const_cast<uint8_t*>(p.rgb.data()), {50, 70, 3}, torch::kUInt8)
                     .permute({2, 0, 1})
                     .to(torch::kFloat32) /
                 255.0;  // (3, 50, 70)
    gpu::RealEsrganUpscaler whole(*net, 4, {0}), tiled(*net, 4, {24});
    auto a = whole.upscale(image, {});
    auto b = tiled.upscale(image, {});
    QCOMPARE(a.sizes().vec(), (std::vector<int64_t>{3, 200, 280}));
    const double diff = (a - b).abs().max().item<double>();
    qInfo("max |whole - tiled| = %g", diff);
    QVERIFY(diff < 1e-4);
}

void TestGpuRealEsrgan::everyFrameKeepsItsIndexAndPts() {
    auto engine = gpu::createRealEsrganProcessor(cpuSettings("animevideov3", 2));
    QVERIFY2(engine.ok(), engine.ok() ? "" : engine.error().message.c_str());
    auto plan = (*engine)->configure(streamOf(24, 16));
    QVERIFY(plan.ok());
    QCOMPARE(plan->engineName, std::string("realesrgan"));
    QCOMPARE((*engine)->latencyFrames(), 0);
    // GIVEN variable frame spacing WHEN 5 frames go through THEN 5 come out, same index and pts
    const std::vector<int64_t> pts{0, 1, 3, 4, 9};
    std::vector<core::Frame> outs;
    for (size_t i = 0; i < pts.size(); ++i) {
        QVERIFY(
            (*engine)->push(toFrame(makePicture(24, 16, uint32_t(i)), int64_t(i), pts[i])).ok());
        while (auto f = (*engine)->pull())
            outs.push_back(std::move(*f));
    }
    QVERIFY((*engine)->finish().ok());
    while (auto f = (*engine)->pull())
        outs.push_back(std::move(*f));
    QCOMPARE(outs.size(), pts.size());
    for (size_t i = 0; i < outs.size(); ++i) {
        QCOMPARE(outs[i].index, int64_t(i));
        QCOMPARE(outs[i].av->pts, pts[i]);
        QCOMPARE(outs[i].ptsUs, pts[i] * 40000);
        QCOMPARE(outs[i].width(), 48);
        QCOMPARE(outs[i].height(), 32);
    }
}

void TestGpuRealEsrgan::anyFactorAndDeepInput() {
    // x4plus at factor 2.5: the x4 network, then a resample to 2.5x
    auto engine = gpu::createRealEsrganProcessor(cpuSettings("x4plus", 2.5));
    QVERIFY(engine.ok());
    auto plan = (*engine)->configure(streamOf(20, 12));
    QVERIFY(plan.ok());
    QCOMPARE(plan->output.width, 50);
    QCOMPARE(plan->output.height, 30);
    QVERIFY2(plan->engineDescription.find("x4plus x4 + bicubic") != std::string::npos,
             plan->engineDescription.c_str());
    QVERIFY((*engine)->push(toFrame(makePicture(20, 12, 5), 0, 0)).ok());
    auto out = (*engine)->pull();
    QVERIFY(out && out->width() == 50 && out->height() == 30);

    // 10-bit sources arrive as RGB48 and leave as RGB48
    auto deep = gpu::createRealEsrganProcessor(cpuSettings("animevideov3", 3));
    QVERIFY(deep.ok());
    auto info = streamOf(16, 8);
    info.bitDepth = 10;
    auto deepPlan = (*deep)->configure(info);
    QVERIFY(deepPlan.ok());
    QCOMPARE(deepPlan->inputFormat, AV_PIX_FMT_RGB48);
    core::Frame f;
    f.av = core::makeFrame();
    f.av->format = AV_PIX_FMT_RGB48;
    f.av->width = 16;
    f.av->height = 8;
    QVERIFY(av_frame_get_buffer(f.av.get(), 0) >= 0);
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 48; ++x)
            reinterpret_cast<uint16_t*>(f.av->data[0] + y * f.av->linesize[0])[x] =
                uint16_t(x * 1300 + y * 500);
    f.index = 0;
    QVERIFY((*deep)->push(std::move(f)).ok());
    auto deepOut = (*deep)->pull();
    QVERIFY(deepOut && deepOut->format() == AV_PIX_FMT_RGB48 && deepOut->width() == 48);

    // An unknown model is a clear error naming the known ones
    auto bad = gpu::createRealEsrganProcessor(cpuSettings("x8super", 4));
    QVERIFY(!bad.ok() && bad.error().message.find("animevideov3") != std::string::npos);
}

void TestGpuRealEsrgan::stopCancelsAndResetRearms() {
    auto engine = gpu::createRealEsrganProcessor(cpuSettings("animevideov3", 2));
    QVERIFY(engine.ok());
    QVERIFY((*engine)->configure(streamOf(16, 16)).ok());
    (*engine)->requestStop();
    auto st = (*engine)->push(toFrame(makePicture(16, 16, 1), 0, 0));
    QVERIFY(!st.ok());
    QCOMPARE(st.error().code, core::ErrorCode::Cancelled);
    QVERIFY(!(*engine)->pull());
    (*engine)->reset();
    QVERIFY((*engine)->push(toFrame(makePicture(16, 16, 1), 0, 0)).ok());
    QVERIFY((*engine)->pull().has_value());
}

QTEST_GUILESS_MAIN(TestGpuRealEsrgan)
#include "test_gpu_realesrgan.moc"
