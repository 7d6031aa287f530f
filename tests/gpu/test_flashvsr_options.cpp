// FlashVsrOptions: the user's typed settings become the engine's typed options directly, with the
// same range checks and messages as the `--options key=value` list; 64-bit seeds stay exact.

#include <QtTest>

#include <cstdint>
#include <limits>

#include "engine/flashvsr_options.h"

using namespace fvs::gpu;
namespace core = fvs::core;

class TestFlashVsrOptions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void settingsMapToTypedOptions();
    void largestSeedStaysExact();
    void rangesAreTheSameFromSettingsAndKeyValues_data();
    void rangesAreTheSameFromSettingsAndKeyValues();
    void targetSizeLeavesTheFactorAlone();
    void keyValuesRejectMalformedItems();
};

void TestFlashVsrOptions::settingsMapToTypedOptions() {
    // GIVEN settings that differ from every default
    core::EngineSettings s;
    s.modelVersion = "v1";
    s.decoder = core::DecoderKind::Full;
    s.sparseRatio = 1.5;
    s.kvRatio = 2.0;
    s.localRange = 9;
    s.colorFix = core::ColorFix::Wavelet;
    s.seed = 42;
    s.dtype = core::ComputeDtype::Fp32;
    s.device = "cpu";
    s.scale.factor = 2.0;
    s.memoryBudgetGiB = 12.5;
    s.tileOverlap = 64;
    // WHEN they become engine options
    auto o = FlashVsrOptions::fromSettings(s);
    // THEN each lands in its typed field
    QVERIFY2(o.ok(), o.ok() ? "" : o.error().message.c_str());
    QCOMPARE(QString::fromStdString(o->model.version), QString("v1"));
    QVERIFY(o->model.decoder == DecoderKind::Full);
    QVERIFY(o->model.dtype == torch::kFloat32);
    QVERIFY(o->model.device == torch::Device(torch::kCPU));
    QCOMPARE(o->stream.sparseRatio, 1.5);
    QCOMPARE(o->stream.kvRatio, 2.0);
    QCOMPARE(o->stream.localRange, int64_t{9});
    QVERIFY(o->stream.colorFix == ColorFixMethod::Wavelet);
    QCOMPARE(o->stream.seed, int64_t{42});
    QCOMPARE(o->scale, 2.0);
    QCOMPARE(o->tiling.memoryBudgetBytes, int64_t{25} << 29);  // 12.5 GiB
    QCOMPARE(o->tiling.overlap, int64_t{64});
    // AND the description an output's metadata records names them
    const auto text = QString::fromStdString(describe(o->model, o->stream));
    QVERIFY2(text.contains("v1 full sparse_ratio=1.5 kv_ratio=2 local_range=9 color_fix=wavelet "
                           "seed=42 fp32 cpu"),
             qPrintable(text));
}

void TestFlashVsrOptions::largestSeedStaysExact() {
    // GIVEN the largest seed the CLI accepts (2^63-1, not representable as a double)
    constexpr int64_t seed = std::numeric_limits<int64_t>::max();
    core::EngineSettings s;
    s.device = "cpu";
    s.seed = seed;
    // WHEN it goes through the settings and through a key=value list
    auto fromSettings = FlashVsrOptions::fromSettings(s);
    FlashVsrOptions fromList;
    const auto st = fromList.applyKeyValues("seed=9223372036854775807");
    // THEN both keep it to the last bit
    QVERIFY(fromSettings.ok());
    QVERIFY(st.ok());
    QCOMPARE(fromSettings->stream.seed, seed);
    QCOMPARE(fromList.stream.seed, seed);
    // AND a negative or fractional seed is refused
    QVERIFY(!FlashVsrOptions{}.applyKeyValues("seed=-1").ok());
    QVERIFY(!FlashVsrOptions{}.applyKeyValues("seed=1.5").ok());
}

void TestFlashVsrOptions::rangesAreTheSameFromSettingsAndKeyValues_data() {
    QTest::addColumn<QString>("item");
    QTest::addColumn<QString>("message");
    QTest::newRow("sparse 0") << "sparse_ratio=0"
                              << "sparse_ratio must be in (0, 64], got 0";
    QTest::newRow("sparse 65") << "sparse_ratio=65"
                               << "sparse_ratio must be in (0, 64], got 65";
    QTest::newRow("kv 0.5") << "kv_ratio=0.5"
                            << "kv_ratio must be in [1, 16], got 0.5";
    QTest::newRow("local 0") << "local_range=0"
                             << "local_range must be an integer in [1, 255], got 0";
    QTest::newRow("local 256") << "local_range=256"
                               << "local_range must be an integer in [1, 255], got 256";
    QTest::newRow("scale 17") << "scale=17"
                              << "scale must be in [1, 16], got 17";
    QTest::newRow("version v2") << "version=v2"
                                << "version must be v1 or v1.1, got 'v2'";
    QTest::newRow("tile overlap 24")
        << "tile_overlap=24"
        << "tile_overlap must be a multiple of 16 from 16 to 4096, got 24";
    QTest::newRow("memory budget -1") << "memory_budget_gib=-1"
                                      << "memory_budget_gib must be 0 (the free memory) or up to "
                                         "100000, got -1";
}

void TestFlashVsrOptions::rangesAreTheSameFromSettingsAndKeyValues() {
    QFETCH(QString, item);
    QFETCH(QString, message);
    // GIVEN the same out-of-range value as typed settings and as a key=value item
    core::EngineSettings s;
    s.device = "cpu";
    const auto key = item.section('=', 0, 0);
    const auto value = item.section('=', 1);
    if (key == "sparse_ratio") {
        s.sparseRatio = value.toDouble();
    } else if (key == "kv_ratio") {
        s.kvRatio = value.toDouble();
    } else if (key == "local_range") {
        s.localRange = value.toInt();
    } else if (key == "scale") {
        s.scale.factor = value.toDouble();
    } else if (key == "tile_overlap") {
        s.tileOverlap = value.toInt();
    } else if (key == "memory_budget_gib") {
        s.memoryBudgetGiB = value.toDouble();
    } else {
        s.modelVersion = value.toStdString();
    }
    // WHEN each is applied
    auto fromSettings = FlashVsrOptions::fromSettings(s);
    FlashVsrOptions fromList;
    const auto st = fromList.applyKeyValues(item.toStdString());
    // THEN both refuse it as InvalidArgument with the same message naming the range
    QVERIFY(!fromSettings.ok());
    QVERIFY(!st.ok());
    QCOMPARE(static_cast<int>(fromSettings.error().code),
             static_cast<int>(core::ErrorCode::InvalidArgument));
    QCOMPARE(QString::fromStdString(fromSettings.error().message), message);
    QCOMPARE(QString::fromStdString(st.error().message), message);
}

void TestFlashVsrOptions::targetSizeLeavesTheFactorAlone() {
    // GIVEN settings asking for an output size rather than a factor (the factor field unset)
    core::EngineSettings s;
    s.device = "cpu";
    s.scale.factor = 0.0;
    s.scale.targetWidth = 1920;
    // WHEN they become options
    auto o = FlashVsrOptions::fromSettings(s);
    // THEN the unused factor is not range-checked and the model's factor stays 4
    QVERIFY2(o.ok(), o.ok() ? "" : o.error().message.c_str());
    QCOMPARE(o->scale, 4.0);
}

void TestFlashVsrOptions::keyValuesRejectMalformedItems() {
    FlashVsrOptions o;
    QVERIFY(!o.applyKeyValues("sparse_ratio").ok());
    QVERIFY(!o.applyKeyValues("sparse_ratio=abc").ok());
    QVERIFY(!o.applyKeyValues("no_such_key=1").ok());
    QVERIFY(!o.applyKeyValues("attention=fast").ok());
    QVERIFY(o.applyKeyValues("attention=paged,overlap=0,profile=1,,fused=0").ok());
    QVERIFY(o.stream.attention == AttentionPath::Paged);
    QVERIFY(!o.stream.decoderOverlap);
    QVERIFY(o.stream.profile);
    QVERIFY(!o.model.fusedKernels);
}

QTEST_GUILESS_MAIN(TestFlashVsrOptions)
#include "test_flashvsr_options.moc"
