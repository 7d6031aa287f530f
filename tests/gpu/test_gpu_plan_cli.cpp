// `flashvsr upscale --plan` and `--memory-budget` as a user runs them (issue 11 §1): the plan in
// text and JSON, tiles chosen when the budget is small, a tiled export end to end, and bad values.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "cli_test_util.h"
#include "pipeline_test_util.h"

class TestGpuPlanCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_clip;
    const QString m_models = QStringLiteral(FVS_SOURCE_DIR "/tests/data/parity/e2e_v11");

    using Run = fvs::test::CliRun;
    static Run flashvsr(const QStringList& args, int timeoutMs = 120000) {
        return fvs::test::flashvsr(args, QProcessEnvironment::systemEnvironment(), timeoutMs);
    }
    QStringList planArgs(const QStringList& extra) const {
        return QStringList{"upscale", m_clip,     "--engine", "flashvsr", "--models",
                           m_models,  "--device", "cpu",      "--plan"} +
               extra;
    }
    static QJsonObject json(const Run& r) { return fvs::test::lastJsonLine(r.out); }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_clip = m_dir.filePath("clip.mp4");
        QVERIFY(fvs::test::makeCfrClip(m_clip, 25));  // 64x48 → 256x192 at x4
    }

    void planShowsTheWholeFrameWithoutALimit() {
        // WHEN the plan is asked on the CPU without a budget
        const Run r = flashvsr(planArgs({}));
        // THEN one line: the whole frame and what it needs; nothing is written
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("FlashVSR at 256x192: whole frame, needs about"),
                 qPrintable(r.out));
        QVERIFY(r.out.contains("no memory limit"));
        QVERIFY(!QFile::exists(m_dir.filePath("clip.flashvsr-x4.mp4")));
        // AND as JSON with --progress json
        const auto j = json(flashvsr(planArgs({"--progress", "json"})));
        QCOMPARE(j["event"].toString(), QString("plan"));
        QCOMPARE(j["plan"].toString(), QString("whole-frame"));
        QCOMPARE(j["fits"].toBool(), true);
        QCOMPARE(j["width"].toInt(), 256);
        QCOMPARE(j["height"].toInt(), 192);
        QCOMPARE(j["tiles"].toArray().size(), 1);
        QVERIFY(j["neededBytes"].toDouble() > 0);
        QVERIFY(j["weightBytes"].toDouble() > 0);
    }

    void aSmallBudgetGivesTiles() {
        // GIVEN a budget just below what the whole frame needs (plus the weights)
        const auto whole = json(flashvsr(planArgs({"--progress", "json", "--tile-overlap", "32"})));
        const double bytes =
            whole["weightBytes"].toDouble() + whole["neededBytes"].toDouble() / 0.9 - (1 << 20);
        const QString gib = QString::number(bytes / (1 << 30), 'f', 12);
        // WHEN the plan is asked with it
        const Run r = flashvsr(
            planArgs({"--progress", "json", "--tile-overlap", "32", "--memory-budget", gib}));
        // THEN tiles that fit, each with its output window and source pixels
        QCOMPARE(r.code, 0);
        const auto j = json(r);
        QCOMPARE(j["plan"].toString(), QString("tiles"));
        QCOMPARE(j["fits"].toBool(), true);
        QCOMPARE(j["overlap"].toInt(), 32);
        QVERIFY(j["neededBytes"].toDouble() <= j["availableBytes"].toDouble() * 0.9);
        const auto tiles = j["tiles"].toArray();
        QCOMPARE(tiles.size(), j["columns"].toInt() * j["rows"].toInt());
        QVERIFY(tiles.size() >= 2);
        for (const auto& t : tiles) {
            const auto src = t.toObject()["source"].toObject();
            QVERIFY(src["width"].toInt() > 0 && src["x"].toInt() + src["width"].toInt() <= 64);
        }
        // AND the export with that budget runs tiled: every frame out, tagged with the tiling
        const QString out = m_dir.filePath("tiled.mkv");
        const Run run = flashvsr({"upscale", m_clip, "-o", out, "--engine", "flashvsr", "--models",
                                  m_models, "--device", "cpu", "--tile-overlap", "32",
                                  "--memory-budget", gib, "--codec", "ffv1", "--progress", "none"},
                                 600000);
        QVERIFY2(run.code == 0, qPrintable(run.err));
        auto decoded = fvs::test::decodeClip(out.toStdString());
        QVERIFY(decoded);
        QCOMPARE(static_cast<int>(decoded->ptsUs.size()), 25);
        QCOMPARE(decoded->width, 256);
        QCOMPARE(decoded->height, 192);
        QProcess probe;
        probe.start("ffprobe", {"-v", "error", "-show_entries", "format_tags=flashvsr_settings",
                                "-of", "default=nw=1:nk=1", out});
        QVERIFY(probe.waitForFinished(30000));
        const QByteArray tag = probe.readAllStandardOutput();
        QVERIFY2(tag.contains("tiles=") && tag.contains("tile_overlap=32"), tag.constData());
    }

    void aBudgetBelowTheWeightsDoesNotFit() {
        // WHEN the budget cannot even hold the weights THEN exit 8 and a message naming it
        const Run r = flashvsr(planArgs({"--memory-budget", "0.000001"}));
        QCOMPARE(r.code, 8);
        QVERIFY2(r.out.contains("needs about") && r.out.contains("--memory-budget"),
                 qPrintable(r.out));
    }

    void badValuesAreUsageErrors() {
        // WHEN the budget or the overlap is out of range THEN exit 1 naming the option
        Run r = flashvsr(planArgs({"--memory-budget", "-1"}));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--memory-budget must be"), qPrintable(r.err));
        r = flashvsr(planArgs({"--tile-overlap", "24"}));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--tile-overlap must be a multiple of 16"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestGpuPlanCli)
#include "test_gpu_plan_cli.moc"
