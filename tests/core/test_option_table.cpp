// GIVEN/WHEN/THEN tests of the option table, the typed engine settings and JobSpec: one range and
// one message per option, the same from text (CLI, --options) and from typed values (the app).
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fvs/core/job_spec.h"
#include "fvs/core/option_table.h"

using namespace fvs::core;
namespace fs = std::filesystem;

namespace {
QString message(const Status& st) {
    return st ? QString() : QString::fromStdString(st.error().message);
}
}  // namespace

class TestOptionTable : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyNumericOptionNamesItsRange_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("range");
        QTest::newRow("scale 0") << "scale"
                                 << "0"
                                 << "from 1 to 16";
        QTest::newRow("scale 17") << "scale"
                                  << "17"
                                  << "from 1 to 16";
        QTest::newRow("scale nan") << "scale"
                                   << "nan"
                                   << "from 1 to 16";
        QTest::newRow("sparse 0") << "sparse-ratio"
                                  << "0"
                                  << "above 0 and at most 64";
        QTest::newRow("sparse 65") << "sparse_ratio"
                                   << "65"
                                   << "above 0 and at most 64";
        QTest::newRow("kv 0.5") << "kv-ratio"
                                << "0.5"
                                << "from 1 to 16";
        QTest::newRow("local 0") << "local-range"
                                 << "0"
                                 << "from 1 to 255";
        QTest::newRow("local 256") << "local-range"
                                   << "256"
                                   << "from 1 to 255";
        QTest::newRow("local 1.5") << "local-range"
                                   << "1.5"
                                   << "from 1 to 255";
        QTest::newRow("seed -1") << "seed"
                                 << "-1"
                                 << "from 0 to 9223372036854775807";
        QTest::newRow("seed 2^64") << "seed"
                                   << "18446744073709551616"
                                   << "from 0 to 9223372036854775807";
        QTest::newRow("decoder") << "decoder"
                                 << "huge"
                                 << "one of tiny, full";
        QTest::newRow("engine") << "engine"
                                << "magic"
                                << "one of flashvsr, realesrgan, lanczos, bicubic";
        QTest::newRow("device") << "device"
                                << "tpu"
                                << "cpu, cuda or cuda:N";
        QTest::newRow("budget -1") << "memory-budget"
                                   << "-1"
                                   << "from 0 to 100000";
        QTest::newRow("overlap 8") << "tile_overlap"
                                   << "8"
                                   << "from 16 to 4096";
        QTest::newRow("overlap 24") << "tile-overlap"
                                    << "24"
                                    << "a multiple of 16";
    }
    void everyNumericOptionNamesItsRange() {
        QFETCH(QString, name);
        QFETCH(QString, value);
        QFETCH(QString, range);
        // GIVEN default settings WHEN an out-of-range value is set by name
        EngineSettings s;
        const Status st = setEngineOption(s, name.toStdString(), value.toStdString());
        // THEN it is refused, naming the option (CLI spelling), the range and the value
        QVERIFY(!st);
        QCOMPARE(st.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(message(st).startsWith("--" + QString(name).replace('_', '-')),
                 qPrintable(message(st)));
        QVERIFY2(message(st).contains(range), qPrintable(message(st)));
        QVERIFY2(message(st).contains("'" + value + "'"), qPrintable(message(st)));
        // AND the settings are unchanged
        QCOMPARE(s.scale.factor, 4.0);
        QCOMPARE(s.localRange, 11);
    }

    void typedValuesGetTheSameMessageAsText() {
        // GIVEN settings an app would fill in directly
        EngineSettings s;
        s.sparseRatio = 0;
        // THEN validation refuses them with the text path's message
        EngineSettings t;
        QCOMPARE(message(validateEngineSettings(s)),
                 message(setEngineOption(t, "sparse-ratio", "0")));
        s.sparseRatio = 64;  // the engine's true upper bound is valid
        QVERIFY(validateEngineSettings(s));
        s.scale.factor = 16;
        s.localRange = 255;
        QVERIFY(validateEngineSettings(s));
        s.scale.factor = 0;
        QVERIFY(message(validateEngineSettings(s)).contains("--scale must be a number from 1"));
    }

    void optionListsAndEnumsRoundTrip() {
        // GIVEN an --options list WHEN applied THEN every typed field is set
        EngineSettings s;
        QVERIFY(applyEngineOptions(s,
                                   "engine=bicubic,decoder=full,color_fix=wavelet,dtype=bf16,"
                                   "sparse_ratio=1.5,kv-ratio=2,local_range=9,seed=42,"
                                   "device=cuda:1,model-version=v1"));
        QCOMPARE(s.engine, EngineKind::Bicubic);
        QCOMPARE(s.decoder, DecoderKind::Full);
        QCOMPARE(s.colorFix, ColorFix::Wavelet);
        QCOMPARE(s.dtype, ComputeDtype::Bf16);
        QCOMPARE(s.sparseRatio, 1.5);
        QCOMPARE(s.kvRatio, 2.0);
        QCOMPARE(s.localRange, 9);
        QCOMPARE(s.seed, int64_t(42));
        QCOMPARE(s.device, std::string("cuda:1"));
        QCOMPARE(s.modelVersion, std::string("v1"));
        // AND names round-trip
        for (auto k : {EngineKind::FlashVsr, EngineKind::RealEsrgan, EngineKind::Lanczos,
                       EngineKind::Bicubic})
            QCOMPARE(engineKindFromString(toString(k)).value(), k);
        // AND a malformed or unknown entry is refused
        QVERIFY(!applyEngineOptions(s, "sparse_ratio"));
        QVERIFY(message(applyEngineOptions(s, "warp=9")).contains("unknown engine option"));
    }

    void defaultEngineFallsBackInOneOrder() {
        QCOMPARE(defaultEngine({true, true}), EngineKind::FlashVsr);
        QCOMPARE(defaultEngine({false, true}), EngineKind::RealEsrgan);
        QCOMPARE(defaultEngine({false, false}), EngineKind::Lanczos);
    }

    void encodeAndJobOptions() {
        EncodeSettings e;
        // crf: per codec
        QVERIFY(message(setEncodeOption(e, "crf", "999")).contains("from 0 to 63"));
        QVERIFY(message(setEncodeOption(e, "crf", "-5")).contains("'-5'"));
        QVERIFY(setEncodeOption(e, "crf", "55"));
        QVERIFY(message(validateEncodeSettings(e)).contains("from 0 to 51 for libx264"));
        e.codec = "libsvtav1";
        QVERIFY(validateEncodeSettings(e));
        // bitrate: units, range, no overflow
        QCOMPARE(parseBitrate("8M").value(), int64_t(8'000'000));
        QCOMPARE(parseBitrate("2500k").value(), int64_t(2'500'000));
        QVERIFY(!parseBitrate("99999999999999999999999M"));
        QVERIFY(message(setEncodeOption(e, "bitrate", "99999999999999999999999M"))
                    .contains("from 1k to 10G"));
        QVERIFY(!parseBitrate("12"));
        // time points: no exception on overflow, a message naming the limit
        TrimRange t;
        const Status big = setTrimPoint(t, "start", "99999999999999999999f");
        QVERIFY(!big);
        QVERIFY(message(big).contains("9223372036854775807"));
        QVERIFY(message(setTrimPoint(t, "end", "99999999999999999999")).contains("at most"));
        QVERIFY(setTrimPoint(t, "start", "1:02.5"));
        QCOMPARE(t.startUs, int64_t(62'500'000));
        QVERIFY(setTrimPoint(t, "end", "10"));
        QVERIFY(message(validateTrim(t)).contains("--end must be after --start"));
        TrimRange mixed;
        QVERIFY(setTrimPoint(mixed, "start", "5f"));
        QVERIFY(setTrimPoint(mixed, "end", "2.0"));
        QVERIFY(!validateTrim(mixed));
        // sizes: the documented 16384 maximum is reachable, one more is not
        ScaleRequest scale;
        QVERIFY(setScaleSize(scale, "16384x"));
        QCOMPARE(scale.targetWidth, 16384);
        QVERIFY(message(setScaleSize(scale, "16385x100")).contains("1 to 16384"));
        QVERIFY(!setScaleSize(scale, "0x100"));
        CropRect crop;
        QVERIFY(setCrop(crop, "32x16+2+4"));
        QCOMPARE(crop.width, 32);
        QVERIFY(!setCrop(crop, "99999999999x1+0+0"));
    }

    void outputNamingIsOneRule() {
        QTemporaryDir dir;
        const fs::path in = fs::path(dir.path().toStdString()) / "clip.mov";
        std::ofstream(in) << "x";
        EngineSettings e;
        e.engine = EngineKind::Lanczos;
        e.scale.factor = 2;
        // The CLI's default: NAME.flashvsr-x2.EXT beside the input
        QCOMPARE(resolveOutputPath(in, e, {}).filename().string(),
                 std::string("clip.flashvsr-x2.mov"));
        // A target size, another folder, a non-mp4/mov/mkv input
        e.scale.targetWidth = 1920;
        OutputNaming naming;
        naming.folder = "/elsewhere";
        QCOMPARE(resolveOutputPath(in.parent_path() / "a.y4m", e, naming).string(),
                 std::string("/elsewhere/a.flashvsr-1920x.mkv"));
        // The dialog's pattern with a counter, image sequences, separators neutralised
        e.scale = ScaleRequest{};
        naming = {};
        naming.pattern = "{name}_{engine}_{scale}";
        naming.extension = "mp4";
        naming.collision = OutputCollision::AddCounter;
        const fs::path first = resolveOutputPath(in, e, naming);
        QCOMPARE(first.filename().string(), std::string("clip_lanczos_x4.mp4"));
        std::ofstream(first) << "taken";
        QCOMPARE(resolveOutputPath(in, e, naming).filename().string(),
                 std::string("clip_lanczos_x4 (2).mp4"));
        naming.taken = {first.parent_path() / "clip_lanczos_x4 (2).mp4"};
        QCOMPARE(resolveOutputPath(in, e, naming).filename().string(),
                 std::string("clip_lanczos_x4 (3).mp4"));
        naming = {};
        naming.pattern = "{name}/{engine}";
        naming.extension = "png";
        QCOMPARE(resolveOutputPath(in, e, naming).filename().string(),
                 std::string("clip_lanczos_%06d.png"));
        // Never the input itself
        naming = {};
        naming.pattern = "{name}";
        naming.extension = "mov";
        QCOMPARE(resolveOutputPath(in, e, naming).filename().string(), std::string("clip (2).mov"));
    }

    void batchNeverWritesAnInput() {
        // GIVEN inputs A.mp4 and A.flashvsr-x2.mp4 (the second named like A's output), plus links
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const fs::path a = root / "A.mp4", b = root / "A.flashvsr-x2.mp4";
        std::ofstream(a) << "a";
        std::ofstream(b) << "b";
        fs::create_symlink(b, root / "sym.mp4");
        fs::create_hard_link(b, root / "hard.mp4");
        JobSpec ja{a, b, {}, {}, {}, {}};
        JobSpec jb{b, root / "B.out.mp4", {}, {}, {}, {}};
        // WHEN the batch is checked THEN A's output (the second input) is refused
        Status st = checkBatchPaths({ja, jb});
        QVERIFY(!st);
        QCOMPARE(st.error().code, ErrorCode::OutputIsInput);
        // AND through a symlink and a hard link too
        ja.output = root / "sym.mp4";
        QCOMPARE(checkBatchPaths({ja, jb}).error().code, ErrorCode::OutputIsInput);
        ja.output = root / "hard.mp4";
        QCOMPARE(checkBatchPaths({ja, jb}).error().code, ErrorCode::OutputIsInput);
        // AND two jobs writing one file are refused; distinct outputs pass
        ja.output = jb.output;
        QCOMPARE(checkBatchPaths({ja, jb}).error().code, ErrorCode::InvalidArgument);
        ja.output = root / "A.out.mp4";
        QVERIFY(checkBatchPaths({ja, jb}));
        // AND JobSpec::validate refuses its own input as output
        JobSpec self{a, root / "." / "A.mp4", {}, {}, {}, {}};
        QCOMPARE(self.validate().error().code, ErrorCode::OutputIsInput);
    }

    void jobAgainstItsSource() {
        StreamInfo info;
        info.width = 64;
        info.height = 48;
        info.frameCount = 30;
        info.frameCountExact = true;
        info.durationUs = 1'000'000;
        JobSpec job;
        job.trim.startFrame = 30;
        QVERIFY(message(job.validateAgainst(info)).contains("past the last frame"));
        job.trim = {};
        job.trim.startUs = 2'000'000;
        QVERIFY(message(job.validateAgainst(info)).contains("past the end"));
        job.trim = {};
        job.crop = CropRect{40, 0, 32, 16};
        QVERIFY(message(job.validateAgainst(info)).contains("does not fit"));
        job.crop = CropRect{32, 0, 32, 16};
        QVERIFY(job.validateAgainst(info));
    }
};

QTEST_GUILESS_MAIN(TestOptionTable)
#include "test_option_table.moc"
