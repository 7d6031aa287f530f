// MediaSink stream copy: audio, subtitles, chapters and global metadata from the source, A/V sync,
// trim window, AAC re-encode and subtitle conversion where the container needs it.
#include <QFile>
#include <QTemporaryDir>

#include <algorithm>

#include "media_test_util.h"

using namespace fvs;

namespace {
bool anyContains(const std::vector<std::string>& v, const char* s) {
    return std::any_of(v.begin(), v.end(),
                       [&](const std::string& w) { return w.find(s) != std::string::npos; });
}

// First packet time of each stream ("index,codec_type,start_time") via ffprobe.
QString starts(const QString& file) {
    return fvs::test::ffprobe({"-show_entries",
                               "stream=index,codec_type,codec_name,start_time,duration", "-of",
                               "csv=p=0", file});
}
}  // namespace

class TestMediaPassthrough : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        av_log_set_level(AV_LOG_QUIET);
        QFile srt(path("s.srt"));
        QVERIFY(srt.open(QIODevice::WriteOnly));
        srt.write(
            "1\n00:00:00,200 --> 00:00:00,600\nfirst line\n\n2\n00:00:01,200 --> "
            "00:00:01,700\nsecond\n\n");
        srt.close();
        QFile meta(path("meta.txt"));
        QVERIFY(meta.open(QIODevice::WriteOnly));
        meta.write(
            ";FFMETADATA1\ntitle=My "
            "holiday\nartist=someone\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\n"
            "title=Beach\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Sunset\n");
        meta.close();
        // mkv source: video + AAC + PCM audio + SRT subtitles + chapters + global tags, 2 s.
        QVERIFY(test::ffmpeg({"-f",
                              "lavfi",
                              "-i",
                              "testsrc2=size=96x64:rate=25:duration=2",
                              "-f",
                              "lavfi",
                              "-i",
                              "sine=frequency=300:duration=2:sample_rate=48000",
                              "-f",
                              "lavfi",
                              "-i",
                              "sine=frequency=500:duration=2:sample_rate=44100",
                              "-i",
                              path("s.srt"),
                              "-i",
                              path("meta.txt"),
                              "-map",
                              "0:v",
                              "-map",
                              "1:a",
                              "-map",
                              "2:a",
                              "-map",
                              "3:s",
                              "-map_metadata",
                              "4",
                              "-map_chapters",
                              "4",
                              "-c:v",
                              "libx264",
                              "-preset",
                              "ultrafast",
                              "-c:a:0",
                              "aac",
                              "-c:a:1",
                              "pcm_s16le",
                              "-c:s",
                              "srt",
                              "-metadata:s:a:0",
                              "language=eng",
                              "-metadata:s:s:0",
                              "language=deu",
                              path("src.mkv")}));
    }

    void mkvToMkvCopiesEverything() {
        // GIVEN the source WHEN written to mkv THEN both audio tracks, the subtitles, chapters and
        // tags are there, copied (no re-encode), with the source's start times and durations.
        core::SinkOptions o;
        o.output = path("all.mkv").toStdString();
        o.encode.preset = "ultrafast";
        o.passthroughFrom = path("src.mkv").toStdString();
        std::vector<std::string> warnings;
        const std::string err = test::transcode(path("src.mkv"), o, &warnings);
        QVERIFY2(err.empty(), err.c_str());
        QVERIFY(!anyContains(warnings, "re-encoded"));
        auto info = core::probe(path("all.mkv").toStdString());
        QVERIFY(info);
        QCOMPARE(info->auxStreams.size(), size_t(3));
        QCOMPARE(info->auxStreams[0].codec, std::string("aac"));
        QCOMPARE(info->auxStreams[0].language, std::string("eng"));
        QCOMPARE(info->auxStreams[1].codec, std::string("pcm_s16le"));
        QCOMPARE(info->auxStreams[2].kind, std::string("subtitle"));
        QCOMPARE(info->auxStreams[2].language, std::string("deu"));
        QCOMPARE(info->chapterCount, 2);
        const QString tags = test::ffprobe(
            {"-show_entries", "format_tags=title", "-of", "csv=p=0", path("all.mkv")});
        QVERIFY2(tags.contains("My holiday"), qPrintable(tags));
        auto src = core::probe(path("src.mkv").toStdString());
        QVERIFY(std::llabs(info->durationUs - src->durationUs) <= 50'000);
        // The copied audio packets are byte-identical to the source's.
        const QString a = test::ffprobe({"-select_streams", "a:0", "-show_entries",
                                         "packet=pts,size", "-of", "csv=p=0", path("src.mkv")});
        const QString b = test::ffprobe({"-select_streams", "a:0", "-show_entries",
                                         "packet=pts,size", "-of", "csv=p=0", path("all.mkv")});
        QVERIFY(!a.isEmpty());
        QCOMPARE(b, a);
    }

    void mp4ReencodesPcmAndConvertsSrt() {
        // GIVEN PCM audio and SRT subtitles WHEN written to mp4 THEN PCM becomes AAC and SRT
        // becomes mov_text, and the user is told both.
        core::SinkOptions o;
        o.output = path("conv.mp4").toStdString();
        o.encode.preset = "ultrafast";
        o.passthroughFrom = path("src.mkv").toStdString();
        std::vector<std::string> warnings;
        const std::string err = test::transcode(path("src.mkv"), o, &warnings);
        QVERIFY2(err.empty(), err.c_str());
        QVERIFY(anyContains(warnings, "re-encoded to AAC"));
        QVERIFY(anyContains(warnings, "mov_text"));
        auto info = core::probe(path("conv.mp4").toStdString());
        QVERIFY(info);
        // mp4 keeps chapters in a QuickTime text track, listed as a "data" stream: it comes last.
        QCOMPARE(info->auxStreams.size(), size_t(4));
        QCOMPARE(info->auxStreams[3].kind, std::string("data"));
        QCOMPARE(info->auxStreams[0].codec, std::string("aac"));
        QCOMPARE(info->auxStreams[1].codec, std::string("aac"));
        QCOMPARE(info->auxStreams[1].sampleRate, 44100);
        QCOMPARE(info->auxStreams[2].codec, std::string("mov_text"));
        QCOMPARE(info->chapterCount, 2);
        // Re-encoded audio keeps its length (within one AAC frame).
        const QString out = test::ffprobe({"-select_streams", "a:1", "-show_entries",
                                           "stream=duration", "-of", "csv=p=0", path("conv.mp4")});
        QVERIFY2(std::abs(out.trimmed().toDouble() - 2.0) < 0.05, qPrintable(out));
        // Subtitle timing survives the conversion.
        const QString subs =
            test::ffprobe({"-select_streams", "s:0", "-show_entries",
                           "packet=pts_time,duration_time", "-of", "csv=p=0", path("conv.mp4")});
        QVERIFY2(subs.contains("0.200000,0.400000"), qPrintable(subs));
        QVERIFY2(subs.contains("1.200000,0.500000"), qPrintable(subs));
    }

    void movTextBecomesSrtInMkv() {
        // GIVEN an mp4 with mov_text subtitles WHEN written to mkv THEN they become SubRip with the
        // same timing.
        const QString in = path("movtext_src.mp4");
        QVERIFY(test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=2", "-i",
                              path("s.srt"), "-map", "0:v", "-map", "1:s", "-c:v", "libx264",
                              "-preset", "ultrafast", "-c:s", "mov_text", in}));
        core::SinkOptions o;
        o.output = path("movtext_out.mkv").toStdString();
        o.encode.preset = "ultrafast";
        o.passthroughFrom = in.toStdString();
        std::vector<std::string> warnings;
        QVERIFY(test::transcode(in, o, &warnings).empty());
        QVERIFY(anyContains(warnings, "converted to subrip"));
        const QString subs = test::ffprobe({"-select_streams", "s:0", "-show_entries",
                                            "stream=codec_name:packet=pts_time,duration_time",
                                            "-of", "csv=p=0", path("movtext_out.mkv")});
        QVERIFY2(subs.contains("subrip"), qPrintable(subs));
        QVERIFY2(subs.contains("0.200000,0.400000"), qPrintable(subs));
        QVERIFY2(subs.contains("1.200000,0.500000"), qPrintable(subs));
    }

    void trimWindowShiftsEverything() {
        // GIVEN a trim of [1.0 s, 2.0 s) WHEN the sink gets the frames of that window THEN audio,
        // subtitles and chapters are cut to it and start at 0 like the video.
        auto src = core::MediaSource::open(path("src.mkv").toStdString());
        QVERIFY(src);
        const core::StreamInfo info = src.value()->info();
        core::SinkOptions o;
        o.output = path("trim.mkv").toStdString();
        o.encode.preset = "ultrafast";
        o.width = info.width;
        o.height = info.height;
        o.passthroughFrom = path("src.mkv").toStdString();
        o.trimStartUs = 1'000'000;
        o.trimEndUs = 2'000'000;
        auto sink = core::MediaSink::open(info, o);
        QVERIFY(sink);
        QVERIFY(src.value()->seekToTime(1'000'000));
        core::FrameConverter conv;
        int n = 0;
        while (true) {
            auto f = src.value()->read();
            QVERIFY(f);
            if (!f.value() || f.value()->ptsUs >= 2'000'000)
                break;
            auto rgb = conv.convert(*f.value(), AV_PIX_FMT_RGB24, info.width, info.height,
                                    core::yuvColorFor(info));
            QVERIFY(sink.value()->write(rgb.value()));
            ++n;
        }
        QVERIFY(sink.value()->finish());
        QCOMPARE(n, 25);
        auto all = test::decodeAll(path("trim.mkv"));
        QVERIFY(all);
        QCOMPARE(all->ptsUs.size(), size_t(25));
        QCOMPARE(all->ptsUs.front(), int64_t(0));
        auto out = core::probe(path("trim.mkv").toStdString());
        QCOMPARE(out->chapterCount, 1);
        const QString s = starts(path("trim.mkv"));
        const QStringList lines = s.split('\n', Qt::SkipEmptyParts);
        QVERIFY2(lines.size() == 4, qPrintable(s));
        for (const QString& line : lines) {
            const QStringList f = line.split(',');
            QVERIFY2(std::abs(f[3].toDouble()) < 0.03 || f[2] == "subtitle", qPrintable(s));
        }
        // Only the second subtitle (1.2 s in the source) is inside: it now starts at 0.2 s.
        const QString subs = test::ffprobe({"-select_streams", "s:0", "-show_entries",
                                            "packet=pts_time", "-of", "csv=p=0", path("trim.mkv")});
        QCOMPARE(subs.trimmed(), QString("0.200000"));
        const QString dur = test::ffprobe({"-select_streams", "a:0", "-show_entries",
                                           "stream=duration", "-of", "csv=p=0", path("trim.mkv")});
        (void)dur;
    }

    void attachmentsCopiedToMkvOnly() {
        // GIVEN an mkv with a font attachment WHEN written to mkv THEN the attachment is there with
        // its bytes; WHEN written to mp4 THEN it is dropped with a warning.
        QFile font(path("font.ttf"));
        QVERIFY(font.open(QIODevice::WriteOnly));
        font.write(QByteArray(3000, 'F'));
        font.close();
        QVERIFY(test::ffmpeg({"-i", path("src.mkv"), "-map", "0", "-c", "copy", "-attach",
                              path("font.ttf"), "-metadata:s:t", "mimetype=font/ttf",
                              path("att.mkv")}));
        core::SinkOptions o;
        o.output = path("att_out.mkv").toStdString();
        o.encode.preset = "ultrafast";
        o.passthroughFrom = path("att.mkv").toStdString();
        QVERIFY(test::transcode(path("att.mkv"), o).empty());
        auto info = core::probe(path("att_out.mkv").toStdString());
        QVERIFY(info);
        QVERIFY(std::any_of(info->auxStreams.begin(), info->auxStreams.end(),
                            [](const core::AuxStreamInfo& a) { return a.kind == "attachment"; }));
        const QString sizes =
            test::ffprobe({"-select_streams", "t", "-show_entries", "stream=extradata_size", "-of",
                           "csv=p=0", path("att_out.mkv")});
        QCOMPARE(sizes.trimmed(), QString("3000"));
        o.output = path("att_out.mp4").toStdString();
        std::vector<std::string> warnings;
        QVERIFY(test::transcode(path("att.mkv"), o, &warnings).empty());
        QVERIFY(anyContains(warnings, "cannot carry attachments"));
    }

    void transportStreamToMp4() {
        // GIVEN an MPEG-TS (video starting at 1.4 s, 90 kHz clock, AAC in ADTS) WHEN written to mp4
        // THEN every frame keeps its pts relative to the start, audio is copied (ADTS -> mp4 needs
        // no re-encode) and starts together with the video.
        QVERIFY(test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=1", "-f",
                              "lavfi", "-i", "sine=duration=1", "-c:v", "libx264", "-preset",
                              "ultrafast", "-c:a", "aac", path("cam.ts")}));
        core::SinkOptions o;
        o.output = path("cam.mp4").toStdString();
        o.encode.preset = "ultrafast";
        o.passthroughFrom = path("cam.ts").toStdString();
        std::vector<std::string> warnings;
        const std::string err = test::transcode(path("cam.ts"), o, &warnings);
        QVERIFY2(err.empty(), err.c_str());
        QVERIFY(!anyContains(warnings, "re-encoded"));
        auto a = test::decodeAll(path("cam.ts"));
        auto b = test::decodeAll(path("cam.mp4"));
        QVERIFY(a && b);
        QCOMPARE(b->ptsUs, a->ptsUs);
        auto info = core::probe(path("cam.mp4").toStdString());
        QVERIFY(info);
        QCOMPARE(info->auxStreams.size(), size_t(1));
        QCOMPARE(info->auxStreams[0].codec, std::string("aac"));
        auto startOf = [](const QString& file, const char* sel) {
            return test::ffprobe({"-select_streams", sel, "-show_entries", "stream=start_time",
                                  "-of", "csv=p=0", file})
                .trimmed()
                .toDouble();
        };
        const double gapIn = startOf(path("cam.ts"), "v:0") - startOf(path("cam.ts"), "a:0");
        const double gapOut = startOf(path("cam.mp4"), "v:0") - startOf(path("cam.mp4"), "a:0");
        QVERIFY2(std::abs(gapIn - gapOut) < 0.002,
                 qPrintable(QString("%1 vs %2").arg(gapIn).arg(gapOut)));
    }

    void avSyncWithLateVideoStart() {
        // GIVEN audio starting 0.5 s before the video (video start pts 0.5 s) WHEN written THEN the
        // gap between audio and video is the same in the output.
        QVERIFY(test::ffmpeg({"-f",
                              "lavfi",
                              "-i",
                              "testsrc2=size=96x64:rate=25:duration=1",
                              "-f",
                              "lavfi",
                              "-i",
                              "sine=duration=1.5",
                              "-map",
                              "0:v",
                              "-map",
                              "1:a",
                              "-c:v",
                              "libx264",
                              "-preset",
                              "ultrafast",
                              "-c:a",
                              "aac",
                              "-output_ts_offset",
                              "0",
                              "-vf",
                              "setpts=PTS+0.5/TB",
                              path("late.mkv")}));
        core::SinkOptions o;
        o.output = path("late_out.mkv").toStdString();
        o.encode.preset = "ultrafast";
        o.passthroughFrom = path("late.mkv").toStdString();
        QVERIFY(test::transcode(path("late.mkv"), o).empty());
        auto startOf = [](const QString& file, const char* sel) {
            return test::ffprobe({"-select_streams", sel, "-show_entries", "stream=start_time",
                                  "-of", "csv=p=0", file})
                .trimmed()
                .toDouble();
        };
        const double gapIn = startOf(path("late.mkv"), "v:0") - startOf(path("late.mkv"), "a:0");
        const double gapOut =
            startOf(path("late_out.mkv"), "v:0") - startOf(path("late_out.mkv"), "a:0");
        QVERIFY2(gapIn > 0.4, qPrintable(QString::number(gapIn)));
        QVERIFY2(std::abs(gapIn - gapOut) < 0.002,
                 qPrintable(QString("%1 vs %2").arg(gapIn).arg(gapOut)));
    }
};

QTEST_GUILESS_MAIN(TestMediaPassthrough)
#include "test_media_passthrough.moc"
