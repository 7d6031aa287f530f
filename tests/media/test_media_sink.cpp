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

    void explicitPixelFormats_data() {
        QTest::addColumn<QString>("codec");
        QTest::addColumn<QString>("pixFmt");
        QTest::addColumn<QString>("out");
        QTest::newRow("x264 4:2:2 8-bit") << "libx264"
                                          << "yuv422p"
                                          << "pf_422.mkv";
        QTest::newRow("x264 4:4:4 10-bit") << "libx264"
                                           << "yuv444p10le"
                                           << "pf_444_10.mp4";
        QTest::newRow("x265 4:2:2 10-bit") << "libx265"
                                           << "yuv422p10le"
                                           << "pf_x265_422.mkv";
        QTest::newRow("ffv1 4:4:4") << "ffv1"
                                    << "yuv444p"
                                    << "pf_ffv1.mkv";
        QTest::newRow("svtav1 10-bit") << "libsvtav1"
                                       << "yuv420p10le"
                                       << "pf_av1.mkv";
    }
    void explicitPixelFormats() {
        QFETCH(QString, codec);
        QFETCH(QString, pixFmt);
        QFETCH(QString, out);
        core::SinkOptions o;
        o.output = path(out).toStdString();
        o.encode.codec = codec.toStdString();
        o.encode.pixelFormat = pixFmt.toStdString();
        o.encode.preset = codec == "libsvtav1" ? "12" : codec == "ffv1" ? "" : "ultrafast";
        const std::string err = test::transcode(path("cfr.mp4"), o);
        QVERIFY2(err.empty(), err.c_str());
        auto info = core::probe(path(out).toStdString());
        QVERIFY(info);
        QCOMPARE(QString::fromStdString(info->pixelFormatName), pixFmt);
    }

    void unsupportedPixelFormatIsExplained() {
        core::SinkOptions o;
        o.output = path("bad_pf.mp4").toStdString();
        o.encode.codec = "libsvtav1";
        o.encode.pixelFormat = "yuv444p";
        const std::string err = test::transcode(path("cfr.mp4"), o);
        QVERIFY2(QString::fromStdString(err).contains("cannot encode yuv444p"), err.c_str());
        QVERIFY(QString::fromStdString(err).contains("yuv420p10le"));
        QVERIFY(!QFile::exists(path("bad_pf.mp4")));
    }

    void rateControlReachesTheEncoder() {
        // GIVEN the same clip at CRF 10, CRF 45 and 50 kb/s WHEN encoded THEN the sizes order as
        // the settings say (the options reach x264).
        auto sizeFor = [&](int crf, int64_t bitrate, const QString& name) -> qint64 {
            core::SinkOptions o;
            o.output = path(name).toStdString();
            o.encode.preset = "ultrafast";
            o.encode.crf = crf;
            o.encode.bitrate = bitrate;
            if (!test::transcode(path("cfr.mp4"), o).empty())
                return -1;
            return QFileInfo(path(name)).size();
        };
        const qint64 fine = sizeFor(10, 0, "crf10.mp4");
        const qint64 coarse = sizeFor(45, 0, "crf45.mp4");
        const qint64 low = sizeFor(-1, 50'000, "br50k.mp4");
        QVERIFY(fine > 0 && coarse > 0 && low > 0);
        QVERIFY2(fine > 2 * coarse, qPrintable(QString("%1 vs %2").arg(fine).arg(coarse)));
        QVERIFY2(low < fine, qPrintable(QString("%1 vs %2").arg(low).arg(fine)));
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

    void colourTagsCarriedAndMatrixRight_data() {
        QTest::addColumn<QString>("space");
        QTest::addColumn<QString>("range");
        QTest::addColumn<QString>("primaries");
        QTest::addColumn<QString>("trc");
        QTest::addColumn<QString>("pixFmt");
        QTest::newRow("bt709 tv") << "bt709"
                                  << "tv"
                                  << "bt709"
                                  << "bt709"
                                  << "yuv420p";
        QTest::newRow("bt2020 full") << "bt2020nc"
                                     << "pc"
                                     << "bt2020"
                                     << "smpte2084"
                                     << "yuv420p10le";
        QTest::newRow("bt601 tv") << "smpte170m"
                                  << "tv"
                                  << "smpte170m"
                                  << "smpte170m"
                                  << "yuv420p";
    }
    void colourTagsCarriedAndMatrixRight() {
        // GIVEN a tagged source WHEN it goes YUV -> RGB -> YUV through the sink THEN the output has
        // the same tags and, decoded with them, the same colours (a wrong matrix or range shifts
        // them a lot).
        QFETCH(QString, space);
        QFETCH(QString, range);
        QFETCH(QString, primaries);
        QFETCH(QString, trc);
        QFETCH(QString, pixFmt);
        const QString in = path("col_" + space + range + ".mkv");
        QVERIFY(
            test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=128x96:rate=10:duration=0.3", "-vf",
                          "scale=out_color_matrix=" +
                              QString(space == "bt2020nc"    ? "bt2020"
                                      : space == "smpte170m" ? "bt601"
                                                             : space) +
                              ":out_range=" + range,
                          "-c:v", "ffv1", "-pix_fmt", pixFmt, "-colorspace", space, "-color_range",
                          range, "-color_primaries", primaries, "-color_trc", trc, in}));
        const QString out = path("col_out_" + space + range + ".mkv");
        core::SinkOptions o;
        o.output = out.toStdString();
        o.encode.codec = "ffv1";
        o.encode.pixelFormat = pixFmt.toStdString();
        const std::string err = test::transcode(in, o);
        QVERIFY2(err.empty(), err.c_str());
        auto a = core::probe(in.toStdString());
        auto b = core::probe(out.toStdString());
        QVERIFY(a && b);
        QCOMPARE(b->colorSpace, a->colorSpace);
        QCOMPARE(b->colorRange, a->colorRange);
        QCOMPARE(b->colorPrimaries, a->colorPrimaries);
        QCOMPARE(b->colorTransfer, a->colorTransfer);
        // Mean absolute difference of the Y plane samples (scaled to 8 bits).
        auto sa = core::MediaSource::open(in.toStdString());
        auto sb = core::MediaSource::open(out.toStdString());
        auto fa = sa.value()->read();
        auto fb = sb.value()->read();
        QVERIFY(fa && fa.value() && fb && fb.value());
        const core::Frame& x = *fa.value();
        const core::Frame& y = *fb.value();
        const bool deep = a->bitDepth > 8;
        double sum = 0;
        for (int r = 0; r < x.height(); ++r) {
            for (int c = 0; c < x.width(); ++c) {
                const int vx = deep ? reinterpret_cast<const uint16_t*>(x.av->data[0] +
                                                                        r * x.av->linesize[0])[c] /
                                          4
                                    : x.av->data[0][r * x.av->linesize[0] + c];
                const int vy = deep ? reinterpret_cast<const uint16_t*>(y.av->data[0] +
                                                                        r * y.av->linesize[0])[c] /
                                          4
                                    : y.av->data[0][r * y.av->linesize[0] + c];
                sum += std::abs(vx - vy);
            }
        }
        const double mad = sum / (x.width() * x.height());
        QVERIFY2(mad < 1.5, qPrintable(QString("luma drifted by %1").arg(mad)));
    }

    void wrongMatrixWouldBeCaught() {
        // GIVEN BT.709 samples read as BT.601 (the bug the previous test guards against) THEN the
        // same comparison fails clearly: the check above has teeth.
        const QString in = path("col_bt709tv.mkv");
        auto src = core::MediaSource::open(in.toStdString());
        QVERIFY(src);
        core::StreamInfo wrong = src.value()->info();
        wrong.colorSpace = AVCOL_SPC_SMPTE170M;
        core::FrameConverter conv;
        auto f = src.value()->read();
        QVERIFY(f && f.value());
        auto rgbRight = conv.convert(*f.value(), AV_PIX_FMT_RGB24, 128, 96,
                                     core::yuvColorFor(src.value()->info()));
        core::FrameConverter conv2;
        auto rgbWrong =
            conv2.convert(*f.value(), AV_PIX_FMT_RGB24, 128, 96, core::yuvColorFor(wrong));
        QVERIFY(rgbRight && rgbWrong);
        double sum = 0;
        for (int r = 0; r < 96; ++r) {
            for (int c = 0; c < 128 * 3; ++c) {
                sum += std::abs(rgbRight->av->data[0][r * rgbRight->av->linesize[0] + c] -
                                rgbWrong->av->data[0][r * rgbWrong->av->linesize[0] + c]);
            }
        }
        QVERIFY(sum / (96 * 128 * 3) > 3.0);
    }

    void oddSizes() {
        // GIVEN 321x241 WHEN encoded 4:4:4 THEN every pixel kept; WHEN 4:2:0 with x264 THEN 320x240
        // and a warning saying so; ffv1 4:2:0 keeps the odd size.
        const QString in = path("odd.mkv");
        QVERIFY(test::ffmpeg({"-f", "lavfi", "-i", "testsrc=size=321x241:rate=10:duration=0.3",
                              "-c:v", "ffv1", "-pix_fmt", "yuv444p", in}));
        core::SinkOptions o;
        o.encode.preset = "ultrafast";
        o.encode.pixelFormat = "yuv444p";
        o.output = path("odd444.mp4").toStdString();
        std::vector<std::string> warnings;
        QVERIFY(test::transcode(in, o, &warnings).empty());
        auto a = core::probe(path("odd444.mp4").toStdString());
        QVERIFY(a);
        QCOMPARE(a->width, 321);
        QCOMPARE(a->height, 241);
        QCOMPARE(a->frameCount, 3);

        o.encode.pixelFormat = "yuv420p";
        o.output = path("odd420.mp4").toStdString();
        warnings.clear();
        QVERIFY(test::transcode(in, o, &warnings).empty());
        auto b = core::probe(path("odd420.mp4").toStdString());
        QVERIFY(b);
        QCOMPARE(b->width, 320);
        QCOMPARE(b->height, 240);
        QVERIFY(std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
            return w.find("321x241 is odd") != std::string::npos;
        }));

        o.encode.codec = "ffv1";
        o.output = path("odd420.mkv").toStdString();
        QVERIFY(test::transcode(in, o).empty());
        auto c = core::probe(path("odd420.mkv").toStdString());
        QVERIFY(c);
        QCOMPARE(c->width, 321);
        QCOMPARE(c->height, 241);
        QCOMPARE(c->pixelFormat, AV_PIX_FMT_YUV420P);
    }

    void rotationKept_data() {
        QTest::addColumn<QString>("ext");
        QTest::newRow("mp4") << "mp4";
        QTest::newRow("mov") << "mov";
    }
    void rotationKept() {
        QFETCH(QString, ext);
        const QString in = path("rot_src.mp4");
        if (!QFile::exists(in)) {
            QVERIFY(test::ffmpeg(
                {"-i", path("cfr.mp4"), "-c", "copy", "-metadata:s:v", "rotate=90", in}));
        }
        auto a = core::probe(in.toStdString());
        QVERIFY(a);
        QVERIFY(a->rotationDegrees != 0);
        core::SinkOptions o;
        o.encode.preset = "ultrafast";
        o.output = path("rot_out." + ext).toStdString();
        QVERIFY(test::transcode(in, o).empty());
        auto b = core::probe(path("rot_out." + ext).toStdString());
        QVERIFY(b);
        QCOMPARE(b->rotationDegrees, a->rotationDegrees);
        QCOMPARE(b->width, a->width);  // the picture is stored as is; players turn it
    }

    void metadataRecordsEngine_data() {
        QTest::addColumn<QString>("ext");
        QTest::newRow("mp4") << "mp4";
        QTest::newRow("mkv") << "mkv";
        QTest::newRow("mov") << "mov";
    }
    void metadataRecordsEngine() {
        QFETCH(QString, ext);
        core::SinkOptions o;
        o.encode.preset = "ultrafast";
        o.output = path("meta." + ext).toStdString();
        o.metadata = {{"flashvsr_engine", "lanczos"}, {"flashvsr_settings", "scale=2"}};
        QVERIFY(test::transcode(path("cfr.mp4"), o).empty());
        const QString tags =
            test::ffprobe({"-show_entries", "format_tags", "-of", "flat", path("meta." + ext)});
        QVERIFY2(tags.toLower().contains("flashvsr_engine=\"lanczos\""),
                 qPrintable(tags));  // Matroska upper-cases keys
        QVERIFY(tags.toLower().contains("flashvsr_settings=\"scale=2\""));
    }

    void joinSegmentsEqualsOneRun_data() {
        QTest::addColumn<QString>("segExt");
        QTest::addColumn<QString>("rate");
        QTest::addColumn<int>("tolUs");
        QTest::newRow("nut segments, NTSC rate: exact") << "nut"
                                                        << "30000/1001" << 0;
        QTest::newRow("mkv segments: 1 ms") << "mkv"
                                            << "25" << 1000;
    }
    void joinSegmentsEqualsOneRun() {
        QFETCH(QString, segExt);
        QFETCH(QString, rate);
        QFETCH(int, tolUs);
        // GIVEN the clip written as two segments (frames 0-11, 12-29) with the source pts WHEN
        // joined THEN the result has every frame with the source pts, and the audio of the source.
        const QString in = path("join_src.mp4");
        QVERIFY(test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=1.2", "-f",
                              "lavfi", "-i", "sine=duration=1.2", "-c:v", "libx264", "-preset",
                              "ultrafast", "-c:a", "aac", "-shortest", in}));
        auto src = core::MediaSource::open(in.toStdString());
        QVERIFY(src);
        const core::StreamInfo info = src.value()->info();
        core::FrameConverter conv;
        std::vector<std::filesystem::path> segs;
        for (int s = 0; s < 2; ++s) {
            core::SinkOptions o;
            o.output = path(QString("seg%1.%2").arg(s).arg(segExt)).toStdString();
            o.encode.preset = "ultrafast";
            o.width = info.width;
            o.height = info.height;
            auto sink = core::MediaSink::open(info, o);
            QVERIFY2(sink, sink ? "" : sink.error().message.c_str());
            for (int i = 0; i < (s == 0 ? 12 : int(info.frameCount) - 12); ++i) {
                auto f = src.value()->read();
                QVERIFY(f && f.value());
                auto rgb = conv.convert(*f.value(), AV_PIX_FMT_RGB24, info.width, info.height,
                                        core::yuvColorFor(info));
                QVERIFY(rgb);
                QVERIFY(sink.value()->write(rgb.value()));
            }
            QVERIFY(sink.value()->finish());
            segs.push_back(o.output);
        }
        core::SinkOptions o;
        o.output = path("joined_" + segExt + ".mp4").toStdString();
        o.passthroughFrom = in.toStdString();
        o.metadata = {{"flashvsr_engine", "test"}};
        const auto st = core::joinSegments(segs, info, o);
        QVERIFY2(st, st ? "" : st.error().message.c_str());
        auto a = test::decodeAll(in);
        auto b = test::decodeAll(path("joined_" + segExt + ".mp4"));
        QVERIFY(a && b);
        QCOMPARE(b->ptsUs.size(), a->ptsUs.size());
        for (size_t i = 0; i < a->ptsUs.size(); ++i)
            QVERIFY(std::llabs(a->ptsUs[i] - b->ptsUs[i]) <= tolUs);
        auto j = core::probe(path("joined_" + segExt + ".mp4").toStdString());
        QVERIFY(j);
        QCOMPARE(j->auxStreams.size(), size_t(1));
        QCOMPARE(j->auxStreams[0].codec, std::string("aac"));
        QVERIFY(!QFile::exists(path("joined_" + segExt + ".mp4.part")));
        // Joining again without overwrite is refused and leaves the first result alone.
        const auto again = core::joinSegments(segs, info, o);
        QVERIFY(!again);
        QCOMPARE(again.error().code, core::ErrorCode::OutputExists);
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
