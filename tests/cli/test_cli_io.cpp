// The flashvsr command line's inputs, outputs, option ranges, exit codes and signals, run as a
// user would with real FFmpeg-made files (issue 8 §2 and §3): every value refused with a message
// naming its range (upscale and queue add alike), no batch output that is another input, the
// source's timing kept (Opus in MKV with chapters, a 1.5 s start, VFR), raw H.264, FIFOs refused
// at once, SIGTERM/SIGHUP and a closed stdout ending an export cleanly.
#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "cli_test_util.h"
#include "pipeline_test_util.h"

using namespace fvs::test;
namespace fs = std::filesystem;

namespace {

using Run = CliRun;

// ffprobe -show_entries ... as JSON.
QJsonObject ffprobe(const QString& file, const QStringList& what) {
    QProcess p;
    p.start("ffprobe", QStringList{"-v", "error", "-of", "json"} + what + QStringList{file});
    if (!p.waitForFinished(60000))
        return {};
    return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
}

// The pts (seconds) of the first packet of each stream type ("video", "audio").
double firstPacketTime(const QString& file, const QString& type) {
    const QString sel = type == "video" ? "v:0" : "a:0";
    const QJsonObject o = ffprobe(file, {"-select_streams", sel, "-read_intervals", "%+#5",
                                         "-show_entries", "packet=pts_time"});
    double first = 1e9;
    for (const auto& p : o["packets"].toArray())
        first = std::min(first, p.toObject()["pts_time"].toString().toDouble());
    return first;
}

QList<double> chapterStarts(const QString& file) {
    QList<double> out;
    for (const auto& c : ffprobe(file, {"-show_chapters"})["chapters"].toArray())
        out << c.toObject()["start_time"].toString().toDouble();
    return out;
}

QList<double> videoPts(const QString& file) {
    QList<double> out;
    const QJsonObject o =
        ffprobe(file, {"-select_streams", "v:0", "-show_entries", "frame=pts_time"});
    for (const auto& f : o["frames"].toArray())
        out << f.toObject()["pts_time"].toString().toDouble();
    return out;
}

}  // namespace

class TestCliIo : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_clip;  // 64x48, 25 frames (1 s), with AAC audio
    QProcessEnvironment m_env = QProcessEnvironment::systemEnvironment();

    QString path(const QString& name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(QFileInfo(FLASHVSR_BIN).isExecutable());
        m_clip = path("clip.mp4");
        QVERIFY(makeCfrClip(m_clip, 25));
        // No weights anywhere: the default engine is the fallback, never someone's model folder.
        m_env.insert("XDG_DATA_HOME", path("empty-xdg"));
        m_env.insert("XDG_DATA_DIRS", path("empty-xdg"));
        m_env.insert("FLASHVSR_MODELS", path("no-models"));
    }

    void everyValueRefusedWithItsRange_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("scale 0") << QStringList{"--scale", "0"}
                                 << "--scale must be a number "
                                    "from 1 to 16 (got '0')";
        QTest::newRow("scale 17") << QStringList{"--scale", "17"} << "from 1 to 16";
        QTest::newRow("crf 999") << QStringList{"--crf", "999"}
                                 << "--crf must be an integer from 0 to 63";
        QTest::newRow("crf -5") << QStringList{"--crf=-5"} << "(got '-5')";
        QTest::newRow("crf 60 x264") << QStringList{"--crf", "60"} << "0 to 51 for libx264";
        QTest::newRow("bitrate overflow") << QStringList{"--bitrate", "99999999999999999999999M"}
                                          << "--bitrate must be from 1k to 10G";
        QTest::newRow("seed past 64 bits")
            << QStringList{"--seed", "99999999999999999999"}
            << "--seed must be an integer from 0 to 9223372036854775807";
        QTest::newRow("start overflow frames")
            << QStringList{"--start", "99999999999999999999f"} << "--start frame number must be";
        QTest::newRow("end overflow seconds")
            << QStringList{"--end", "99999999999999999999"} << "--end must be at most";
        QTest::newRow("end before start")
            << QStringList{"--start", "0.8", "--end", "0.2"} << "--end must be after --start";
        QTest::newRow("start past the clip") << QStringList{"--start", "50f"} << "past the";
        QTest::newRow("sparse ratio 0")
            << QStringList{"--sparse-ratio", "0"} << "above 0 and at most 64";
        QTest::newRow("local range 256") << QStringList{"--local-range", "256"} << "from 1 to 255";
        QTest::newRow("options list") << QStringList{"--options", "kv_ratio=99"}
                                      << "--kv-ratio must be a number from 1 to 16";
        QTest::newRow("size 16385") << QStringList{"--size", "16385x100"} << "1 to 16384";
        QTest::newRow("crop outside") << QStringList{"--crop", "64x48+8+0"} << "does not fit";
    }
    void everyValueRefusedWithItsRange() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const QString out = path("range-out.mp4");
        // WHEN upscale gets the value THEN exit 1 with the message, nothing written
        Run u = flashvsr(
            QStringList{"upscale", m_clip, "-o", out, "--engine", "lanczos", "--progress", "none"} +
                args,
            m_env);
        QVERIFY(!u.crashed);
        QVERIFY2(u.code == 1, qPrintable(QString("code %1: %2").arg(u.code).arg(u.err)));
        QVERIFY2(u.err.contains(message), qPrintable(u.err));
        QVERIFY(!QFile::exists(out));
        QVERIFY(!QFile::exists(out + ".part"));
        // AND queue add refuses it the same way, adding no job
        QProcessEnvironment env = m_env;
        env.insert("FLASHVSR_QUEUE", path("range-queue/queue.json"));
        Run q = flashvsr(
            QStringList{"queue", "add", m_clip, "-o", out, "--engine", "lanczos"} + args, env);
        QVERIFY2(q.code == 1, qPrintable(QString("code %1: %2").arg(q.code).arg(q.err)));
        QVERIFY2(q.err.contains(message), qPrintable(q.err));
        Run l = flashvsr({"queue", "list", "--json"}, env);
        QCOMPARE(QJsonDocument::fromJson(l.out.toUtf8()).array().size(), 0);
    }

    void batchOutputThatIsAnotherInputIsRefused() {
        // GIVEN A.mp4 and A.flashvsr-x2.mp4 (what A's output would be called) as inputs
        QDir().mkpath(path("self"));
        const QString a = path("self/A.mp4"), b = path("self/A.flashvsr-x2.mp4");
        QVERIFY(QFile::copy(m_clip, a));
        QVERIFY(makeCfrClip(b, 10));
        const QByteArray before = sha256(b);
        // WHEN both are upscaled x2 with --overwrite
        for (const QString& cmd : {QString("upscale"), QString("queue")}) {
            QStringList args{"upscale",    a,         b,   "--engine",
                             "lanczos",    "--scale", "2", "--overwrite",
                             "--progress", "none"};
            QProcessEnvironment env = m_env;
            if (cmd == "queue") {
                args = QStringList{"queue", "add",        a, b, "--engine", "lanczos", "--scale",
                                   "2",     "--overwrite"};
                env.insert("FLASHVSR_QUEUE", path("self-queue/queue.json"));
            }
            Run r = flashvsr(args, env);
            // THEN refused before anything runs (exit 4), the second input untouched
            QVERIFY2(r.code == 4, qPrintable(QString("code %1: %2").arg(r.code).arg(r.err)));
            QVERIFY2(r.err.contains("is the input"), qPrintable(r.err));
            QCOMPARE(sha256(b), before);
            QVERIFY(!QFile::exists(path("self/A.flashvsr-x2.flashvsr-x2.mp4")));
        }
        // AND -o through a hard link to the input is refused too
        QVERIFY(::link(a.toUtf8().constData(), path("self/hard.mp4").toUtf8().constData()) == 0);
        Run h = flashvsr({"upscale", a, "-o", path("self/hard.mp4"), "--engine", "lanczos",
                          "--overwrite", "--progress", "none"},
                         m_env);
        QCOMPARE(h.code, 4);
    }

    void pipesAreRefusedAtOnce() {
        // GIVEN a FIFO nobody writes to WHEN upscaled THEN a clear refusal (exit 2), no hang
        const QString fifo = path("in.fifo");
        QVERIFY(::mkfifo(fifo.toUtf8().constData(), 0600) == 0);
        QElapsedTimer t;
        t.start();
        Run r = flashvsr({"upscale", fifo, "-o", path("fifo-out.mp4"), "--engine", "lanczos",
                          "--progress", "none"},
                         m_env, 20000);
        QVERIFY(!r.crashed);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("pipe"), qPrintable(r.err));
        QVERIFY(t.elapsed() < 15000);
        // AND stdin as '-' says it is not supported
        Run s = flashvsr({"upscale", "-", "-o", path("stdin-out.mp4"), "--engine", "lanczos"},
                         m_env, 20000);
        QCOMPARE(s.code, 2);
        QVERIFY2(s.err.contains("stdin"), qPrintable(s.err));
        // AND stdout as '-o -' is refused before anything runs (exit 4, the output class), by
        // upscale and by queue add alike, and no file named '-' appears
        QProcessEnvironment env = m_env;
        env.insert("FLASHVSR_QUEUE", path("stdout-queue/queue.json"));
        for (const QStringList& cmd : {QStringList{"upscale"}, QStringList{"queue", "add"}}) {
            Run o =
                flashvsr(cmd + QStringList{m_clip, "-o", "-", "--engine", "lanczos"}, env, 20000);
            QCOMPARE(o.code, 4);
            QVERIFY2(o.err.contains("stdout"), qPrintable(o.err));
        }
        QVERIFY(!QFile::exists("-"));
        Run l = flashvsr({"queue", "list", "--json"}, env);
        QCOMPARE(l.out.trimmed(), QString("[]"));
    }

    void defaultEngineFallsBackWithoutWeights() {
        // GIVEN no FlashVSR weights WHEN no --engine is given THEN Real-ESRGAN (its weights come
        // with the setup), else Lanczos, with a warning
        const QString out = path("default-engine.mp4");
        Run r =
            flashvsr({"upscale", m_clip, "-o", out, "--scale", "2", "--progress", "none"}, m_env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("using realesrgan") || r.err.contains("using lanczos"),
                 qPrintable(r.err));
        QVERIFY(QFile::exists(out));
        // AND asking for FlashVSR explicitly fails with exit 3, naming the way out
        Run f = flashvsr(
            {"upscale", m_clip, "-o", path("fv.mp4"), "--engine", "flashvsr", "--progress", "none"},
            m_env);
        QCOMPARE(f.code, 3);
        QVERIFY2(f.err.contains("--engine lanczos"), qPrintable(f.err));
    }

    void queueRunFailsWhenAJobFails() {
        // GIVEN a queued job whose input is replaced by garbage after it was added
        QProcessEnvironment env = m_env;
        env.insert("FLASHVSR_QUEUE", path("failq/queue.json"));
        const QString in = path("failq-in.mp4");
        QVERIFY(QFile::copy(m_clip, in));
        Run a =
            flashvsr({"queue", "add", in, "-o", path("failq-out.mp4"), "--engine", "lanczos"}, env);
        QVERIFY2(a.code == 0, qPrintable(a.err));
        QFile f(in);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("no longer a video\n");
        f.close();
        // WHEN the queue runs THEN it exits with the input code, the job is failed
        Run r = flashvsr({"queue", "run", "--progress", "none"}, env);
        QVERIFY2(r.code == 2, qPrintable(QString("code %1: %2").arg(r.code).arg(r.err)));
        Run l = flashvsr({"queue", "list", "--json"}, env);
        QCOMPARE(QJsonDocument::fromJson(l.out.toUtf8()).array()[0].toObject()["state"].toString(),
                 QString("failed"));
    }

    void signalsEndAnExportCleanly_data() {
        QTest::addColumn<int>("sig");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGHUP") << int(SIGHUP);
    }
    void signalsEndAnExportCleanly() {
        QFETCH(int, sig);
        const QString in = path("long.mp4");
        if (!QFile::exists(in))
            QVERIFY(makeCfrClip(in, 300, "320x240"));
        const QString out = path(QString("sig-%1.mkv").arg(sig));
        QProcess p;
        p.setProcessEnvironment(m_env);
        p.start(FLASHVSR_BIN, {"upscale", in, "-o", out, "--engine", "lanczos", "--scale", "4",
                               "--codec", "ffv1", "--progress", "json"});
        QVERIFY(p.waitForStarted());
        QVERIFY(p.waitForReadyRead(30000));
        ::kill(static_cast<pid_t>(p.processId()), sig);
        QVERIFY(p.waitForFinished(30000));
        // THEN exit 6 (cancelled), the last JSON line says so, nothing under the name, no .part
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 6);
        const auto lines =
            QString::fromUtf8(p.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
        QVERIFY(!lines.isEmpty());
        QCOMPARE(QJsonDocument::fromJson(lines.last().toUtf8()).object()["status"].toString(),
                 QString("cancelled"));
        QVERIFY(!QFile::exists(out));
        QVERIFY(!QFile::exists(out + ".part"));
    }

    void closedStdoutEndsTheExport() {
        // GIVEN `--progress json | head -1`
        const QString in = path("long.mp4");
        if (!QFile::exists(in))
            QVERIFY(makeCfrClip(in, 300, "320x240"));
        const QString out = path("head.mkv");
        QProcess sh;
        sh.setProcessEnvironment(m_env);
        sh.start("bash", {"-c", QString("'%1' upscale '%2' -o '%3' --engine lanczos --scale 4 "
                                        "--codec ffv1 --progress json | head -1; "
                                        "echo \"status ${PIPESTATUS[0]}\"")
                                    .arg(FLASHVSR_BIN, in, out)});
        QVERIFY(sh.waitForFinished(60000));
        const QStringList lines =
            QString::fromUtf8(sh.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
        // THEN one clean JSON line, flashvsr stopped (exit 6), no output and no .part
        QCOMPARE(lines.size(), 2);
        QVERIFY(!QJsonDocument::fromJson(lines[0].toUtf8()).isNull());
        QCOMPARE(lines[1], QString("status 6"));
        QVERIFY(!QFile::exists(out));
        QVERIFY(!QFile::exists(out + ".part"));
    }

    void opusMkvWithChaptersKeepsItsTiming() {
        // GIVEN an MKV with H.264, Opus audio and two chapters
        const QString meta = path("chapters.txt");
        QFile m(meta);
        QVERIFY(m.open(QIODevice::WriteOnly));
        m.write(
            ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=One\n"
            "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Two\n");
        m.close();
        const QString in = path("opus.mkv");
        QVERIFY(runFfmpeg({"-f",
                           "lavfi",
                           "-i",
                           "testsrc2=size=64x48:rate=25",
                           "-f",
                           "lavfi",
                           "-i",
                           "sine=frequency=440:sample_rate=48000",
                           "-i",
                           meta,
                           "-map",
                           "0:v",
                           "-map",
                           "1:a",
                           "-map_metadata",
                           "2",
                           "-t",
                           "2",
                           "-c:v",
                           "libx264",
                           "-preset",
                           "ultrafast",
                           "-pix_fmt",
                           "yuv420p",
                           "-c:a",
                           "libopus",
                           in}));
        // WHEN upscaled to MKV
        const QString out = path("opus.flashvsr-x2.mkv");
        Run r = flashvsr({"upscale", in, "--engine", "lanczos", "--scale", "2", "--preset",
                          "ultrafast", "--progress", "none"},
                         m_env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        // THEN video, audio and chapters start where the source's do (to the millisecond)
        QCOMPARE(qRound(firstPacketTime(out, "video") * 1000),
                 qRound(firstPacketTime(in, "video") * 1000));
        QCOMPARE(qRound(firstPacketTime(out, "audio") * 1000),
                 qRound(firstPacketTime(in, "audio") * 1000));
        QCOMPARE(chapterStarts(out), chapterStarts(in));
        QCOMPARE(chapterStarts(out).size(), 2);
        QCOMPARE(videoPts(out), videoPts(in));
    }

    void startOffsetAndVfrAreKept_data() {
        QTest::addColumn<QString>("container");
        QTest::newRow("mp4") << "mp4";
        QTest::newRow("mkv") << "mkv";
    }
    void startOffsetAndVfrAreKept() {
        QFETCH(QString, container);
        // GIVEN a clip whose first frame is at 1.5 s
        const QString in = path("offset." + container);
        QVERIFY(runFfmpeg({"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "20",
                           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                           "-output_ts_offset", "1.5", in}));
        QCOMPARE(qRound(videoPts(in).value(0) * 1000), 1500);
        // WHEN upscaled THEN the output's frames are at the source's times (1.5 s, 1.54 s, ...)
        const QString out = path("offset.flashvsr-x2." + container);
        Run r = flashvsr({"upscale", in, "--engine", "lanczos", "--scale", "2", "--preset",
                          "ultrafast", "--progress", "none"},
                         m_env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(videoPts(out), videoPts(in));
        // AND a variable-frame-rate clip keeps every frame time
        const QString vfr = path("vfr." + container);
        QVERIFY(makeVfrClip(vfr, 30));
        const QString vout = path("vfr.flashvsr-x2." + container);
        Run v = flashvsr({"upscale", vfr, "--engine", "lanczos", "--scale", "2", "--preset",
                          "ultrafast", "--progress", "none"},
                         m_env);
        QVERIFY2(v.code == 0, qPrintable(v.err));
        QCOMPARE(videoPts(vout), videoPts(vfr));
    }

    void rawElementaryStreamsWork_data() {
        QTest::addColumn<QString>("extension");
        QTest::addColumn<QString>("codec");
        QTest::newRow("h264") << "h264"
                              << "libx264";
        QTest::newRow("hevc") << "hevc"
                              << "libx265";
    }
    void rawElementaryStreamsWork() {
        QFETCH(QString, extension);
        QFETCH(QString, codec);
        // GIVEN a raw elementary stream of 20 frames
        const QString in = path("raw-" + extension + "." + extension);
        QVERIFY(runFfmpeg({"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "20",
                           "-c:v", codec, "-preset", "ultrafast", "-pix_fmt", "yuv420p", in}));
        // WHEN upscaled losslessly with the default name THEN an MKV with all 20 frames
        Run r = flashvsr({"upscale", in, "--engine", "lanczos", "--scale", "2", "--codec", "ffv1",
                          "--progress", "none"},
                         m_env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto full = decodeClip(path("raw-" + extension + ".flashvsr-x2.mkv").toStdString());
        QVERIFY(full);
        QCOMPARE(full->ptsUs.size(), size_t(20));
        QCOMPARE(full->width, 128);
        // AND a trim (which seeks in a stream without timestamps) gives exactly frames 5..14
        const QString trimmed = path("raw-trim-" + extension + ".mkv");
        Run t = flashvsr({"upscale", in, "-o", trimmed, "--start", "5f", "--end", "15f", "--engine",
                          "lanczos", "--scale", "2", "--codec", "ffv1", "--progress", "none"},
                         m_env);
        QVERIFY2(t.code == 0, qPrintable(t.err));
        auto part = decodeClip(trimmed.toStdString());
        QVERIFY(part);
        QCOMPARE(part->rgb.size(), size_t(10));
        for (size_t i = 0; i < 10; ++i)
            QVERIFY2(part->rgb[i] == full->rgb[i + 5], qPrintable(QString("frame %1").arg(i)));
    }

    void interlacedInputWarnsAndDeinterlaces() {
        // GIVEN an interlaced H.264 clip (top field first)
        const QString in = path("interlaced.mkv");
        QVERIFY(
            runFfmpeg({"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "20", "-vf",
                       "setfield=tff", "-c:v", "libx264", "-preset", "ultrafast", "-flags",
                       "+ildct+ilme", "-x264opts", "tff=1", "-pix_fmt", "yuv420p", in}));
        Run p = flashvsr({"probe", in}, m_env);
        QVERIFY(p.out.contains("\"interlaced\": true"));
        // WHEN upscaled as is THEN a warning names --deinterlace
        const QString plain = path("interlaced-plain.mkv");
        Run r = flashvsr({"upscale", in, "-o", plain, "--engine", "lanczos", "--scale", "2",
                          "--codec", "ffv1", "--progress", "none"},
                         m_env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("interlaced") && r.err.contains("--deinterlace"),
                 qPrintable(r.err));
        // WHEN upscaled with --deinterlace THEN no warning, every frame at its time, and pictures
        // that differ from the undeinterlaced ones
        const QString deint = path("interlaced-deint.mkv");
        Run d = flashvsr({"upscale", in, "-o", deint, "--deinterlace", "--engine", "lanczos",
                          "--scale", "2", "--codec", "ffv1", "--progress", "none"},
                         m_env);
        QVERIFY2(d.code == 0, qPrintable(d.err));
        QVERIFY2(!d.err.contains("interlaced"), qPrintable(d.err));
        QCOMPARE(videoPts(deint), videoPts(in));
        auto a = decodeClip(plain.toStdString());
        auto b = decodeClip(deint.toStdString());
        QVERIFY(a && b);
        QCOMPARE(b->rgb.size(), size_t(20));
        QVERIFY(a->rgb != b->rgb);
        // AND a trimmed deinterlaced export (a seek) gives the same frames as the full one
        const QString trimmed = path("interlaced-trim.mkv");
        Run t =
            flashvsr({"upscale", in, "-o", trimmed, "--deinterlace", "--start", "12f", "--engine",
                      "lanczos", "--scale", "2", "--codec", "ffv1", "--progress", "none"},
                     m_env);
        QVERIFY2(t.code == 0, qPrintable(t.err));
        auto c = decodeClip(trimmed.toStdString());
        QVERIFY(c);
        QCOMPARE(c->rgb.size(), size_t(8));
        for (size_t i = 1; i < 8; ++i)
            QVERIFY2(c->rgb[i] == b->rgb[i + 12], qPrintable(QString("frame %1").arg(i + 12)));
    }

    void damagedAudioPacketIsSkipped() {
        // GIVEN an MKV whose 21st audio block claims a time before the blocks around it
        const QString clean = path("damaged-src.mkv");
        QVERIFY(runFfmpeg({"-f",      "lavfi",     "-i",       "testsrc2=size=64x48:rate=25",
                           "-f",      "lavfi",     "-i",       "sine=sample_rate=48000",
                           "-t",      "2",         "-c:v",     "libx264",
                           "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                           "-c:a",    "aac",       "-b:a",     "32k",
                           clean}));
        QFile f(clean);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray d = f.readAll();
        f.close();
        // SimpleBlock: 0xA3, size (1-2 byte vint), track 2 (0x82), int16 time, flags 0x80.
        int seen = 0;
        for (int i = 0; i + 8 < d.size(); ++i) {
            const auto at = [&](int k) { return static_cast<unsigned char>(d[i + k]); };
            if (at(0) != 0xA3)
                continue;
            const int len = (at(1) & 0x80) ? 1 : (at(1) & 0x40) ? 2 : 0;
            if (len == 0 || at(1 + len) != 0x82 || at(4 + len) != 0x80)
                continue;
            if (++seen == 21) {
                d[i + 2 + len] = 0x00;
                d[i + 3 + len] = 0x10;  // 16 ms into its cluster
                break;
            }
        }
        QCOMPARE(seen, 21);
        const QString in = path("damaged.mkv");
        QFile g(in);
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write(d);
        g.close();
        // WHEN upscaled THEN it finishes, the packet skipped with a warning naming it
        const QString out = path("damaged-out.mkv");
        Run r = flashvsr({"upscale", in, "-o", out, "--engine", "lanczos", "--scale", "2",
                          "--preset", "ultrafast", "--progress", "none"},
                         m_env);
        QVERIFY2(r.code == 0, qPrintable(QString("code %1: %2").arg(r.code).arg(r.err)));
        QVERIFY2(r.err.contains("skipped a damaged audio packet"), qPrintable(r.err));
        // AND every other audio packet is there
        auto audioPackets = [](const QString& file) {
            return ffprobe(file, {"-select_streams", "a:0", "-show_entries",
                                  "packet=pts_time"})["packets"]
                .toArray()
                .size();
        };
        QCOMPARE(audioPackets(out), audioPackets(in) - 1);
    }

    void unreadableFilesSayWhy() {
        // GIVEN a .y4m whose header claims 100000x100000
        const QString in = path("huge.y4m");
        QFile f(in);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n");
        f.write(QByteArray(4096, '\x10'));
        f.close();
        // THEN exit 2 with FFmpeg's reason, not an errno text
        Run r = flashvsr({"upscale", in, "-o", path("huge-out.mkv"), "--engine", "lanczos",
                          "--progress", "none"},
                         m_env);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("100000x100000 is invalid"), qPrintable(r.err));
        QVERIFY2(!r.err.contains("Device or resource busy"), qPrintable(r.err));
        // AND the documented 16384 maximum is reachable
        const QString wide = path("wide.y4m");
        QVERIFY(runFfmpeg({"-f", "lavfi", "-i", "color=size=4096x16:rate=25", "-frames:v", "1",
                           "-pix_fmt", "yuv420p", wide}));
        Run w = flashvsr({"upscale", wide, "-o", path("wide-out.mkv"), "--engine", "lanczos",
                          "--size", "16384x", "--codec", "ffv1", "--progress", "none"},
                         m_env);
        QVERIFY2(w.code == 0, qPrintable(w.err));
        QCOMPARE(decodeClip(path("wide-out.mkv").toStdString())->width, 16384);
    }
};

QTEST_GUILESS_MAIN(TestCliIo)
#include "test_cli_io.moc"
