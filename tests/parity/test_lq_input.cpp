// Input preparation: RGB frames → [-1,1] → bicubic (PIL-compatible Keys a = -0.5, or torch's
// a = -0.75) → replicate padding to multiples of 128.
#include <QtTest>

#include <cmath>

#include "engine/lq_input.h"

using namespace fvs::gpu;

namespace {

// The test image of the PIL goldens: v(i, j) = sin(0.7 i + 1.3 j) + 0.25 i − 0.1 j.
torch::Tensor testImage(int64_t h, int64_t w) {
    auto img = torch::empty({h, w}, torch::kFloat32);
    for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j)
            img[i][j] = static_cast<float>(std::sin(0.7 * i + 1.3 * j) + 0.25 * i - 0.1 * j);
    return img;
}

// Pillow 13.0.0, Image.fromarray(testImage, mode='F').resize((W, H), Image.BICUBIC): PIL's float
// path (double coefficients, float32 pixels), i.e. the arithmetic our Pil kernel reproduces.
const std::vector<float> kPil4x5To7x9 = {
    -0.14573511f,   0.19977772f,  0.798352f,    0.76925552f,  0.34907624f,   -0.41208658f,
    -1.0695217f,    -1.2902396f,  -1.3730428f,  0.19185245f,  0.46141118f,   0.91023946f,
    0.73079801f,    0.20098551f,  -0.5296247f,  -1.0790809f,  -1.1127158f,   -1.095383f,
    0.81750917f,    0.93596745f,  1.0898687f,   0.63727808f,  -0.077864014f, -0.72775471f,
    -1.0601051f,    -0.74942237f, -0.54900062f, 1.2585019f,   1.2119073f,    1.0588623f,
    0.44068667f,    -0.30915698f, -0.76881385f, -0.85225534f, -0.30805922f,  0.0098554883f,
    1.5670842f,     1.3576024f,   0.91112286f,  0.21231017f,  -0.4672147f,   -0.67551202f,
    -0.5059824f,    0.17977165f,  0.562208f,    1.685167f,    1.3328863f,    0.64327413f,
    -0.0030531671f, -0.46532845f, -0.3585903f,  0.043617066f, 0.72119164f,   1.08366f,
    1.7261649f,     1.3027812f,   0.4936879f,   -0.11270717f, -0.44937754f,  -0.1751695f,
    0.34411573f,    1.0027996f,   1.3467522f};
// Same image 6×8 → 3×5 (shrinking: PIL stretches the kernel, i.e. antialiases).
const std::vector<float> kPil6x8To3x5 = {0.75829387f,  0.14369974f,  -1.0075823f,  0.15484567f,
                                         -0.19782636f, 1.208661f,    -0.22114134f, 0.28829843f,
                                         0.75896549f,  -0.67522609f, 0.72268319f,  0.41433105f,
                                         1.5639732f,   0.38127214f,  -0.19111149f};

// torch's bicubic (align_corners=false, a = -0.75, clamped indices) written out independently.
torch::Tensor torchCubicMatrix(int64_t in, int64_t out) {
    auto cubic = [](double x) {
        constexpr double a = -0.75;
        x = std::abs(x);
        if (x <= 1.0)
            return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2.0)
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        return 0.0;
    };
    auto m = torch::zeros({out, in}, torch::kFloat64);
    const double scale = static_cast<double>(in) / static_cast<double>(out);
    for (int64_t o = 0; o < out; ++o) {
        const double src = (o + 0.5) * scale - 0.5;
        const auto base = static_cast<int64_t>(std::floor(src));
        const double t = src - static_cast<double>(base);
        for (int64_t k = -1; k <= 2; ++k) {
            const int64_t idx = std::clamp<int64_t>(base + k, 0, in - 1);
            m[o][idx] += cubic(static_cast<double>(k) - t);
        }
    }
    return m;
}

}  // namespace

class TestLqInput : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void uint8FramesToUnitRange() {
        // GIVEN 2 frames of 2×3 RGB pixels with known values
        auto frames = torch::zeros({2, 2, 3, 3}, torch::kUInt8);
        frames.select(3, 0).fill_(255);  // R
        frames.select(3, 1).fill_(0);    // G
        frames.select(3, 2).fill_(51);   // B
        frames[1][1][2][1] = 128;
        // WHEN converted
        const auto x = framesToUnitRange(frames);
        // THEN the layout is (1, 3, F, H, W), channel order RGB, x/255*2-1
        QCOMPARE(x.sizes(), (c10::IntArrayRef{1, 3, 2, 2, 3}));
        QCOMPARE(x.scalar_type(), torch::kFloat32);
        QCOMPARE(x[0][0][0][0][0].item<float>(), 1.0f);
        QCOMPARE(x[0][1][0][0][0].item<float>(), -1.0f);
        QCOMPARE(x[0][2][1][1][1].item<float>(), 51.0f / 255.0f * 2.0f - 1.0f);
        QCOMPARE(x[0][1][1][1][2].item<float>(), 128.0f / 255.0f * 2.0f - 1.0f);
    }

    void uint16FramesUseTheirRange() {
        auto frames = torch::full({1, 1, 1, 3}, 65535, torch::kInt32).to(torch::kUInt16);
        frames[0][0][0][1] = 0;
        const auto x = framesToUnitRange(frames, torch::kFloat64);
        QCOMPARE(x.scalar_type(), torch::kFloat64);
        QCOMPARE(x[0][0][0][0][0].item<double>(), 1.0);
        QCOMPARE(x[0][1][0][0][0].item<double>(), -1.0);
    }

    void badFramesAreAClearError() {
        QVERIFY_THROWS_EXCEPTION(c10::Error,
                                 framesToUnitRange(torch::zeros({1, 2, 2, 3})));  // float
        try {
            framesToUnitRange(torch::zeros({1, 2, 2, 4}, torch::kUInt8));
            QFAIL("RGBA accepted");
        } catch (const c10::Error& e) {
            QVERIFY(std::string(e.what_without_backtrace()).find("(F, H, W, 3)") !=
                    std::string::npos);
        }
        QVERIFY_THROWS_EXCEPTION(c10::Error, bicubicResize(torch::zeros({2, 1, 3, 3, 3}), 6, 6));
        QVERIFY_THROWS_EXCEPTION(c10::Error, bicubicResize(torch::zeros({1, 3, 3, 3}), 0, 6));
    }

    void pilKernelMatchesPillow() {
        // GIVEN the test image as a (1, C=1, F=1, H, W) video
        const auto up = testImage(4, 5).view({1, 1, 1, 4, 5});
        const auto down = testImage(6, 8).view({1, 1, 1, 6, 8});
        // WHEN resized with the PIL kernel, up and down
        const auto upOut = bicubicResize(up, 7, 9, BicubicKernel::Pil).flatten();
        const auto downOut = bicubicResize(down, 3, 5, BicubicKernel::Pil).flatten();
        // THEN it agrees with Pillow's float path to float precision
        const auto upExpected = torch::tensor(kPil4x5To7x9);
        const auto downExpected = torch::tensor(kPil6x8To3x5);
        QVERIFY2((upOut - upExpected).abs().max().item<float>() < 2e-6f,
                 qPrintable(QString::number((upOut - upExpected).abs().max().item<float>())));
        QVERIFY((downOut - downExpected).abs().max().item<float>() < 2e-6f);
    }

    void torchKernelIsTorchBicubic() {
        // GIVEN a 2-frame, 3-channel video
        const auto frames =
            torch::rand({2, 3, 8, 12}, torch::TensorOptions().dtype(torch::kFloat64));
        const auto video = frames.transpose(0, 1).unsqueeze(0);  // (1, 3, 2, 8, 12)
        // WHEN upscaled ×4 with the torch kernel
        const auto out = bicubicResize(video, 32, 48, BicubicKernel::Torch);
        // THEN it equals a written-out a = -0.75 cubic with clamped borders, and differs from PIL's
        const auto expected = torch::matmul(torch::matmul(torchCubicMatrix(8, 32), frames),
                                            torchCubicMatrix(12, 48).t());  // (2, 3, 32, 48)
        QCOMPARE(out.sizes(), (c10::IntArrayRef{1, 3, 2, 32, 48}));
        QVERIFY((out.squeeze(0).transpose(0, 1) - expected).abs().max().item<double>() < 1e-12);
        const auto pil = bicubicResize(video, 32, 48, BicubicKernel::Pil);
        QVERIFY((pil - out).abs().max().item<double>() > 1e-3);
    }

    void pilKernelKeepsConstants() {
        const auto flat = torch::full({1, 3, 2, 10, 14}, 0.25f);
        const auto out = bicubicResize(flat, 37, 53);
        QCOMPARE(out.sizes(), (c10::IntArrayRef{1, 3, 2, 37, 53}));
        QVERIFY((out - 0.25f).abs().max().item<float>() < 1e-6f);
    }

    void scaledSizeRoundsLikePython() {
        QCOMPARE(scaledSize(270, 4.0), int64_t{1080});
        QCOMPARE(scaledSize(5, 0.5), int64_t{2});      // round(2.5) == 2 in Python
        QCOMPARE(scaledSize(7, 0.5), int64_t{4});      // round(3.5) == 4
        QCOMPARE(scaledSize(333, 1.5), int64_t{500});  // round(499.5) == 500
    }

    void replicatePadding() {
        // GIVEN a 100×130 video
        const auto video = torch::rand({1, 3, 2, 100, 130});
        // WHEN padded to multiples of 128
        const auto padded = replicatePadTo(video, 128);
        // THEN it is 128×256, the original is untouched in the top-left corner and the new
        // rows/columns repeat the last ones
        QCOMPARE(padded.sizes(), (c10::IntArrayRef{1, 3, 2, 128, 256}));
        QVERIFY(torch::equal(padded.slice(3, 0, 100).slice(4, 0, 130), video));
        QVERIFY(torch::equal(padded.select(3, 127).slice(3, 0, 130), video.select(3, 99)));
        QVERIFY(torch::equal(padded.select(4, 255).slice(3, 0, 100), video.select(4, 129)));
        QCOMPARE(padded[0][1][1][120][200].item<float>(), video[0][1][1][99][129].item<float>());
        // aligned input comes back as is
        const auto aligned = torch::rand({3, 128, 256});
        QVERIFY(replicatePadTo(aligned).is_same(aligned));
        QVERIFY_THROWS_EXCEPTION(c10::Error, replicatePadTo(aligned, 0));
    }
};

QTEST_GUILESS_MAIN(TestLqInput)
#include "test_lq_input.moc"
