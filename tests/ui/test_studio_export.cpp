// flashvsr-studio --export OUT FILE: the app exports a clip through its own export queue model and
// runner (the automation the GPU machine's proof uses). Checked with ffprobe: the output has every
// input frame at the scaled size; bad input exits 1 with a message and writes nothing; the user's
// export queue file is never created. Runs under xvfb-run (Mesa llvmpipe); clips are generated at
// test time; the FlashVSR case runs the reduced v1.1 model (tests/data/parity/e2e_v11) on the CPU.
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include "ui_test_support.h"

namespace {

using Run = fvs::ui::test::ProcessRun;

struct Probe {
    int frames = -1;
    QSize size;
    QString codec;
};

// ffprobe decodes every frame (-count_frames): the count does not trust the container's header.
Probe probe(const QString& path) {
    QProcess p;
    p.start(
        QStringLiteral("ffprobe"),
        {QStringLiteral("-v"), QStringLiteral("error"), QStringLiteral("-count_frames"),
         QStringLiteral("-select_streams"), QStringLiteral("v:0"), QStringLiteral("-show_entries"),
         QStringLiteral("stream=codec_name,width,height,nb_read_frames"), QStringLiteral("-of"),
         QStringLiteral("default=noprint_wrappers=1"), path});
    Probe r;
    if (!p.waitForFinished(60000) || p.exitCode() != 0)
        return r;
    const QString text = QString::fromLocal8Bit(p.readAllStandardOutput());
    auto field = [&](const QString& key) {
        const auto m = QRegularExpression(QStringLiteral("^%1=(\\S+)$").arg(key),
                                          QRegularExpression::MultilineOption)
                           .match(text);
        return m.hasMatch() ? m.captured(1) : QString();
    };
    r.frames = field(QStringLiteral("nb_read_frames")).toInt();
    r.size = QSize(field(QStringLiteral("width")).toInt(), field(QStringLiteral("height")).toInt());
    r.codec = field(QStringLiteral("codec_name"));
    return r;
}

}  // namespace

class TestStudioExport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFileInfo::exists(QStringLiteral(FVS_STUDIO_BINARY)), FVS_STUDIO_BINARY);
        m_clip =
            fvs::ui::test::makeClip(QDir(m_dir.path()), QStringLiteral("clip.mp4"), 12, 64, 48);
        QVERIFY2(!m_clip.isEmpty(), "ffmpeg could not generate the test clip");
        m_tiny = fvs::ui::test::makeClip(QDir(m_dir.path()), QStringLiteral("tiny.mp4"), 9, 64, 48);
        QVERIFY(!m_tiny.isEmpty());
        QCOMPARE(probe(m_clip).frames, 12);
        QCOMPARE(probe(m_tiny).frames, 9);
    }

    void helpListsExport() {
        const Run help = run({QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY2(help.out.contains(QStringLiteral("--export <OUT>")), qPrintable(help.out));
        QVERIFY(help.out.contains(QStringLiteral("--scale <FACTOR>")));
    }

    void lanczosExportWritesEveryFrameScaled() {
        // GIVEN a 12-frame 64x48 clip
        const QString out = path(QStringLiteral("lanczos.mkv"));
        // WHEN the app exports it with Lanczos (default factor 4, .mkv: FFV1)
        const Run r = run({QStringLiteral("--export"), out, QStringLiteral("--engine"),
                           QStringLiteral("lanczos"), m_clip});
        // THEN the job is done and the app says so
        QVERIFY(r.finished);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
        QVERIFY2(r.out.contains(QStringLiteral("state: done")), qPrintable(r.out));
        QVERIFY(r.out.contains(QStringLiteral("output: ") + out));
        QVERIFY(r.out.contains(QStringLiteral("frames written: 12 of 12")));
        QVERIFY(r.out.contains(QStringLiteral("engine: lanczos (lanczos 64x48->256x192)")));
        // AND the file has all 12 frames at 4x in FFV1
        const Probe p = probe(out);
        QCOMPARE(p.frames, 12);
        QCOMPARE(p.size, QSize(256, 192));
        QCOMPARE(p.codec, QStringLiteral("ffv1"));
        // AND the user's export queue was not touched (the run used a queue of its own)
        QVERIFY(!QFileInfo::exists(queueFile()));
    }

    void scaleOptionIsHonoured() {
        const QString out = path(QStringLiteral("x2.mkv"));
        const Run r = run({QStringLiteral("--export"), out, QStringLiteral("--engine"),
                           QStringLiteral("bicubic"), QStringLiteral("--scale"),
                           QStringLiteral("2"), m_clip});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
        const Probe p = probe(out);
        QCOMPARE(p.frames, 12);
        QCOMPARE(p.size, QSize(128, 96));
        QVERIFY2(r.out.contains(QStringLiteral("engine: bicubic")), qPrintable(r.out));
    }

    void flashVsrExportWithModelsFolder() {
        // GIVEN the reduced v1.1 model folder and a 9-frame clip
        const QString models = QStringLiteral(FVS_SOURCE_DIR "/tests/data/parity/e2e_v11");
        if (!QFileInfo::exists(models + QStringLiteral("/flashvsr_config.json")))
            QSKIP("the reduced model folder is missing");
        const QString out = path(QStringLiteral("flashvsr.mkv"));
        // WHEN the app exports it with FlashVSR from --models
        const Run r = run({QStringLiteral("--export"), out, QStringLiteral("--engine"),
                           QStringLiteral("flashvsr"), QStringLiteral("--models"), models, m_tiny});
        // THEN this build either has FlashVSR and exports every frame...
        if (r.err.contains(QStringLiteral("unknown engine 'flashvsr'")))
            QSKIP("this build has no FlashVSR engine");
        QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
        QVERIFY(r.out.contains(QStringLiteral("frames written: 9 of 9")));
        QVERIFY2(r.out.contains(QStringLiteral("engine: flashvsr (FlashVSR v1.1")),
                 qPrintable(r.out));
        const Probe p = probe(out);
        QCOMPARE(p.frames, 9);
        QCOMPARE(p.size, QSize(256, 192));
        // AND the models status (what the Source panel shows) is the --models folder, not the
        // saved setting (none here)
        const auto m =
            QRegularExpression(QStringLiteral("^models: FlashVSR v1\\.1 weights in (.+)$"),
                               QRegularExpression::MultilineOption)
                .match(r.out);
        QVERIFY2(m.hasMatch(), qPrintable(r.out));
        QCOMPARE(QFileInfo(m.captured(1)).canonicalFilePath(),
                 QFileInfo(models).canonicalFilePath());
    }

    void timeoutStopsTheJobAndLeavesNothing() {
        // GIVEN FlashVSR on the CPU over 40 frames (seconds of work) and a 1 s limit
        const QString models = QStringLiteral(FVS_SOURCE_DIR "/tests/data/parity/e2e_v11");
        if (!QFileInfo::exists(models + QStringLiteral("/flashvsr_config.json")))
            QSKIP("the reduced model folder is missing");
        const QString long40 =
            fvs::ui::test::makeClip(QDir(m_dir.path()), QStringLiteral("long.mp4"), 40, 64, 48);
        QVERIFY(!long40.isEmpty());
        QDir folder(path(QStringLiteral("timeout")));
        QVERIFY(folder.mkpath(QStringLiteral(".")));
        const QString out = folder.filePath(QStringLiteral("late.mkv"));
        // WHEN the export runs out of time
        const Run r = run({QStringLiteral("--export"), out, QStringLiteral("--engine"),
                           QStringLiteral("flashvsr"), QStringLiteral("--models"), models,
                           QStringLiteral("--timeout"), QStringLiteral("1"), long40});
        if (r.err.contains(QStringLiteral("unknown engine 'flashvsr'")))
            QSKIP("this build has no FlashVSR engine");
        // THEN it exits 1 saying so, and neither the output nor the job's segments are left
        QVERIFY(r.finished);
        QVERIFY2(r.exitCode == 1, qPrintable(r.err + r.out));
        QVERIFY2(r.err.contains(QStringLiteral("did not finish in 1 s")), qPrintable(r.err));
        const QStringList left =
            folder.entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QLatin1Char(' '))));
    }

    void badInputExitsOneWithAMessage() {
        // An existing output (kept as it was), a missing input, an extension with no preset, a
        // missing output folder, no input, two inputs, a bad scale, a FlashVSR run without weights.
        const QString existing = path(QStringLiteral("existing.mkv"));
        {
            QFile f(existing);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("keep me");
        }
        const QString fresh = path(QStringLiteral("fresh.mkv"));
        const QString lanczos = QStringLiteral("--engine=lanczos");
        const QList<QStringList> cases{
            {QStringLiteral("--export"), existing, lanczos, m_clip},
            {QStringLiteral("--export"), fresh, lanczos, path(QStringLiteral("missing.mp4"))},
            {QStringLiteral("--export"), path(QStringLiteral("out.avi")), lanczos, m_clip},
            {QStringLiteral("--export"), path(QStringLiteral("no/such/dir/out.mkv")), lanczos,
             m_clip},
            {QStringLiteral("--export"), fresh, lanczos},
            {QStringLiteral("--export"), fresh, lanczos, m_clip, m_tiny},
            {QStringLiteral("--export"), fresh, lanczos, QStringLiteral("--scale=0"), m_clip},
            {QStringLiteral("--export"), fresh, QStringLiteral("--engine=flashvsr"),
             QStringLiteral("--models"), m_dir.path(), m_clip},
        };
        for (const QStringList& args : cases) {
            const Run r = run(args);
            const QString what = args.join(' ') + QStringLiteral(" -> ") +
                                 QString::number(r.exitCode) + QLatin1Char(' ') + r.err;
            QVERIFY2(r.finished, qPrintable(what));
            QVERIFY2(r.exitCode == 1, qPrintable(what));
            QVERIFY2(r.err.contains(QStringLiteral("flashvsr-studio:")), qPrintable(what));
            QVERIFY2(!QFileInfo::exists(fresh), qPrintable(what));
        }
        QFile kept(existing);
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), QByteArray("keep me"));
        QVERIFY(!QFileInfo::exists(queueFile()));
    }

private:
    QString path(const QString& name) const { return QDir(m_dir.path()).filePath(name); }
    QString queueFile() const { return path(QStringLiteral("home/queue.json")); }

    // The user's settings, recent files and export queue stay untouched: all under the temp dir.
    QProcessEnvironment isolated() const {
        QProcessEnvironment env =
            fvs::ui::test::isolatedAppEnvironment(path(QStringLiteral("home")), queueFile());
        env.remove(QStringLiteral("FLASHVSR_MODELS"));
        return env;
    }

    Run run(const QStringList& args) const {
        return fvs::ui::test::runProcess(QStringLiteral(FVS_STUDIO_BINARY), args, isolated());
    }

    QTemporaryDir m_dir;
    QString m_clip;
    QString m_tiny;
};

QTEST_GUILESS_MAIN(TestStudioExport)
#include "test_studio_export.moc"
