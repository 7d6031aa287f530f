// The flashvsr command line, run as a user would: exit codes, messages, outputs, bad inputs,
// SIGINT, and crash resume (SIGKILL mid-export, then resume, compared with an uninterrupted run).
#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>

#include "cli_test_util.h"
#include "pipeline_test_util.h"

using namespace fvs::test;
namespace fs = std::filesystem;

namespace {

using Run = CliRun;

}  // namespace

class TestCli : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_clip;  // 64x48, 30 frames, with audio

    QString path(const QString& name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(QFileInfo(FLASHVSR_BIN).isExecutable());
        m_clip = path("clip.mp4");
        QVERIFY(makeCfrClip(m_clip, 30));
    }

    void versionHelpAndUsage() {
        Run v = flashvsr({"--version"});
        QCOMPARE(v.code, 0);
        QVERIFY(v.out.startsWith("flashvsr "));
        // AND --verbose says what the compute backend is and what FlashVSR can do on it
        Run vv = flashvsr({"--version", "--verbose"});
        QCOMPARE(vv.code, 0);
        QVERIFY(vv.out.startsWith("flashvsr "));
        for (const char* line : {"\ntorch ", "\nCUDA in this build: ", "\nGPU: ", "\nFlashVSR: "})
            QVERIFY2(vv.out.contains(line), qPrintable(vv.out));
        for (const char* cmd : {"upscale", "probe", "queue", "bench"}) {
            Run h = flashvsr({cmd, "--help"});
            QCOMPARE(h.code, 0);
            QVERIFY2(h.out.contains("Usage") || h.out.contains("usage"), cmd);
        }
        QCOMPARE(flashvsr({}).code, 1);
        QCOMPARE(flashvsr({"frobnicate"}).code, 1);
        QCOMPARE(flashvsr({"upscale", m_clip, "--scale", "two"}).code, 1);
        QCOMPARE(flashvsr({"upscale", m_clip, "--engine", "magic"}).code, 1);
        QCOMPARE(flashvsr({"upscale", m_clip, "--start", "soon"}).code, 1);
    }

    void upscaleDefaultNameJsonProgressAndProbe() {
        // GIVEN a clip WHEN upscaled x2 with JSON progress
        QDir().mkpath(path("one"));
        const QString in = path("one/clip.mp4");
        QVERIFY(QFile::copy(m_clip, in));
        Run r = flashvsr({"upscale", in, "--engine", "lanczos", "--scale", "2", "--preset",
                          "ultrafast", "--progress", "json"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        // THEN NAME.flashvsr-x2.EXT beside it, every line JSON, the last an "end" event
        const QString out = path("one/clip.flashvsr-x2.mp4");
        QVERIFY(QFile::exists(out));
        for (const auto& line : r.out.split('\n', Qt::SkipEmptyParts))
            QVERIFY2(!QJsonDocument::fromJson(line.toUtf8()).isNull(), qPrintable(line));
        QJsonObject end = lastJsonLine(r.out);
        QCOMPARE(end["event"].toString(), QString("end"));
        QCOMPARE(end["status"].toString(), QString("done"));
        QVERIFY(r.out.contains("\"frames\":30"));
        // AND the output has every frame at the source's timestamps, twice the size
        auto a = decodeClip(in.toStdString());
        auto b = decodeClip(out.toStdString());
        QVERIFY(a && b);
        QCOMPARE(b->ptsUs, a->ptsUs);
        QCOMPARE(b->width, 128);
        // AND probe prints JSON about it
        Run p = flashvsr({"probe", out});
        QCOMPARE(p.code, 0);
        QJsonObject info = QJsonDocument::fromJson(p.out.toUtf8()).object();
        QVERIFY(!info.isEmpty());
        QVERIFY(p.out.contains("128"));
        // AND --size names the output by the size; trims cut exactly
        Run s = flashvsr({"upscale", in, "--engine", "bicubic", "--size", "96x72", "--start", "5f",
                          "--end", "15f", "--progress", "none"});
        QVERIFY2(s.code == 0, qPrintable(s.err));
        auto c = decodeClip(path("one/clip.flashvsr-96x72.mp4").toStdString());
        QVERIFY(c);
        QCOMPARE(c->ptsUs.size(), size_t(10));
        QCOMPARE(c->width, 96);
    }

    void batchOfFolderAndPartialFailure() {
        // GIVEN a folder with two clips WHEN upscaled into an output folder THEN both exist
        QDir().mkpath(path("batch"));
        QDir().mkpath(path("batch-out"));
        QVERIFY(QFile::copy(m_clip, path("batch/a.mp4")));
        QVERIFY(QFile::copy(m_clip, path("batch/b.mov")));
        Run r = flashvsr({"upscale", path("batch"), "--output-dir", path("batch-out"), "--engine",
                          "lanczos", "--scale", "2", "--progress", "none"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(QFile::exists(path("batch-out/a.flashvsr-x2.mp4")));
        QVERIFY(QFile::exists(path("batch-out/b.flashvsr-x2.mov")));
        // GIVEN one good and one bogus input THEN exit 7, the good one done
        QFile bogus(path("batch/c.mp4"));
        QVERIFY(bogus.open(QIODevice::WriteOnly));
        bogus.write("not a video at all\n");
        bogus.close();
        Run p = flashvsr({"upscale", path("batch/a.mp4"), path("batch/c.mp4"), "--output-dir",
                          path("batch-out"), "--engine", "lanczos", "--scale", "2", "--overwrite",
                          "--progress", "none"});
        QCOMPARE(p.code, 7);
        QVERIFY(p.err.contains("c.mp4"));
        QVERIFY(!QFile::exists(path("batch-out/c.flashvsr-x2.mp4")));
        // AND -o with several inputs is a usage error
        QCOMPARE(
            flashvsr({"upscale", path("batch"), "-o", path("x.mp4"), "--engine", "lanczos"}).code,
            1);
    }

    void flashvsrEngineWithoutWeightsExplains() {
        // GIVEN no FlashVSR weights anywhere WHEN --engine flashvsr is asked for THEN exit 3
        // naming what to do
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_DATA_HOME", path("empty-xdg"));
        env.insert("FLASHVSR_MODELS", path("no-models"));
        Run r = flashvsr({"upscale", m_clip, "--engine", "flashvsr", "--progress", "none"}, env);
        QCOMPARE(r.code, 3);
        QVERIFY2(r.err.contains("--engine lanczos"), qPrintable(r.err));
        QVERIFY(!QFile::exists(path("clip.flashvsr-x4.mp4")));
    }

    void defaultEngineWithoutFlashVsrIsRealEsrgan() {
#ifdef FVS_HAVE_TORCH
        // GIVEN no FlashVSR weights (Real-ESRGAN's come with the setup) WHEN no engine is named
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_DATA_HOME", path("empty-xdg"));
        env.insert("FLASHVSR_MODELS", path("no-models"));
        const QString out = path("default-engine.mp4");
        Run r = flashvsr(
            {"upscale", m_clip, "-o", out, "--scale", "2", "--end", "4f", "--progress", "none"},
            env);
        // THEN Real-ESRGAN upscales every frame of the range and the command says so
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("engine realesrgan"), qPrintable(r.err));
        QProcess probe;
        probe.start("ffprobe",
                    {"-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                     "stream=width,nb_read_frames", "-of", "csv=p=0", out});
        QVERIFY(probe.waitForFinished(30000));
        QCOMPARE(QString(probe.readAllStandardOutput()).trimmed(), QStringLiteral("128,4"));
#else
        QSKIP("built without LibTorch: no Real-ESRGAN");
#endif
    }

    void flashvsrEngineWithReducedModelIsFrameExact() {
#ifdef FVS_HAVE_TORCH
        // GIVEN the reduced model folder of the parity goldens (release file formats, tiny widths)
        const QString models = QStringLiteral(FVS_SOURCE_DIR "/tests/data/parity/e2e_v11");
        Run check = flashvsr({"models", "check", models});
        QVERIFY2(check.code == 0, qPrintable(check.out + check.err));
        // WHEN the 64x48 clip of 30 frames is upscaled x4 with FlashVSR on the CPU
        const QString out = path("flashvsr-engine.mp4");
        Run r = flashvsr({"upscale", m_clip, "-o", out, "--engine", "flashvsr", "--models", models,
                          "--preset", "ultrafast", "--progress", "none"},
                         QProcessEnvironment::systemEnvironment(), 600000);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        // THEN every input frame comes out once at its timestamp, 256x192 (192 is no multiple of
        // 128: padded for the model and cropped back, never centre-cropped away)
        auto a = decodeClip(m_clip.toStdString());
        auto b = decodeClip(out.toStdString());
        QVERIFY(a && b);
        QCOMPARE(b->ptsUs, a->ptsUs);
        QCOMPARE(b->width, 256);
        QCOMPARE(b->height, 192);
#else
        QSKIP("built without LibTorch");
#endif
    }

    void debugBlockChecksTaps() {
#ifdef FVS_HAVE_TORCH
        // GIVEN the reduced model folder and the reference's taps of one of its blocks
        const QString models = QStringLiteral(FVS_SOURCE_DIR "/tests/data/parity/e2e_v11");
        const QString taps =
            QStringLiteral(FVS_SOURCE_DIR "/tests/data/parity/block_taps/taps.safetensors");
        // WHEN `debug block` runs in fp32 on the CPU with a JSON report
        const QString json = path("block.json");
        Run r = flashvsr({"debug", "block", "--models", models, "--taps", taps, "--options",
                          "device=cpu,dtype=fp32", "--tol", "1e-4", "--json", json});
        // THEN it passes (exit 0), prints a line per block and writes the report
        QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains("block 1: x_out rel"), qPrintable(r.out));
        QVERIFY(r.out.contains("PASS"));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto report = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(report.value("pass").toBool(), true);
        QCOMPARE(report.value("blocks").toArray().size(), 1);
        // AND an impossible tolerance fails with exit 1 and FAIL
        Run strict = flashvsr({"debug", "block", "--models", models, "--taps", taps, "--options",
                               "device=cpu,dtype=fp32", "--tol", "1e-30"});
        QCOMPARE(strict.code, 1);
        QVERIFY(strict.out.contains("FAIL"));
        // AND bad arguments and a missing tap file are clear errors
        QCOMPARE(flashvsr({"debug", "block", "--models", models}).code, 1);
        QCOMPARE(
            flashvsr({"debug", "block", "--models", models, "--taps", taps, "--tol", "x"}).code, 1);
        Run missing = flashvsr({"debug", "block", "--models", models, "--taps", path("none")});
        QCOMPARE(missing.code, 2);
        QVERIFY(missing.err.contains("does not exist"));
#else
        QSKIP("built without LibTorch");
#endif
    }

    void badInputs_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("expected");
        QTest::newRow("missing file") << "missing" << 2;
        QTest::newRow("empty directory") << "dir" << 2;
        QTest::newRow("zero-byte file") << "zero" << 2;
        QTest::newRow("text named .mp4") << "text" << 2;
        QTest::newRow("truncated mp4") << "truncated" << 2;
        QTest::newRow("audio but no video") << "audio" << 2;
        QTest::newRow("100000x100000") << "huge" << 1;
        QTest::newRow("unwritable output") << "unwritable" << 4;
        QTest::newRow("output == input") << "same" << 4;
        QTest::newRow("output == input via symlink") << "symlink" << 4;
        QTest::newRow("existing output") << "exists" << 4;
    }
    void badInputs() {
        QFETCH(QString, kind);
        QFETCH(int, expected);
        const QString dir = path("bad-" + kind);
        QDir().mkpath(dir);
        QString input = dir + "/in.mp4";
        QString output = dir + "/out.mp4";
        QStringList extra;
        if (kind == "missing") {
            input = dir + "/nope.mp4";
        } else if (kind == "dir") {
            input = dir + "/empty";
            QDir().mkpath(input);
        } else if (kind == "zero") {
            QFile f(input);
            QVERIFY(f.open(QIODevice::WriteOnly));
        } else if (kind == "text") {
            QFile f(input);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("hello, I am a text file\n");
        } else if (kind == "truncated") {
            QFile src(m_clip);
            QVERIFY(src.open(QIODevice::ReadOnly));
            QFile f(input);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(src.read(src.size() / 3));
        } else if (kind == "audio") {
            input = dir + "/in.m4a";
            QVERIFY(runFfmpeg({"-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", input}));
        } else {
            QVERIFY(QFile::copy(m_clip, input));
            if (kind == "huge")
                extra << "--size"
                      << "100000x100000";
            if (kind == "unwritable") {
                // A regular file where a folder should be: unwritable even for root.
                QFile blocker(dir + "/file");
                QVERIFY(blocker.open(QIODevice::WriteOnly));
                output = dir + "/file/out.mp4";
            }
            if (kind == "same")
                output = input, extra << "--overwrite";
            if (kind == "symlink") {
                QVERIFY(QFile::link(input, dir + "/link.mp4"));
                output = dir + "/link.mp4";
                extra << "--overwrite";
            }
            if (kind == "exists") {
                QFile f(output);
                QVERIFY(f.open(QIODevice::WriteOnly));
                f.write("keep me");
            }
        }
        const QByteArray before = sha256(input);
        const QByteArray outBefore = sha256(output);
        if (kind != "huge")
            extra << "--scale"
                  << "2";
        Run r = flashvsr(QStringList{"upscale", input, "-o", output, "--engine", "lanczos",
                                     "--progress", "none"} +
                         extra);
        // THEN a clear message, the documented code, no crash
        QVERIFY(!r.crashed);
        QVERIFY2(r.code == expected,
                 qPrintable(QString("code %1, stderr: %2").arg(r.code).arg(r.err)));
        QVERIFY2(r.err.startsWith("flashvsr: error: "), qPrintable(r.err));
        QVERIFY(r.err.size() < 2000);
        // AND the source is untouched, nothing new under the final name, no .part left
        QCOMPARE(sha256(input), before);
        QCOMPARE(sha256(output), outBefore);
        QVERIFY(!QFile::exists(output + ".part"));
    }

    void fullDisk() {
        // GIVEN a 2 MiB tmpfs as the output folder (needs root and mount)
        const QString mnt = path("tiny");
        QDir().mkpath(mnt);
        if (::geteuid() != 0 ||
            ::mount("tmpfs", mnt.toUtf8().constData(), "tmpfs", 0, "size=2M") != 0)
            QSKIP(
                "cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN); ENOSPC untested");
        const QString out = mnt + "/big.mkv";
        const QString in = path("disk-src.mp4");
        if (!QFile::exists(in))
            QVERIFY(makeCfrClip(in, 60, "160x120"));
        // WHEN a lossless 8x upscale (about 1 MB a frame) is written there
        Run r = flashvsr({"upscale", in, "-o", out, "--engine", "lanczos", "--scale", "8",
                          "--codec", "ffv1", "--progress", "none"});
        const QStringList left = QDir(mnt).entryList(QDir::Files | QDir::Hidden);
        ::umount(mnt.toUtf8().constData());
        // THEN exit 5 and nothing left behind
        QVERIFY2(r.code == 5, qPrintable(QString("code %1: %2").arg(r.code).arg(r.err)));
        QVERIFY(r.err.contains("space") || r.err.contains("full"));
        QVERIFY2(left.isEmpty(), qPrintable(left.join(",")));
    }

    void sigintCancelsCleanly() {
        // GIVEN a long export WHEN SIGINT arrives after the first progress line
        const QString in = path("long.mp4");
        QVERIFY(makeCfrClip(in, 400, "320x240"));
        const QString out = path("sigint-out.mkv");
        QProcess p;
        p.start(FLASHVSR_BIN, {"upscale", in, "-o", out, "--engine", "lanczos", "--scale", "4",
                               "--codec", "ffv1", "--progress", "json"});
        QVERIFY(p.waitForStarted());
        QVERIFY(p.waitForReadyRead(30000));
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(30000));
        // THEN exit 6, nothing under the final name, no .part
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 6);
        QVERIFY(!QFile::exists(out));
        QVERIFY(!QFile::exists(out + ".part"));
    }

    void crashResumeEqualsUninterrupted() {
        // GIVEN a queue with one lossless job in 20-frame segments
        const QString in = path("resume.mp4");
        QVERIFY(makeCfrClip(in, 200, "320x240"));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        const QString queue = path("queue/queue.json");
        env.insert("FLASHVSR_QUEUE", queue);
        const QString out = path("resumed.mkv");
        Run add = flashvsr({"queue", "add", in, "-o", out, "--engine", "lanczos", "--scale", "2",
                            "--codec", "ffv1", "--segment-frames", "20"},
                           env);
        QVERIFY2(add.code == 0, qPrintable(add.err));

        // WHEN `queue run` is SIGKILLed after its first segment is recorded
        QProcess runner;
        runner.setProcessEnvironment(env);
        runner.start(FLASHVSR_BIN, {"queue", "run", "--progress", "none"});
        QVERIFY(runner.waitForStarted());
        auto segmentsInQueue = [&] {
            QFile f(queue);
            if (!f.open(QIODevice::ReadOnly))
                return 0;
            auto jobs = QJsonDocument::fromJson(f.readAll()).object()["jobs"].toArray();
            return jobs.isEmpty() ? 0 : int(jobs[0].toObject()["segments"].toArray().size());
        };
        QTRY_VERIFY_WITH_TIMEOUT(segmentsInQueue() >= 1 || runner.state() == QProcess::NotRunning,
                                 60000);
        QVERIFY2(runner.state() == QProcess::Running,
                 "the export finished before it could be killed");
        runner.kill();  // SIGKILL
        QVERIFY(runner.waitForFinished());
        QVERIFY(!QFile::exists(out));

        // THEN the queue shows it interrupted
        Run list = flashvsr({"queue", "list", "--json"}, env);
        QCOMPARE(list.code, 0);
        const QJsonObject job = QJsonDocument::fromJson(list.out.toUtf8()).array()[0].toObject();
        QCOMPARE(job["state"].toString(), QString("interrupted"));
        const int segmentsBefore = job["segments"].toInt();
        QVERIFY(segmentsBefore >= 1);

        // WHEN resumed THEN it continues after the completed segments (not from scratch)
        Run resume = flashvsr({"queue", "resume", "--progress", "json"}, env);
        QVERIFY2(resume.code == 0, qPrintable(resume.err));
        const auto lines = resume.out.split('\n', Qt::SkipEmptyParts);
        int firstFrames = -1;
        for (const auto& l : lines) {
            auto o = QJsonDocument::fromJson(l.toUtf8()).object();
            if (o["event"].toString() == "progress") {
                firstFrames = o["frames"].toInt();
                break;
            }
        }
        QVERIFY2(firstFrames > 20 * segmentsBefore - 1, qPrintable(resume.out.left(500)));
        Run done = flashvsr({"queue", "list", "--json"}, env);
        QCOMPARE(
            QJsonDocument::fromJson(done.out.toUtf8()).array()[0].toObject()["state"].toString(),
            QString("done"));

        // AND the result equals an uninterrupted export frame for frame, bit for bit
        const QString ref = path("uninterrupted.mkv");
        Run u = flashvsr({"upscale", in, "-o", ref, "--engine", "lanczos", "--scale", "2",
                          "--codec", "ffv1", "--progress", "none"});
        QVERIFY2(u.code == 0, qPrintable(u.err));
        auto a = decodeClip(ref.toStdString());
        auto b = decodeClip(out.toStdString());
        QVERIFY(a && b);
        QCOMPARE(b->ptsUs.size(), size_t(200));
        QCOMPARE(b->ptsUs, a->ptsUs);
        for (size_t i = 0; i < a->rgb.size(); ++i)
            QVERIFY2(a->rgb[i] == b->rgb[i], qPrintable(QString("frame %1 differs").arg(i)));
    }

    void queueRestartDropsSegmentsAndRendersFromZero() {
        // GIVEN a job in 20-frame segments, paused by `queue pause` after its first segment
        const QString in = path("restart.mp4");
        QVERIFY(makeCfrClip(in, 240, "320x240"));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        const QString queue = path("q-restart/queue.json");
        env.insert("FLASHVSR_QUEUE", queue);
        const QString out = path("restarted.mkv");
        Run add = flashvsr({"queue", "add", in, "-o", out, "--engine", "lanczos", "--scale", "2",
                            "--codec", "ffv1", "--segment-frames", "20"},
                           env);
        QVERIFY2(add.code == 0, qPrintable(add.err));
        // a queued job has nothing to restart
        QCOMPARE(flashvsr({"queue", "restart", "1"}, env).code, 1);
        QProcess runner;
        runner.setProcessEnvironment(env);
        runner.start(FLASHVSR_BIN, {"queue", "run", "--progress", "none"});
        QVERIFY(runner.waitForStarted());
        auto job = [&] {
            Run l = flashvsr({"queue", "list", "--json"}, env);
            return QJsonDocument::fromJson(l.out.toUtf8()).array()[0].toObject();
        };
        auto segmentsInFile = [&] {  // read directly: polls faster than `queue list`
            QFile f(queue);
            if (!f.open(QIODevice::ReadOnly))
                return 0;
            auto jobs = QJsonDocument::fromJson(f.readAll()).object()["jobs"].toArray();
            return jobs.isEmpty() ? 0 : int(jobs[0].toObject()["segments"].toArray().size());
        };
        QTRY_VERIFY_WITH_TIMEOUT(segmentsInFile() >= 1 || runner.state() == QProcess::NotRunning,
                                 60000);
        QVERIFY2(runner.state() == QProcess::Running, "the export finished before the pause");
        QCOMPARE(flashvsr({"queue", "pause", "1"}, env).code, 0);
        QVERIFY(runner.waitForFinished(60000));
        QCOMPARE(job()["state"].toString(), QString("paused"));
        QVERIFY(job()["segments"].toInt() >= 1);
        const QDir work(path(".restarted.mkv.flashvsr-work-1"));
        QVERIFY(work.exists());
        QVERIFY(!work.entryList(QDir::Files).isEmpty());
        // WHEN it is restarted
        Run restart = flashvsr({"queue", "restart", "1"}, env);
        QVERIFY2(restart.code == 0, qPrintable(restart.err));
        // THEN it is queued from frame 0 and its segments are gone from the queue and the disk
        QCOMPARE(job()["state"].toString(), QString("queued"));
        QCOMPARE(job()["segments"].toInt(), 0);
        QCOMPARE(job()["framesDone"].toInt(), 0);
        QVERIFY(!work.exists());
        // AND the next run renders every frame again, from the first
        Run run = flashvsr({"queue", "run", "--progress", "json"}, env);
        QVERIFY2(run.code == 0, qPrintable(run.err));
        int firstFrames = -1;
        for (const auto& l : run.out.split('\n', Qt::SkipEmptyParts)) {
            auto o = QJsonDocument::fromJson(l.toUtf8()).object();
            if (o["event"].toString() == "progress") {
                firstFrames = o["frames"].toInt();
                break;
            }
        }
        QVERIFY2(firstFrames >= 1 && firstFrames < 20, qPrintable(run.out.left(300)));
        QCOMPARE(job()["state"].toString(), QString("done"));
        QCOMPARE(decodeClip(out.toStdString())->ptsUs.size(), size_t(240));
    }

    void queueCommands() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("FLASHVSR_QUEUE", path("q2/queue.json"));
        // GIVEN three jobs
        for (const char* name : {"j1.mp4", "j2.mp4", "j3.mp4"}) {
            Run a = flashvsr(
                {"queue", "add", m_clip, "-o", path(name), "--engine", "lanczos", "--scale", "2"},
                env);
            QVERIFY2(a.code == 0, qPrintable(a.err));
        }
        auto states = [&] {
            Run l = flashvsr({"queue", "list", "--json"}, env);
            QStringList s;
            for (const auto& j : QJsonDocument::fromJson(l.out.toUtf8()).array())
                s << QString("%1:%2")
                         .arg(j.toObject()["id"].toInt())
                         .arg(j.toObject()["state"].toString());
            return s.join(' ');
        };
        QCOMPARE(states(), QString("1:queued 2:queued 3:queued"));
        // WHEN reordered, one paused, one cancelled
        QCOMPARE(flashvsr({"queue", "move", "3", "0"}, env).code, 0);
        QCOMPARE(flashvsr({"queue", "pause", "1"}, env).code, 0);
        QCOMPARE(flashvsr({"queue", "cancel", "2"}, env).code, 0);
        QCOMPARE(states(), QString("3:queued 1:paused 2:cancelled"));
        // AND an impossible transition or unknown id is an error
        QCOMPARE(flashvsr({"queue", "resume", "2", "--no-run"}, env).code, 1);
        QCOMPARE(flashvsr({"queue", "pause", "99"}, env).code, 2);
        // WHEN run THEN only the queued job runs
        Run run = flashvsr({"queue", "run", "--progress", "none"}, env);
        QVERIFY2(run.code == 0, qPrintable(run.err));
        QCOMPARE(states(), QString("3:done 1:paused 2:cancelled"));
        QVERIFY(QFile::exists(path("j3.mp4")));
        QVERIFY(!QFile::exists(path("j1.mp4")));
        // WHEN retried / removed
        QCOMPARE(flashvsr({"queue", "retry", "2"}, env).code, 0);
        QCOMPARE(flashvsr({"queue", "remove", "1"}, env).code, 0);
        QCOMPARE(states(), QString("3:done 2:queued"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
