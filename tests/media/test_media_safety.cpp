// MediaSink safety: output == input (direct, symlink, hard link), existing output, unwritable and
// missing folders, a full disk, abort -- nothing ever appears under the final name, the source is
// never touched.
#include <sys/stat.h>
#include <unistd.h>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include "media_test_util.h"

using namespace fvs;

namespace {
QByteArray fileHash(const QString& p) {
    QFile f(p);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha1);
}

bool run(const QString& program, const QStringList& args) {
    QProcess p;
    p.start(program, args);
    return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}
}  // namespace

class TestMediaSafety : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QByteArray m_srcHash;
    QStringList m_mounts;
    QString path(const QString& name) const { return m_dir.filePath(name); }

    // Opens a sink for the source clip; the error code when it fails.
    std::optional<core::ErrorCode> openError(const QString& out, bool overwrite = false) {
        auto info = core::probe(path("src.mp4").toStdString());
        if (!info)
            return core::ErrorCode::Internal;
        core::SinkOptions o;
        o.output = out.toStdString();
        o.width = info->width;
        o.height = info->height;
        o.encode.preset = "ultrafast";
        o.encode.overwrite = overwrite;
        o.passthroughFrom = path("src.mp4").toStdString();
        auto sink = core::MediaSink::open(info.value(), o);
        if (sink)
            return std::nullopt;
        qDebug() << "error:" << sink.error().message.c_str();
        return sink.error().code;
    }

    // A small tmpfs (root only); empty when mounting is not possible here.
    QString mountTmpfs(const QString& name, const QString& options) {
        if (::geteuid() != 0)
            return {};
        const QString dir = path(name);
        QDir().mkpath(dir);
        if (!run("mount", {"-t", "tmpfs", "-o", options, "tmpfs", dir}))
            return {};
        m_mounts << dir;
        return dir;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        av_log_set_level(AV_LOG_QUIET);
        QVERIFY(test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=0.6", "-f",
                              "lavfi", "-i", "sine=duration=0.6", "-c:v", "libx264", "-preset",
                              "ultrafast", "-c:a", "aac", path("src.mp4")}));
        m_srcHash = fileHash(path("src.mp4"));
        QVERIFY(!m_srcHash.isEmpty());
    }
    void cleanup() {
        QCOMPARE(fileHash(path("src.mp4")), m_srcHash);
    }  // the source is never touched
    void cleanupTestCase() {
        for (const QString& m : m_mounts)
            run("umount", {m});
    }

    void outputIsInputRefused() {
        // GIVEN the source itself, a symlink to it and a hard link to it as the output WHEN opened
        // (even with overwrite) THEN OutputIsInput.
        QVERIFY(QFile::link(path("src.mp4"), path("sym.mp4")));
        QCOMPARE(::link(QFile::encodeName(path("src.mp4")).constData(),
                        QFile::encodeName(path("hard.mp4")).constData()),
                 0);
        for (const QString& out :
             {path("src.mp4"), path("sym.mp4"), path("hard.mp4"), path("./sub/../src.mp4")}) {
            QDir().mkpath(path("sub"));
            QCOMPARE(openError(out, true), std::optional(core::ErrorCode::OutputIsInput));
            const auto st =
                core::checkOutputPath(out.toStdString(), path("src.mp4").toStdString(), true);
            QVERIFY(!st);
            QCOMPARE(st.error().code, core::ErrorCode::OutputIsInput);
        }
        QVERIFY(!QFile::exists(path("src.mp4.part")));
        QVERIFY(!QFile::exists(path("hard.mp4.part")));
    }

    void partNameNeverDestroysUserData() {
        // GIVEN the input is named like the output's .part, or a user folder sits at that name WHEN
        // a sink opens THEN it refuses, and neither is deleted.
        QVERIFY(QFile::copy(path("src.mp4"), path("clip.mp4.part")));
        const auto st = core::checkOutputPath(path("clip.mp4").toStdString(),
                                              path("clip.mp4.part").toStdString(), false);
        QVERIFY(!st);
        QCOMPARE(st.error().code, core::ErrorCode::OutputIsInput);
        QVERIFY(QFile::exists(path("clip.mp4.part")));
        QDir().mkpath(path("folder.mp4.part"));
        QFile keep(path("folder.mp4.part/keep.txt"));
        QVERIFY(keep.open(QIODevice::WriteOnly));
        keep.close();
        QCOMPARE(openError(path("folder.mp4")), std::optional(core::ErrorCode::IoError));
        QVERIFY(QFile::exists(path("folder.mp4.part/keep.txt")));
    }

    void existingOutputNeedsOverwrite() {
        QFile f(path("taken.mp4"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("precious");
        f.close();
        QCOMPARE(openError(path("taken.mp4")), std::optional(core::ErrorCode::OutputExists));
        QFile g(path("taken.mp4"));
        QVERIFY(g.open(QIODevice::ReadOnly));
        QCOMPARE(g.readAll(), QByteArray("precious"));
        // With overwrite the old file is replaced only once the new one is complete.
        core::SinkOptions o;
        o.output = path("taken.mp4").toStdString();
        o.encode.preset = "ultrafast";
        o.encode.overwrite = true;
        QVERIFY(test::transcode(path("src.mp4"), o).empty());
        auto info = core::probe(path("taken.mp4").toStdString());
        QVERIFY(info);
        QCOMPARE(info->frameCount, 15);
        // Image sequences: an existing first image counts as an existing output.
        QFile img(path("img_0001.png"));
        QVERIFY(img.open(QIODevice::WriteOnly));
        img.close();
        const auto st = core::checkOutputPath(path("img_%04d.png").toStdString(),
                                              path("src.mp4").toStdString(), false);
        QVERIFY(!st);
        QCOMPARE(st.error().code, core::ErrorCode::OutputExists);
    }

    void unwritableOrMissingFolder() {
        QCOMPARE(openError(path("no/such/dir/out.mp4")), std::optional(core::ErrorCode::IoError));
        // Root ignores permission bits, so as root a read-only mount is the unwritable folder.
        QString ro = mountTmpfs("ro", "ro,size=1M");
        if (ro.isEmpty()) {
            ro = path("locked");
            QDir().mkpath(ro);
            QFile::setPermissions(ro, QFile::ReadOwner | QFile::ExeOwner);
        }
        QCOMPARE(openError(ro + "/out.mp4"), std::optional(core::ErrorCode::IoError));
        QVERIFY(!QFile::exists(ro + "/out.mp4"));
        QVERIFY(!QFile::exists(ro + "/out.mp4.part"));
    }

    void abortAndDestructorRemovePart() {
        // GIVEN a sink with frames written WHEN it is dropped without finish() THEN neither the
        // .part nor the final name exists; while writing, only the .part exists.
        for (const QString& name : {QString("dropped.mkv"), QString("seq/frame_%03d.png")}) {
            QDir().mkpath(path("seq"));
            auto src = core::MediaSource::open(path("src.mp4").toStdString());
            QVERIFY(src);
            const core::StreamInfo info = src.value()->info();
            core::SinkOptions o;
            o.output = path(name).toStdString();
            o.encode.codec = name.endsWith(".png") ? "png" : "libx264";
            o.encode.preset = name.endsWith(".png") ? "" : "ultrafast";
            o.width = info.width;
            o.height = info.height;
            std::filesystem::path part;
            {
                auto sink = core::MediaSink::open(info, o);
                QVERIFY2(sink, sink ? "" : sink.error().message.c_str());
                part = sink.value()->partPath();
                core::FrameConverter conv;
                for (int i = 0; i < 5; ++i) {
                    auto f = src.value()->read();
                    auto rgb = conv.convert(*f.value(), AV_PIX_FMT_RGB24, info.width, info.height,
                                            core::yuvColorFor(info));
                    QVERIFY(sink.value()->write(rgb.value()));
                }
                QVERIFY(std::filesystem::exists(part));
                QVERIFY(!QFile::exists(path(name)));
                QVERIFY(!QFile::exists(path("seq/frame_001.png")));
            }
            QVERIFY(!std::filesystem::exists(part));
            QVERIFY(!QFile::exists(path(name)));
            QCOMPARE(QDir(path("seq"))
                         .entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot)
                         .size(),
                     0);
        }
    }

    void fullDiskGivesDiskFull() {
        // GIVEN a 1 MiB filesystem WHEN a larger output is written THEN DiskFull, and neither the
        // final name nor the .part is left behind.
        const QString small = mountTmpfs("small", "size=1M");
        if (small.isEmpty())
            QSKIP("cannot mount a small tmpfs here (needs root)");
        QVERIFY(test::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1",
                              "-vf", "noise=alls=90:allf=t+u", "-c:v", "ffv1", path("big.mkv")}));
        core::SinkOptions o;
        o.output = (small + "/full.mkv").toStdString();
        o.encode.codec = "ffv1";
        const std::string err = test::transcode(path("big.mkv"), o);
        if (err.empty())
            qDebug() << "wrote" << QFileInfo(small + "/full.mkv").size() << "bytes";
        QVERIFY2(QString::fromStdString(err).contains("disk full"), err.c_str());
        QVERIFY(!QFile::exists(small + "/full.mkv"));
        QVERIFY(!QFile::exists(small + "/full.mkv.part"));
        // The error code, not just the text.
        auto info = core::probe(path("big.mkv").toStdString());
        auto src = core::MediaSource::open(path("big.mkv").toStdString());
        o.width = info->width;
        o.height = info->height;
        o.inputFormat = AV_PIX_FMT_RGB24;
        auto sink = core::MediaSink::open(info.value(), o);
        QVERIFY(sink);
        core::FrameConverter conv;
        std::optional<core::Error> failure;
        while (!failure) {
            auto f = src.value()->read();
            QVERIFY(f);
            if (!f.value())
                break;
            auto rgb = conv.convert(*f.value(), AV_PIX_FMT_RGB24, info->width, info->height,
                                    core::yuvColorFor(info.value()));
            if (auto s = sink.value()->write(rgb.value()); !s)
                failure = s.error();
        }
        if (!failure) {
            if (auto s = sink.value()->finish(); !s)
                failure = s.error();
        }
        QVERIFY(failure);
        QCOMPARE(failure->code, core::ErrorCode::DiskFull);
        sink.value().reset();
        QCOMPARE(
            QDir(small).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot).size(),
            0);
    }
};

QTEST_GUILESS_MAIN(TestMediaSafety)
#include "test_media_safety.moc"
