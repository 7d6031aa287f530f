// MediaSink: decode -> encode round trips keep frame count, pts and duration; every codec and
// container; colour tags; 10-bit; odd sizes; rotation; metadata.
#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include <algorithm>

#include "media_test_util.h"

using namespace fvs;

class TestMediaSink : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

    // GIVEN a generated clip, WHEN it goes through the sink, THEN frames and timing are the
    // source's.
    void checkRoundTrip(const QString& in, const QString& out, core::EncodeSettings enc,
                        double ptsToleranceUs = 0) {
        core::SinkOptions o;
        o.output = out.toStdString();
        o.encode = enc;
        const std::string err = test::transcode(in, o);
        QVERIFY2(err.empty(), err.c_str());
        auto a = test::decodeAll(in);
        auto b = test::decodeAll(out);
        QVERIFY(a && b);
        QCOMPARE(b->ptsUs.size(), a->ptsUs.size());
        for (size_t i = 0; i < a->ptsUs.size(); ++i) {
            QVERIFY2(
                std::llabs(a->ptsUs[i] - b->ptsUs[i]) <= ptsToleranceUs,
                qPrintable(QString("frame %1: %2 vs %3").arg(i).arg(a->ptsUs[i]).arg(b->ptsUs[i])));
        }
        auto ia = core::probe(in.toStdString());
        auto ib = core::probe(out.toStdString());
        QVERIFY(ia && ib);
        QVERIFY2(std::llabs(ia->durationUs - ib->durationUs) <= 1000 + ptsToleranceUs,
                 qPrintable(QString("duration %1 vs %2").arg(ia->durationUs).arg(ib->durationUs)));
        QVERIFY(!QFile::exists(out + ".part"));
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        av_log_set_level(AV_LOG_ERROR);
        QVERIFY(test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=160x96:rate=25:duration=1.2",
                              "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                              path("cfr.mp4")}));
    }

    void everyCodecAndContainer_data() {
        QTest::addColumn<QString>("codec");
        QTest::addColumn<QString>("out");
        QTest::addColumn<QString>("preset");
        QTest::addColumn<QString>("profile");
        QTest::addColumn<int>("tolUs");
        QTest::newRow("x264 mov") << "libx264"
                                  << "o_x264.mov"
                                  << "ultrafast"
                                  << "" << 0;
        QTest::newRow("x264 mkv") << "libx264"
                                  << "o_x264.mkv"
                                  << "ultrafast"
                                  << "" << 0;
        QTest::newRow("x265 mp4") << "libx265"
                                  << "o_x265.mp4"
                                  << "ultrafast"
                                  << "" << 0;
        QTest::newRow("x265 mkv") << "libx265"
                                  << "o_x265.mkv"
                                  << "ultrafast"
                                  << "" << 0;
        QTest::newRow("svtav1 mp4") << "libsvtav1"
                                    << "o_av1.mp4"
                                    << "12"
                                    << "" << 0;
        QTest::newRow("svtav1 mkv") << "libsvtav1"
                                    << "o_av1.mkv"
                                    << "12"
                                    << "" << 0;
        QTest::newRow("prores hq mov") << "prores_ks"
                                       << "o_phq.mov"
                                       << ""
                                       << "hq" << 0;
        QTest::newRow("prores 4444 mkv") << "prores_ks"
                                         << "o_p4444.mkv"
                                         << ""
                                         << "4444" << 0;
        QTest::newRow("ffv1 mkv") << "ffv1"
                                  << "o_ffv1.mkv"
                                  << ""
                                  << "" << 0;
    }
    void everyCodecAndContainer() {
        QFETCH(QString, codec);
        QFETCH(QString, out);
        QFETCH(QString, preset);
        QFETCH(QString, profile);
        QFETCH(int, tolUs);
        core::EncodeSettings e;
        e.codec = codec.toStdString();
        e.preset = preset.toStdString();
        e.proresProfile = profile.toStdString();
        checkRoundTrip(path("cfr.mp4"), path(out), e, tolUs);
        auto info = core::probe(path(out).toStdString());
        QVERIFY(info);
        const char* expectCodec = codec == "libx264"     ? "h264"
                                  : codec == "libx265"   ? "hevc"
                                  : codec == "libsvtav1" ? "av1"
                                  : codec == "prores_ks" ? "prores"
                                                         : "ffv1";
        QCOMPARE(info->codec, std::string(expectCodec));
        if (profile == "4444") {
            // The ProRes decoder hands 4444 out as 12-bit 4:4:4.
            const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(info->pixelFormat);
            QVERIFY(d->log2_chroma_w == 0 && d->log2_chroma_h == 0);
            QVERIFY(info->bitDepth >= 10);
        }
        if (profile == "hq") {
            QCOMPARE(info->pixelFormat, AV_PIX_FMT_YUV422P10LE);
            QVERIFY(test::ffprobe({"-show_entries", "stream=profile", "-of", "csv=p=0", path(out)})
                        .contains("HQ"));
        }
    }

    void codecContainerMismatchIsRefused() {
        // GIVEN ffv1 (or prores) asked for in a container that cannot hold it THEN a clear error.
        for (const auto& [codec, out] :
             {std::pair{"ffv1", "bad_ffv1.mov"}, {"prores_ks", "bad_prores.mp4"}}) {
            core::SinkOptions o;
            o.output = path(out).toStdString();
            o.encode.codec = codec;
            const std::string err = test::transcode(path("cfr.mp4"), o);
            QVERIFY2(QString::fromStdString(err).contains("cannot be stored"), err.c_str());
            QVERIFY(QString::fromStdString(err).contains(".mkv"));
            QVERIFY(!QFile::exists(path(out)));
            QVERIFY(!QFile::exists(path(out) + ".part"));
        }
    }

    void nvencOnlyWhenUsable() {
        const auto enc = core::availableEncoders();
        for (const char* c :
             {"libx264", "libx265", "libsvtav1", "prores_ks", "ffv1", "png", "tiff"}) {
            QVERIFY2(std::find(enc.begin(), enc.end(), c) != enc.end(), c);
        }
        if (std::find(enc.begin(), enc.end(), "h264_nvenc") == enc.end()) {
            // Not offered, and asking for it says why.
            core::SinkOptions o;
            o.output = path("nv.mp4").toStdString();
            o.encode.codec = "h264_nvenc";
            o.width = 64;
            o.height = 64;
            auto info = core::probe(path("cfr.mp4").toStdString());
            auto sink = core::MediaSink::open(info.value(), o);
            QVERIFY(!sink);
            QCOMPARE(sink.error().code, core::ErrorCode::Unsupported);
            QSKIP("NVENC not usable on this machine (no NVIDIA driver)");
        }
        for (const char* c : {"h264_nvenc", "hevc_nvenc"}) {
            core::EncodeSettings e;
            e.codec = c;
            e.crf = 23;
            checkRoundTrip(path("cfr.mp4"), path(QString("o_%1.mp4").arg(c)), e);
        }
    }

    void imageSequences_data() {
        QTest::addColumn<QString>("codec");
        QTest::addColumn<QString>("pattern");
        QTest::newRow("png") << "png"
                             << "seq_png/f_%04d.png";
        QTest::newRow("tiff") << "tiff"
                              << "seq_tif/f_%04d.tif";
    }
    void imageSequences() {
        // GIVEN a 30-frame clip WHEN written as images THEN 30 numbered files appear, only at the
        // end.
        QFETCH(QString, codec);
        QFETCH(QString, pattern);
        QDir(m_dir.path()).mkpath(QFileInfo(path(pattern)).path());
        core::SinkOptions o;
        o.output = path(pattern).toStdString();
        o.encode.codec = codec.toStdString();
        const std::string err = test::transcode(path("cfr.mp4"), o);
        QVERIFY2(err.empty(), err.c_str());
        const QDir dir(QFileInfo(path(pattern)).path());
        const QStringList files =
            dir.entryList(QDir::Files | QDir::Hidden | QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(files.size(), 30);
        QVERIFY(files.contains(QString(pattern.section('/', 1)).replace("%04d", "0001")));
        QVERIFY(files.contains(QString(pattern.section('/', 1)).replace("%04d", "0030")));
        auto first = core::probe(dir.filePath(files.first()).toStdString());
        QVERIFY(first);
        QCOMPARE(first->width, 160);
        QCOMPARE(first->pixelFormat, AV_PIX_FMT_RGB24);
    }

    void vfrRoundTripKeepsPts_data() {
        QTest::addColumn<QString>("ext");
        QTest::addColumn<int>("tolUs");
        QTest::newRow("mp4") << "mp4" << 0;
        QTest::newRow("mkv") << "mkv" << 1000;  // Matroska stores milliseconds
        QTest::newRow("mov") << "mov" << 0;
    }
    void vfrRoundTripKeepsPts() {
        QFETCH(QString, ext);
        QFETCH(int, tolUs);
        const QString in = path("vfr_src.mp4");
        if (!QFile::exists(in)) {
            QVERIFY(
                test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=96x64:rate=30:duration=1", "-vf",
                              "setpts='if(lt(N,10),N/30,1/3+(N-10)*0.07)/TB'", "-fps_mode", "vfr",
                              "-c:v", "libx264", "-preset", "ultrafast", in}));
        }
        core::EncodeSettings e;
        e.preset = "ultrafast";
        checkRoundTrip(in, path("vfr_out." + ext), e, tolUs);
    }

    void tenBitInTenBitOut_data() {
        QTest::addColumn<QString>("codec");
        QTest::addColumn<QString>("out");
        QTest::newRow("x265") << "libx265"
                              << "ten_x265.mkv";
        QTest::newRow("ffv1") << "ffv1"
                              << "ten_ffv1.mkv";
        QTest::newRow("prores") << "prores_ks"
                                << "ten_prores.mov";
        QTest::newRow("x264") << "libx264"
                              << "ten_x264.mp4";
    }
    void tenBitInTenBitOut() {
        // GIVEN yuv420p10le WHEN processed in RGB48 and encoded THEN the output is 10-bit too.
        QFETCH(QString, codec);
        QFETCH(QString, out);
        const QString in = path("ten.mkv");
        if (!QFile::exists(in)) {
            QVERIFY(test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=0.4",
                                  "-c:v", "ffv1", "-pix_fmt", "yuv420p10le", in}));
        }
        auto src = core::probe(in.toStdString());
        QVERIFY(src);
        QCOMPARE(core::processingFormatFor(src.value()), AV_PIX_FMT_RGB48LE);
        core::EncodeSettings e;
        e.codec = codec.toStdString();
        e.preset = codec.startsWith("libx") ? "ultrafast" : "";
        checkRoundTrip(in, path(out), e, 0);
        auto info = core::probe(path(out).toStdString());
        QVERIFY(info);
        QCOMPARE(info->bitDepth, 10);
        if (codec != "prores_ks")
            QCOMPARE(info->pixelFormat, AV_PIX_FMT_YUV420P10LE);
    }

    void x264Mp4RoundTripKeepsFramesAndPts() {
        core::EncodeSettings e;
        e.codec = "libx264";
        e.preset = "ultrafast";
        checkRoundTrip(path("cfr.mp4"), path("out_x264.mp4"), e);
    }
};

QTEST_GUILESS_MAIN(TestMediaSink)
#include "test_media_sink.moc"
