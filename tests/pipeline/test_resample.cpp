// ResampleProcessor and resolveOutputGeometry: sizes, SAR, fit modes and pixel correctness.
#include <QtTest>

#include <cstdint>
#include <cstring>
#include <random>

#include "fvs/core/resample_processor.h"

using namespace fvs::core;

namespace {

StreamInfo infoOf(int w, int h, AVRational sar = {1, 1}, int bitDepth = 8) {
    StreamInfo info;
    info.width = w;
    info.height = h;
    info.sar = sar;
    info.bitDepth = bitDepth;
    return info;
}

template <class Sample>
Frame makeRgb(int w, int h, const std::function<void(int x, int y, Sample* px)>& fill) {
    Frame f;
    f.av = makeFrame();
    f.av->format = sizeof(Sample) == 1 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_RGB48LE;
    f.av->width = w;
    f.av->height = h;
    if (av_frame_get_buffer(f.av.get(), 0) < 0)
        qFatal("alloc");
    for (int y = 0; y < h; ++y) {
        auto* row = reinterpret_cast<Sample*>(f.av->data[0] + y * f.av->linesize[0]);
        for (int x = 0; x < w; ++x)
            fill(x, y, row + 3 * x);
    }
    return f;
}

template <class Sample>
const Sample* pixel(const Frame& f, int x, int y) {
    return reinterpret_cast<const Sample*>(f.av->data[0] + y * f.av->linesize[0]) + 3 * x;
}

Frame runOne(ResampleProcessor& p, Frame in) {
    auto st = p.push(std::move(in));
    if (!st)
        qFatal("push failed: %s", st.error().message.c_str());
    auto out = p.pull();
    if (!out)
        qFatal("no output");
    return std::move(*out);
}

}  // namespace

class TestResample : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void geometryFactorKeepsSar() {
        // GIVEN an anamorphic 33x17 input WHEN scaled x2 THEN 66x34 with the same SAR
        auto g = resolveOutputGeometry(infoOf(33, 17, {4, 3}), ScaleRequest{2.0});
        QVERIFY(g.ok());
        QCOMPARE(g->width, 66);
        QCOMPARE(g->height, 34);
        QCOMPARE(g->sar.num, 4);
        QCOMPARE(g->sar.den, 3);
    }

    void geometryTargetSizes() {
        ScaleRequest fit{1.0, 1920, 1080, ScaleFit::Fit};
        // GIVEN 4:3 square pixels WHEN fit into 1920x1080 THEN pillarbox-free 1440x1080
        auto g = resolveOutputGeometry(infoOf(640, 480), fit);
        QVERIFY(g.ok());
        QCOMPARE(g->width, 1440);
        QCOMPARE(g->height, 1080);
        // GIVEN 720x480 with SAR 32:27 (display 853.3x480) WHEN fit THEN 1920x1080 square pixels
        g = resolveOutputGeometry(infoOf(720, 480, {32, 27}), fit);
        QVERIFY(g.ok());
        QCOMPARE(g->width, 1920);
        QCOMPARE(g->height, 1080);
        QCOMPARE(g->sar.num, 1);
        // WHEN fill or exact THEN exactly the target
        for (ScaleFit mode : {ScaleFit::Fill, ScaleFit::Exact}) {
            g = resolveOutputGeometry(infoOf(640, 480), ScaleRequest{1.0, 1920, 1080, mode});
            QVERIFY(g.ok());
            QCOMPARE(g->width, 1920);
            QCOMPARE(g->height, 1080);
        }
        // WHEN only a width is given THEN the display aspect gives the height
        g = resolveOutputGeometry(infoOf(360, 480, {2, 1}), ScaleRequest{1.0, 1440, 0});
        QVERIFY(g.ok());
        QCOMPARE(g->width, 1440);
        QCOMPARE(g->height, 960);
    }

    void geometryRejectsAbsurdRequests() {
        auto g = resolveOutputGeometry(infoOf(64, 48), ScaleRequest{1.0, 100000, 100000});
        QVERIFY(!g.ok());
        QCOMPARE(g.error().code, ErrorCode::InvalidArgument);
        QVERIFY(g.error().message.find("100000x100000") != std::string::npos);
        g = resolveOutputGeometry(infoOf(64, 48), ScaleRequest{9.0});
        QVERIFY(!g.ok());
        g = resolveOutputGeometry(infoOf(64, 48), ScaleRequest{0.5});
        QVERIFY(!g.ok());
        // x8 of a 4K picture is past the per-side limit
        g = resolveOutputGeometry(infoOf(3840, 2160), ScaleRequest{8.0});
        QVERIFY(!g.ok());
        g = resolveOutputGeometry(infoOf(0, 0), ScaleRequest{2.0});
        QVERIFY(!g.ok());
        QCOMPARE(g.error().code, ErrorCode::InvalidInput);
    }

    void constantStaysConstant_data() {
        QTest::addColumn<int>("kernel");
        QTest::addColumn<int>("bits");
        QTest::addColumn<double>("factor");
        QTest::addColumn<int>("targetW");
        for (int k : {0, 1})
            for (int bits : {8, 16}) {
                const char* kn = k == 0 ? "lanczos" : "bicubic";
                QTest::addRow("%s-%d-x2", kn, bits) << k << bits << 2.0 << 0;
                QTest::addRow("%s-%d-x3.5", kn, bits) << k << bits << 3.5 << 0;
                QTest::addRow("%s-%d-shrink", kn, bits) << k << bits << 1.0 << 13;
            }
    }
    void constantStaysConstant() {
        QFETCH(int, kernel);
        QFETCH(int, bits);
        QFETCH(double, factor);
        QFETCH(int, targetW);
        // GIVEN a constant colour picture
        ResampleOptions opt;
        opt.kernel = kernel == 0 ? ResampleKernel::Lanczos3 : ResampleKernel::Bicubic;
        opt.scale = ScaleRequest{factor, targetW, 0, ScaleFit::Fit};
        ResampleProcessor p(opt);
        auto plan = p.configure(infoOf(37, 21, {1, 1}, bits == 8 ? 8 : 10));
        QVERIFY(plan.ok());
        Frame out;
        // WHEN resampled THEN every output sample keeps the colour exactly
        if (bits == 8) {
            out = runOne(p, makeRgb<uint8_t>(37, 21, [](int, int, uint8_t* px) {
                             px[0] = 200;
                             px[1] = 17;
                             px[2] = 255;
                         }));
            for (int y = 0; y < out.height(); ++y)
                for (int x = 0; x < out.width(); ++x) {
                    auto* px = pixel<uint8_t>(out, x, y);
                    QVERIFY2(px[0] == 200 && px[1] == 17 && px[2] == 255,
                             qPrintable(QString("at %1,%2").arg(x).arg(y)));
                }
        } else {
            out = runOne(p, makeRgb<uint16_t>(37, 21, [](int, int, uint16_t* px) {
                             px[0] = 51200;
                             px[1] = 1023;
                             px[2] = 65535;
                         }));
            for (int y = 0; y < out.height(); ++y)
                for (int x = 0; x < out.width(); ++x) {
                    auto* px = pixel<uint16_t>(out, x, y);
                    QVERIFY2(px[0] == 51200 && px[1] == 1023 && px[2] == 65535,
                             qPrintable(QString("at %1,%2").arg(x).arg(y)));
                }
        }
        QCOMPARE(out.width(), plan->output.width);
        QCOMPARE(out.height(), plan->output.height);
    }

    void identityAtScaleOne() {
        // GIVEN random 8-bit noise WHEN resampled x1 with either kernel THEN unchanged
        std::mt19937 rng(7);
        Frame in = makeRgb<uint8_t>(41, 23, [&](int, int, uint8_t* px) {
            for (int c = 0; c < 3; ++c)
                px[c] = uint8_t(rng() & 0xff);
        });
        for (auto kernel : {ResampleKernel::Lanczos3, ResampleKernel::Bicubic}) {
            ResampleProcessor p({kernel, ScaleRequest{1.0}});
            QVERIFY(p.configure(infoOf(41, 23)).ok());
            Frame out = runOne(p, in.ref());
            for (int y = 0; y < 23; ++y)
                QVERIFY(std::memcmp(pixel<uint8_t>(out, 0, y), pixel<uint8_t>(in, 0, y), 41 * 3) ==
                        0);
        }
    }

    void rampStaysLinear() {
        // GIVEN a horizontal 16-bit ramp WHEN Lanczos x2 THEN interior samples follow the ramp
        // within 3% of one source step (Lanczos reproduces a ramp only approximately)
        Frame in = makeRgb<uint16_t>(64, 8, [](int x, int, uint16_t* px) {
            px[0] = px[1] = px[2] = uint16_t(1000 + 500 * x);
        });
        ResampleProcessor p({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
        QVERIFY(p.configure(infoOf(64, 8, {1, 1}, 16)).ok());
        Frame out = runOne(p, std::move(in));
        for (int x = 8; x < 120; ++x) {
            const double srcX = (x + 0.5) / 2.0 - 0.5;
            const double expected = 1000 + 500 * srcX;
            QVERIFY2(std::abs(pixel<uint16_t>(out, x, 4)[0] - expected) <= 15.0,
                     qPrintable(QString("x=%1 got %2 want %3")
                                    .arg(x)
                                    .arg(pixel<uint16_t>(out, x, 4)[0])
                                    .arg(expected)));
        }
    }

    void fillCropsAndFitKeeps() {
        // GIVEN 400x100 whose left quarter is green and the rest grey
        auto source = [] {
            return makeRgb<uint8_t>(400, 100, [](int x, int, uint8_t* px) {
                const bool green = x < 100;
                px[0] = green ? 0 : 128;
                px[1] = green ? 255 : 128;
                px[2] = green ? 0 : 128;
            });
        };
        // WHEN filled into 100x100 THEN the centre is kept, the green edge cropped away
        ResampleProcessor fill(
            {ResampleKernel::Lanczos3, ScaleRequest{1.0, 100, 100, ScaleFit::Fill}});
        QVERIFY(fill.configure(infoOf(400, 100)).ok());
        Frame a = runOne(fill, source());
        QCOMPARE(a.width(), 100);
        QCOMPARE(a.height(), 100);
        QCOMPARE(int(pixel<uint8_t>(a, 0, 50)[1]), 128);
        // WHEN fitted into 100x100 THEN 100x25 and the green edge is still there
        ResampleProcessor fit(
            {ResampleKernel::Lanczos3, ScaleRequest{1.0, 100, 100, ScaleFit::Fit}});
        QVERIFY(fit.configure(infoOf(400, 100)).ok());
        Frame b = runOne(fit, source());
        QCOMPARE(b.width(), 100);
        QCOMPARE(b.height(), 25);
        QCOMPARE(int(pixel<uint8_t>(b, 2, 12)[1]), 255);
    }

    void keepsTimingAndRejectsWrongFormat() {
        ResampleProcessor p({ResampleKernel::Bicubic, ScaleRequest{2.0}});
        QVERIFY(p.configure(infoOf(16, 8)).ok());
        Frame in =
            makeRgb<uint8_t>(16, 8, [](int, int, uint8_t* px) { px[0] = px[1] = px[2] = 9; });
        in.index = 42;
        in.ptsUs = 1'400'000;
        in.av->pts = 4200;
        Frame out = runOne(p, std::move(in));
        QCOMPARE(out.index, int64_t(42));
        QCOMPARE(out.ptsUs, int64_t(1'400'000));
        QCOMPARE(out.av->pts, int64_t(4200));
        QVERIFY(!p.pull().has_value());
        // GIVEN a frame of the wrong size THEN a clear error, no crash
        auto st = p.push(makeRgb<uint8_t>(15, 8, [](int, int, uint8_t*) {}));
        QVERIFY(!st.ok());
        QVERIFY(st.error().message.find("15x8") != std::string::npos);
    }

    void workerCountDoesNotChangeResult() {
        std::mt19937 rng(3);
        Frame in = makeRgb<uint8_t>(50, 31, [&](int, int, uint8_t* px) {
            for (int c = 0; c < 3; ++c)
                px[c] = uint8_t(rng() & 0xff);
        });
        ResampleProcessor one({ResampleKernel::Lanczos3, ScaleRequest{2.5}, 1});
        ResampleProcessor four({ResampleKernel::Lanczos3, ScaleRequest{2.5}, 4});
        QVERIFY(one.configure(infoOf(50, 31)).ok());
        QVERIFY(four.configure(infoOf(50, 31)).ok());
        Frame a = runOne(one, in.ref());
        Frame b = runOne(four, in.ref());
        for (int y = 0; y < a.height(); ++y)
            QVERIFY(std::memcmp(pixel<uint8_t>(a, 0, y), pixel<uint8_t>(b, 0, y), a.width() * 3) ==
                    0);
    }
};

QTEST_GUILESS_MAIN(TestResample)
#include "test_resample.moc"
