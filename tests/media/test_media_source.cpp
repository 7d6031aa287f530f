// MediaSource: StreamInfo, exact pts for CFR and VFR, frame-accurate seeks, bad inputs, probe JSON.
#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <filesystem>

#include "media_test_util.h"

using namespace fvs;

namespace {
QByteArray pixelHash(const core::Frame& f) {
    QCryptographicHash h(QCryptographicHash::Sha1);
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(f.format());
    for (int p = 0; p < 4 && f.av->data[p]; ++p) {
        const int rows = p == 0 || p == 3 ? f.height() : -((-f.height()) >> d->log2_chroma_h);
        const int bytes = av_image_get_linesize(f.format(), f.width(), p);
        for (int y = 0; y < rows; ++y) {
            h.addData(QByteArrayView(
                reinterpret_cast<const char*>(f.av->data[p] + y * f.av->linesize[p]), bytes));
        }
    }
    return h.result();
}

std::vector<int64_t> ffprobePtsUs(const QString& file) {
    const QString out = test::ffprobe({"-select_streams", "v:0", "-show_entries",
                                       "frame=best_effort_timestamp_time", "-of", "csv=p=0", file});
    std::vector<int64_t> pts;
    for (const QString& line : out.split('\n', Qt::SkipEmptyParts)) {
        pts.push_back(std::llround(line.trimmed().toDouble() * 1e6));
    }
    return pts;
}
}  // namespace

class TestMediaSource : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        av_log_set_level(AV_LOG_QUIET);
        QVERIFY(test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=128x72:rate=25:duration=1.2",
                              "-c:v", "libx264", "-preset", "ultrafast", "-g", "8", "-bf", "2",
                              "-pix_fmt", "yuv420p", path("cfr.mp4")}));
        // Variable frame rate: 10 frames at 40 ms, then 100 ms steps.
        for (const QString ext : {"mkv", "mp4"}) {
            const QString file = path("vfr." + ext);
            QVERIFY(
                test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=1", "-vf",
                              "setpts='if(lt(N,10),N*0.04,0.4+(N-10)*0.1)/TB'", "-fps_mode", "vfr",
                              "-c:v", "libx264", "-preset", "ultrafast", file}));
        }
    }

    void cfrClipHasExactCountAndPts() {
        // GIVEN a 25 fps 1.2 s clip WHEN it is read THEN 30 frames, pts = i * 40 ms, index = i.
        auto src = core::MediaSource::open(path("cfr.mp4").toStdString());
        QVERIFY2(src, src ? "" : src.error().message.c_str());
        const core::StreamInfo& info = src.value()->info();
        QCOMPARE(info.width, 128);
        QCOMPARE(info.height, 72);
        QCOMPARE(info.frameCount, 30);
        QVERIFY(info.frameCountExact);
        QVERIFY(!info.variableFrameRate);
        QCOMPARE(info.avgFrameRate.num / info.avgFrameRate.den, 25);
        QCOMPARE(info.bitDepth, 8);
        QCOMPARE(info.pixelFormat, AV_PIX_FMT_YUV420P);
        QVERIFY(std::llabs(info.durationUs - 1'200'000) <= 1000);
        auto all = test::decodeAll(path("cfr.mp4"));
        QVERIFY(all);
        QCOMPARE(all->ptsUs.size(), size_t(30));
        for (int i = 0; i < 30; ++i) {
            QCOMPARE(all->ptsUs[i], int64_t(i) * 40000);
            QCOMPARE(all->index[i], int64_t(i));
        }
        QVERIFY(all->warnings.empty());
    }

    void vfrClipKeepsEveryPts_data() {
        QTest::addColumn<QString>("ext");
        QTest::newRow("mkv") << "mkv";
        QTest::newRow("mp4") << "mp4";
    }
    void vfrClipKeepsEveryPts() {
        // GIVEN variable frame rate (10 frames at 40 ms, then 100 ms steps) WHEN read THEN the pts
        // equal ffprobe's, nothing resampled, and the stream is flagged variable.
        QFETCH(QString, ext);
        const QString file = path("vfr." + ext);

        auto all = test::decodeAll(file);
        QVERIFY(all);
        const std::vector<int64_t> expected = ffprobePtsUs(file);
        QCOMPARE(all->ptsUs.size(), size_t(25));
        QCOMPARE(all->ptsUs.size(), expected.size());
        for (size_t i = 0; i < expected.size(); ++i)
            QVERIFY(std::llabs(all->ptsUs[i] - expected[i]) <= 1);
        QCOMPARE(all->ptsUs[12], int64_t(600000));
        auto info = core::probe(file.toStdString());
        QVERIFY(info);
        QCOMPARE(info->frameCount, 25);
        QVERIFY(info->variableFrameRate);
    }

    void streamInfoReadsTagsAuxStreamsAndChapters() {
        // GIVEN a tagged 10-bit clip with SAR, rotation, audio, subtitles and chapters.
        QFile srt(path("s.srt"));
        QVERIFY(srt.open(QIODevice::WriteOnly));
        srt.write("1\n00:00:00,100 --> 00:00:00,500\nhello\n\n");
        srt.close();
        QFile meta(path("chapters.txt"));
        QVERIFY(meta.open(QIODevice::WriteOnly));
        meta.write(
            ";FFMETADATA1\ntitle=tagged\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle=one\n"
            "[CHAPTER]\nTIMEBASE=1/1000\nSTART=500\nEND=1000\ntitle=two\n");
        meta.close();
        const QString file = path("tagged.mkv");
        QVERIFY(test::ffmpeg({"-f",
                              "lavfi",
                              "-i",
                              "testsrc2=size=128x96:rate=24:duration=1",
                              "-f",
                              "lavfi",
                              "-i",
                              "sine=frequency=440:duration=1",
                              "-i",
                              path("s.srt"),
                              "-i",
                              path("chapters.txt"),
                              "-map",
                              "0:v",
                              "-map",
                              "1:a",
                              "-map",
                              "2:s",
                              "-map_metadata",
                              "3",
                              "-map_chapters",
                              "3",
                              "-vf",
                              "setsar=4/3",
                              "-c:v",
                              "libx265",
                              "-preset",
                              "ultrafast",
                              "-x265-params",
                              "log-level=error",
                              "-pix_fmt",
                              "yuv420p10le",
                              "-color_primaries",
                              "bt2020",
                              "-color_trc",
                              "smpte2084",
                              "-colorspace",
                              "bt2020nc",
                              "-color_range",
                              "pc",
                              "-c:a",
                              "flac",
                              "-c:s",
                              "srt",
                              "-metadata:s:a",
                              "language=fra",
                              file}));
        auto info = core::probe(file.toStdString());
        QVERIFY2(info, info ? "" : info.error().message.c_str());
        QCOMPARE(info->codec, std::string("hevc"));
        QCOMPARE(info->bitDepth, 10);
        QCOMPARE(info->pixelFormat, AV_PIX_FMT_YUV420P10LE);
        QCOMPARE(info->sar.num, 4);
        QCOMPARE(info->sar.den, 3);
        QCOMPARE(info->colorPrimaries, AVCOL_PRI_BT2020);
        QCOMPARE(info->colorTransfer, AVCOL_TRC_SMPTE2084);
        QCOMPARE(info->colorSpace, AVCOL_SPC_BT2020_NCL);
        QCOMPARE(info->colorRange, AVCOL_RANGE_JPEG);
        QCOMPARE(info->frameCount, 24);
        QVERIFY(info->frameCountExact);  // counted: mkv stores no count
        QCOMPARE(info->auxStreams.size(), size_t(2));
        QCOMPARE(info->auxStreams[0].kind, std::string("audio"));
        QCOMPARE(info->auxStreams[0].codec, std::string("flac"));
        QCOMPARE(info->auxStreams[0].language, std::string("fra"));
        QCOMPARE(info->auxStreams[0].channels, 1);
        QCOMPARE(info->auxStreams[0].sampleRate, 44100);
        QCOMPARE(info->auxStreams[1].kind, std::string("subtitle"));
        QCOMPARE(info->chapterCount, 2);
        // The JSON form carries the same facts.
        const QJsonObject j =
            QJsonDocument::fromJson(QByteArray::fromStdString(core::toJson(info.value()))).object();
        QCOMPARE(j["video"].toObject()["bit_depth"].toInt(), 10);
        QCOMPARE(j["video"].toObject()["color_space"].toString(), QString("bt2020nc"));
        QCOMPARE(j["video"].toObject()["frame_count"].toInt(), 24);
        QCOMPARE(j["streams"].toArray().size(), 2);
        QCOMPARE(j["chapter_count"].toInt(), 2);
    }

    void probeJsonOfNonUtf8NameAndTags() {
        // GIVEN a clip whose file name is Latin-1 ("\xe9t\xe9.mp4"), not UTF-8, and a damaged
        // MKV whose tags are not UTF-8 (found by tests/fuzz/fuzz_media_probe)
        // WHEN probed and printed as JSON THEN the JSON is valid, with U+FFFD for the bad bytes
        // (it used to throw from nlohmann::json::dump and abort `flashvsr probe`).
        const std::string latin1 = m_dir.path().toStdString() + "/\xe9t\xe9.mp4";
        std::filesystem::copy_file(path("cfr.mp4").toStdString(), latin1);
        auto info = core::probe(latin1);
        QVERIFY2(info, info ? "" : info.error().message.c_str());
        const QByteArray text = QByteArray::fromStdString(core::toJson(info.value()));
        QJsonParseError err{};
        const QJsonObject j = QJsonDocument::fromJson(text, &err).object();
        QCOMPARE(err.error, QJsonParseError::NoError);
        QVERIFY(j["path"].toString().endsWith(QString::fromUtf8("/\uFFFDt\uFFFD.mp4")));
        QCOMPARE(j["video"].toObject()["width"].toInt(), 128);
        std::filesystem::remove(latin1);  // QTemporaryDir may not decode the name to remove it

        const QString damaged = QStringLiteral(FVS_SOURCE_DIR) +
                                "/tests/fuzz/corpus/media_probe/regress_non_utf8_tag.mkv";
        auto tagged = core::probe(damaged.toStdString());
        QVERIFY2(tagged, tagged ? "" : tagged.error().message.c_str());
        const QByteArray tagText = QByteArray::fromStdString(core::toJson(tagged.value()));
        QVERIFY(tagText.contains("\xef\xbf\xbd"));  // U+FFFD in UTF-8
        QJsonDocument::fromJson(tagText, &err);
        QCOMPARE(err.error, QJsonParseError::NoError);
    }

    void unknownColourTagsAreUnspecified() {
        // GIVEN a damaged MPEG-2 TS whose sequence display extension gives colour primaries 143, no
        // AVColorPrimaries value (found by tests/fuzz/fuzz_media_probe: reading it as the enum was
        // undefined behaviour, reported by the asan preset's UBSan)
        const QString damaged = QStringLiteral(FVS_SOURCE_DIR) +
                                "/tests/fuzz/corpus/media_probe/regress_colour_primaries_143.ts";
        // WHEN probed THEN it opens, and the tag reads as unspecified (FFmpeg names it "unknown")
        auto info = core::probe(damaged.toStdString());
        QVERIFY2(info, info ? "" : info.error().message.c_str());
        QCOMPARE(info->colorPrimaries, AVCOL_PRI_UNSPECIFIED);
        QVERIFY(core::toJson(info.value()).find(R"("color_primaries": "unknown")") !=
                std::string::npos);
    }

    void rotationFromDisplayMatrix() {
        // GIVEN an mp4 whose display matrix turns the picture WHEN probed THEN rotationDegrees says
        // so.
        const QString file = path("rot.mp4");
        QVERIFY(test::ffmpeg(
            {"-i", path("cfr.mp4"), "-c", "copy", "-metadata:s:v", "rotate=90", file}));
        auto info = core::probe(file.toStdString());
        QVERIFY(info);
        const QString side =
            test::ffprobe({"-show_entries", "stream_side_data=rotation", "-of", "csv=p=0", file});
        const int ffRotation = side.trimmed().split('\n').first().toInt();  // counter-clockwise
        QVERIFY(ffRotation != 0);
        QCOMPARE(info->rotationDegrees, ((-ffRotation) % 360 + 360) % 360);
    }

    void seekToFrameMatchesSequentialDecode() {
        // GIVEN sequential decode hashes WHEN seeking to frame N THEN the next frame is frame N,
        // with the same pixels, pts and index (also across GOPs and backwards).
        auto src = core::MediaSource::open(path("cfr.mp4").toStdString());
        QVERIFY(src);
        std::vector<QByteArray> hashes;
        std::vector<int64_t> pts;
        while (true) {
            auto f = src.value()->read();
            QVERIFY(f);
            if (!f.value())
                break;
            hashes.push_back(pixelHash(*f.value()));
            pts.push_back(f.value()->ptsUs);
        }
        QCOMPARE(hashes.size(), size_t(30));
        for (int64_t n : {17, 3, 29, 0, 9, 8, 16}) {
            QVERIFY(src.value()->seekToFrame(n));
            auto f = src.value()->read();
            QVERIFY(f && f.value());
            QCOMPARE(f.value()->index, n);
            QCOMPARE(f.value()->ptsUs, pts[n]);
            QCOMPARE(pixelHash(*f.value()), hashes[n]);
            auto g = src.value()->read();  // and decoding continues in order
            if (n + 1 < 30) {
                QVERIFY(g && g.value());
                QCOMPARE(g.value()->index, n + 1);
                QCOMPARE(pixelHash(*g.value()), hashes[n + 1]);
            }
        }
        QVERIFY(src.value()->seekToTime(500'000));  // 0.5 s = frame 12.5 -> first at or after: 13
        auto f = src.value()->read();
        QVERIFY(f && f.value());
        QCOMPARE(f.value()->index, 13);
        QCOMPARE(pixelHash(*f.value()), hashes[13]);
        const auto bad = src.value()->seekToFrame(30);
        QVERIFY(!bad);
        QCOMPARE(bad.error().code, core::ErrorCode::InvalidArgument);
    }

    void seekInVariableFrameRateMkv() {
        // GIVEN a VFR mkv (no frame count in the container: the packet scan builds the index) WHEN
        // seeking to frames on both sides of the rate change THEN index and pts are exact.
        const QString file = path("vfr.mkv");
        auto all = test::decodeAll(file);
        QVERIFY(all);
        auto src = core::MediaSource::open(file.toStdString());
        QVERIFY(src);
        for (int64_t n : {20, 5, 11, 24, 0}) {
            QVERIFY(src.value()->seekToFrame(n));
            auto f = src.value()->read();
            QVERIFY(f && f.value());
            QCOMPARE(f.value()->index, n);
            QCOMPARE(f.value()->ptsUs, all->ptsUs[n]);
        }
        QVERIFY(src.value()->seekToTime(650'000));  // between 0.6 s (frame 12) and 0.7 s (frame 13)
        auto f = src.value()->read();
        QVERIFY(f && f.value());
        QCOMPARE(f.value()->index, 13);
    }

    void badInputsGiveClearErrors() {
        // GIVEN inputs that are not usable video WHEN opened THEN a clear error code, no crash.
        auto missing = core::MediaSource::open(path("nope.mp4").toStdString());
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, core::ErrorCode::NotFound);

        auto dir = core::MediaSource::open(m_dir.path().toStdString());
        QVERIFY(!dir);
        QCOMPARE(dir.error().code, core::ErrorCode::InvalidInput);
        QVERIFY(QString::fromStdString(dir.error().message).contains("directory"));

        QFile empty(path("empty.mp4"));
        QVERIFY(empty.open(QIODevice::WriteOnly));
        empty.close();
        auto zero = core::MediaSource::open(path("empty.mp4").toStdString());
        QVERIFY(!zero);
        QCOMPARE(zero.error().code, core::ErrorCode::InvalidInput);
        QVERIFY(QString::fromStdString(zero.error().message).contains("empty"));

        QFile text(path("notes.mp4"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("this is a shopping list, not a video\n");
        text.close();
        auto txt = core::MediaSource::open(path("notes.mp4").toStdString());
        QVERIFY(!txt);
        QCOMPARE(txt.error().code, core::ErrorCode::InvalidInput);

        QVERIFY(test::ffmpeg(
            {"-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac", path("audio.m4a")}));
        auto audio = core::MediaSource::open(path("audio.m4a").toStdString());
        QVERIFY(!audio);
        QCOMPARE(audio.error().code, core::ErrorCode::InvalidInput);
        QVERIFY(QString::fromStdString(audio.error().message).contains("no video"));
    }

    void corruptPacketsAreSkippedWithWarnings() {
        // GIVEN a transport stream with garbage written over its middle WHEN read THEN decoding
        // goes on to the end, the damage is reported through onWarning, and pts stay increasing.
        QVERIFY(
            test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=128x72:rate=25:duration=2", "-c:v",
                          "libx264", "-preset", "ultrafast", "-g", "10", path("clean.ts")}));
        QFile f(path("clean.ts"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray bytes = f.readAll();
        for (int i = bytes.size() * 2 / 5; i < bytes.size() * 3 / 5; i += 7)
            bytes[i] = char(i * 31);
        QFile g(path("corrupt.ts"));
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write(bytes);
        g.close();
        auto all = test::decodeAll(path("corrupt.ts"));
        QVERIFY(all);
        QVERIFY(!all->warnings.empty());
        QVERIFY(all->ptsUs.size() > 10);
        QVERIFY(std::is_sorted(all->ptsUs.begin(), all->ptsUs.end()));
        QCOMPARE(all->ptsUs.back(), int64_t(1'960'000));  // the end is still reached
    }

    void truncatedFiles() {
        // GIVEN an mp4 cut in half WHEN the index is at the end THEN a clear error; WHEN the index
        // is at the front (faststart) THEN reading ends cleanly early with a warning.
        QVERIFY(test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=128x72:rate=25:duration=2",
                              "-c:v", "libx264", "-preset", "ultrafast", path("whole.mp4")}));
        QVERIFY(test::ffmpeg(
            {"-i", path("whole.mp4"), "-c", "copy", "-movflags", "+faststart", path("fast.mp4")}));
        for (const QString& name : {QString("whole.mp4"), QString("fast.mp4")}) {
            QFile f(path(name));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray half = f.read(f.size() / 2);
            QFile cut(path("cut_" + name));
            QVERIFY(cut.open(QIODevice::WriteOnly));
            cut.write(half);
        }
        auto noIndex = core::MediaSource::open(path("cut_whole.mp4").toStdString());
        QVERIFY(!noIndex);
        QCOMPARE(noIndex.error().code, core::ErrorCode::InvalidInput);

        auto all = test::decodeAll(path("cut_fast.mp4"));
        QVERIFY(all);
        QVERIFY(all->ptsUs.size() > 0);
        QVERIFY(all->ptsUs.size() < 50);
        QVERIFY(!all->warnings.empty());
    }
};

QTEST_GUILESS_MAIN(TestMediaSource)
#include "test_media_source.moc"
