// The queue's crash resume for every codec and container: codec x container x {one segment,
// several} x {uninterrupted, SIGKILL mid-segment, SIGKILL right after a segment was recorded,
// SIGKILL during the join, SIGTERM mid-segment, SIGTERM during the join}, each run in a
// real process (queue_run_helper), resumed, then compared with the uninterrupted run: frame count,
// pts, decoded pictures (bit-identical: Lanczos is deterministic and so are the encoders), audio
// and subtitle packets. The uninterrupted segmented run is compared with a direct unsegmented
// export as well: same frames, pts, colour tags and packets; the same pictures for FFV1, close
// pictures (no broken seam) for the lossy codecs. Image sequences (PNG, TIFF) go through the same
// cuts; their output folder must equal the uninterrupted one file for file, byte for byte.
#include <QtTest>

#include <fstream>
#include <map>

#include "fvs/core/export_pipeline.h"
#include "fvs/core/job_runner.h"
#include "fvs/core/media_source.h"
#include "fvs/core/resample_processor.h"
#include "resume_test_util.h"

using namespace fvs::core;
using namespace fvs::test;
namespace fs = std::filesystem;

namespace {

constexpr int kFrames = 20;
constexpr int kSeveral = 6;  // 6 + 6 + 6 + 2 frames

struct Outcome {
    std::optional<DecodedClip> video;
    std::vector<std::string> packets;
    StreamInfo info;
};

Outcome read(const fs::path& file) {
    Outcome o;
    o.video = decodeClip(file);
    o.packets = otherPackets(file);
    if (auto src = MediaSource::open(file))
        o.info = src.value()->info();
    return o;
}

}  // namespace

class TestQueueResumeMatrix : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    fs::path m_source;
    std::map<QString, Outcome> m_uninterrupted;                      // by codec/container/segments
    std::map<QString, std::map<std::string, std::string>> m_images;  // file name -> bytes
    int m_case = 0;

    fs::path path(const std::string& n) const { return fs::path(m_dir.path().toStdString()) / n; }

    Job jobFor(const QString& codec, const QString& container, int segmentFrames,
               const fs::path& out) const {
        Job j;
        j.input = m_source.string();
        j.output = out.string();
        j.engine.engine = EngineKind::Lanczos;
        j.engine.scale = ScaleRequest{2.0};
        j.encode.codec = codec.toStdString();
        (void)container;  // from the output's extension, as a user gives it
        j.segmentFrames = segmentFrames;
        return j;
    }

    // A job in its own queue and folder; returns the queue file and the job id.
    std::pair<fs::path, uint64_t> addJob(const QString& codec, const QString& container,
                                         int segmentFrames, const std::string& name) {
        const fs::path dir = path("case" + std::to_string(m_case++));
        fs::create_directories(dir);
        const fs::path queue = dir / "queue.json";
        auto q = JobQueue::open(queue);
        const fs::path out = dir / (name + "." + container.toStdString());
        auto id = q->add(jobFor(codec, container, segmentFrames, out));
        return {queue, id.value()};
    }

private Q_SLOTS:
    void initTestCase() {
        av_log_set_level(AV_LOG_FATAL);
        // A real-world-like source: H.264 with B-frames (default preset), NTSC rate (time base
        // 1/30000), AAC audio and a text subtitle.
        m_source = path("source.mp4");
        {
            std::ofstream srt(path("subs.srt"));
            srt << "1\n00:00:00,100 --> 00:00:00,400\nfirst\n\n2\n00:00:00,450 --> "
                   "00:00:00,600\nsecond\n\n";
        }
        QVERIFY(runFfmpeg({"-f",        "lavfi",
                           "-i",        QString("testsrc2=size=96x64:rate=30000/1001"),
                           "-f",        "lavfi",
                           "-i",        "sine=frequency=440:sample_rate=48000",
                           "-i",        QString::fromStdString(path("subs.srt").string()),
                           "-map",      "0:v",
                           "-map",      "1:a",
                           "-map",      "2:s",
                           "-frames:v", QString::number(kFrames),
                           "-shortest", "-c:v",
                           "libx264",   "-pix_fmt",
                           "yuv420p",   "-c:a",
                           "aac",       "-c:s",
                           "mov_text",  QString::fromStdString(m_source.string())}));
        auto src = MediaSource::open(m_source);
        QVERIFY(src);
        QCOMPARE(src.value()->info().frameCount, int64_t(kFrames));
    }

    void resume_data() {
        QTest::addColumn<QString>("codec");
        QTest::addColumn<QString>("container");
        QTest::addColumn<int>("segmentFrames");
        QTest::addColumn<QString>("interruption");  // "" or PHASE:FRAME:SIGNAL
        const std::vector<std::pair<const char*, const char*>> pairs = {
            {"libx264", "mp4"},   {"libx264", "mkv"},   {"libx264", "mov"},   {"libx265", "mp4"},
            {"libx265", "mkv"},   {"libsvtav1", "mp4"}, {"libsvtav1", "mkv"}, {"prores_ks", "mov"},
            {"prores_ks", "mkv"}, {"ffv1", "mkv"},      {"h264_nvenc", "mp4"}};
        for (const auto& [codec, container] : pairs)
            for (int seg : {250, kSeveral})
                for (const char* cut : {"", "render:9:KILL", "render:6:KILL", "join:3:KILL",
                                        "render:9:TERM", "join:3:TERM"}) {
                    if (seg >= kFrames && std::string(cut) == "render:6:KILL")
                        continue;  // no segment boundary at frame 6: the same as render:9
                    const QString name =
                        QString("%1 %2 %3 %4")
                            .arg(codec, container, seg == 250 ? "1-segment" : "4-segments",
                                 *cut ? cut : "uninterrupted");
                    QTest::newRow(qPrintable(name))
                        << QString(codec) << QString(container) << seg << QString(cut);
                }
    }

    void resume() {
        QFETCH(QString, codec);
        QFETCH(QString, container);
        QFETCH(int, segmentFrames);
        QFETCH(QString, interruption);
        const auto encoders = availableEncoders();
        if (std::find(encoders.begin(), encoders.end(), codec.toStdString()) == encoders.end())
            QSKIP("this encoder is not usable here");
        const QString key = codec + "/" + container + "/" + QString::number(segmentFrames);

        if (interruption.isEmpty()) {
            // GIVEN a job WHEN it runs without interruption THEN it is done, with every frame
            auto [queue, id] = addJob(codec, container, segmentFrames, "uninterrupted");
            const HelperRun run = runHelper(queue);
            QVERIFY2(run.exitCode == 0 && !run.killed, qPrintable(run.out + run.err));
            const Job job = *JobQueue::open(queue)->find(id);
            QCOMPARE(job.state, JobState::Done);
            QVERIFY(!fs::exists(defaultWorkDir(job)));
            Outcome got = read(job.output);
            QVERIFY(got.video);
            QCOMPARE(int(got.video->ptsUs.size()), kFrames);

            // AND it matches a direct (unsegmented) export of the same engine output
            ExportRequest direct;
            direct.input = m_source;
            direct.output =
                fs::path(job.output).parent_path() / ("direct." + container.toStdString());
            direct.encode.codec = codec.toStdString();
            ResampleProcessor lanczos({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
            auto d = ExportPipeline(direct).run(lanczos);
            QVERIFY2(d, d ? "" : d.error().message.c_str());
            const Outcome ref = read(direct.output);
            QVERIFY(ref.video);
            QCOMPARE(got.video->ptsUs, ref.video->ptsUs);
            QCOMPARE(got.packets, ref.packets);
            QCOMPARE(got.info.colorPrimaries, ref.info.colorPrimaries);
            QCOMPARE(got.info.colorTransfer, ref.info.colorTransfer);
            QCOMPARE(got.info.colorSpace, ref.info.colorSpace);
            QCOMPARE(got.info.colorRange, ref.info.colorRange);
            QCOMPARE(got.info.pixelFormat, ref.info.pixelFormat);
            if (codec == "ffv1" || segmentFrames >= kFrames) {
                // Lossless, or one segment = one encoder like the direct export: the same pictures
                for (int i = 0; i < kFrames; ++i)
                    QVERIFY2(got.video->rgb[i] == ref.video->rgb[i],
                             qPrintable(QString::number(i)));
            } else {
                // Each segment starts with its own key frame: close pictures, no broken seam
                const double psnr = minPsnr(*got.video, *ref.video);
                QVERIFY2(psnr > 28.0, qPrintable(QString("lowest PSNR %1 dB").arg(psnr)));
            }
            m_uninterrupted[key] = std::move(got);
            return;
        }

        const auto ref = m_uninterrupted.find(key);
        if (ref == m_uninterrupted.end())
            QSKIP("the uninterrupted run of this case failed");
        // GIVEN a job WHEN its runner is interrupted
        auto [queue, id] = addJob(codec, container, segmentFrames, "resumed");
        const HelperRun cut = runHelper(queue, interruption);
        const bool term = interruption.endsWith("TERM");
        if (term) {
            QVERIFY2(!cut.killed && cut.exitCode == 130, qPrintable(cut.out + cut.err));
        } else {
            QVERIFY2(cut.killed, qPrintable(cut.out + cut.err));
        }
        // THEN the job is interrupted, keeps what it completed and has no output yet
        Job job = *JobQueue::open(queue)->find(id);
        QVERIFY2(job.state == JobState::Interrupted, qPrintable(describeJob(job)));
        QVERIFY(!fs::exists(job.output));
        const size_t expectedSegments = interruption.startsWith("join")
                                            ? (segmentFrames >= kFrames ? 1 : 4)
                                            : (segmentFrames >= kFrames ? 0 : 1);
        QCOMPARE(job.segments.size(), expectedSegments);
        for (const auto& s : job.segments)
            QVERIFY(verifySegment(defaultWorkDir(job), s));
        if (interruption == "render:9:TERM")
            QVERIFY(job.kept.recorded());  // the stop kept the open segment's frames
        // WHEN it is resumed THEN it finishes, and equals the uninterrupted run
        const HelperRun resumed = runHelper(queue);
        QVERIFY2(resumed.exitCode == 0 && !resumed.killed, qPrintable(resumed.out + resumed.err));
        job = *JobQueue::open(queue)->find(id);
        QVERIFY2(job.state == JobState::Done, qPrintable(describeJob(job)));
        QVERIFY(!fs::exists(defaultWorkDir(job)));
        QVERIFY(!fs::exists(job.output + ".part"));
        const Outcome got = read(job.output);
        QVERIFY(got.video);
        QCOMPARE(got.video->ptsUs, ref->second.video->ptsUs);
        QCOMPARE(got.packets, ref->second.packets);
        QCOMPARE(got.video->rgb.size(), ref->second.video->rgb.size());
        for (size_t i = 0; i < got.video->rgb.size(); ++i)
            QVERIFY2(got.video->rgb[i] == ref->second.video->rgb[i],
                     qPrintable(QString("frame %1").arg(i)));
    }

    // Image sequences, segmented like the containers: the same cuts, then the output folder must
    // be exactly the uninterrupted one (the same names, the same bytes, nothing else).
    void imageSequenceResume_data() {
        QTest::addColumn<QString>("codec");
        QTest::addColumn<int>("segmentFrames");
        QTest::addColumn<QString>("interruption");
        for (const char* codec : {"png", "tiff"})
            for (int seg : {250, kSeveral})
                for (const char* cut : {"", "render:9:KILL", "render:6:KILL", "join:3:KILL",
                                        "render:9:TERM", "join:3:TERM"}) {
                    if (seg >= kFrames && std::string(cut) == "render:6:KILL")
                        continue;
                    QTest::newRow(
                        qPrintable(QString("%1 %2 %3")
                                       .arg(codec, seg == 250 ? "1-segment" : "4-segments",
                                            *cut ? cut : "uninterrupted")))
                        << QString(codec) << seg << QString(cut);
                }
    }
    void imageSequenceResume() {
        QFETCH(QString, codec);
        QFETCH(int, segmentFrames);
        QFETCH(QString, interruption);
        const QString key = "images/" + codec + "/" + QString::number(segmentFrames);
        const std::string ext = codec == "png" ? "png" : "tif";
        // GIVEN an image-sequence job in its own folder
        const fs::path dir = path("case" + std::to_string(m_case++));
        fs::create_directories(dir);
        const fs::path queue = dir / "queue.json";
        Job j = jobFor(codec, "", segmentFrames, dir / ("frame_%06d." + ext));
        const uint64_t id = JobQueue::open(queue)->add(j).value();
        if (!interruption.isEmpty()) {
            // WHEN its runner is interrupted THEN it is interrupted, no image is in place yet
            // unless the join had begun, and what it completed verifies
            if (!m_images.count(key))
                QSKIP("the uninterrupted run of this case failed");
            const HelperRun cut = runHelper(queue, interruption);
            QVERIFY2(interruption.endsWith("TERM") ? cut.exitCode == 130 : cut.killed,
                     qPrintable(cut.out + cut.err));
            const Job job = *JobQueue::open(queue)->find(id);
            QVERIFY2(job.state == JobState::Interrupted, qPrintable(describeJob(job)));
            QCOMPARE(job.segments.size(), interruption.startsWith("join")
                                              ? size_t(segmentFrames >= kFrames ? 1 : 4)
                                              : size_t(segmentFrames >= kFrames ? 0 : 1));
            for (const auto& s : job.segments)
                QVERIFY(verifySegment(defaultWorkDir(job), s));
            if (interruption == "render:9:TERM")
                QVERIFY(job.kept.recorded());  // the stop kept the open segment's frames
            if (interruption.startsWith("render"))
                QVERIFY(!fs::exists(dir / ("frame_000001." + ext)));
        }
        // WHEN it runs (again) THEN it is done and the folder holds exactly the sequence
        const HelperRun run = runHelper(queue);
        QVERIFY2(run.exitCode == 0 && !run.killed, qPrintable(run.out + run.err));
        const Job job = *JobQueue::open(queue)->find(id);
        QVERIFY2(job.state == JobState::Done, qPrintable(describeJob(job)));
        std::map<std::string, std::string> files;
        for (const auto& e : fs::directory_iterator(dir)) {
            const std::string name = e.path().filename().string();
            if (name.rfind("queue.json", 0) == 0)
                continue;
            std::ifstream f(e.path(), std::ios::binary);
            files[name] = std::string(std::istreambuf_iterator<char>(f), {});
        }
        QCOMPARE(int(files.size()), kFrames);  // no work folder, no .part, nothing else
        QVERIFY(files.count("frame_000001." + ext) && files.count("frame_000020." + ext));
        if (interruption.isEmpty()) {
            // AND it is the sequence an unsegmented export writes, byte for byte
            ExportRequest direct;
            direct.input = m_source;
            const fs::path ddir = dir / "direct";
            fs::create_directories(ddir);
            direct.output = ddir / ("frame_%06d." + ext);
            direct.encode.codec = codec.toStdString();
            ResampleProcessor lanczos({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
            auto d = ExportPipeline(direct).run(lanczos);
            QVERIFY2(d, d ? "" : d.error().message.c_str());
            for (const auto& [name, bytes] : files) {
                std::ifstream f(ddir / name, std::ios::binary);
                QVERIFY2(std::string(std::istreambuf_iterator<char>(f), {}) == bytes, name.c_str());
            }
            fs::remove_all(ddir);
            m_images[key] = std::move(files);
            return;
        }
        QVERIFY(m_images[key] == files);
    }
};

QTEST_GUILESS_MAIN(TestQueueResumeMatrix)
#include "test_queue_resume_matrix.moc"
