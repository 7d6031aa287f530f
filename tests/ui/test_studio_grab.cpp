// The flashvsr-studio binary itself: --help/--version answer without a display, and
// --grab FRAME OUT.png saves the window once the upscaled frame is on screen (the automation the
// GPU machine's interop proof uses), with clear errors and exit code 1 for bad input.
// Runs under xvfb-run (Mesa llvmpipe); the clip is generated at test time.
#include <QDir>
#include <QImage>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include "ui_test_support.h"

namespace {

using Run = fvs::ui::test::ProcessRun;

double meanAbsDifference(const QImage& a, const QImage& b) {
    const QImage x = a.convertToFormat(QImage::Format_RGB32);
    const QImage y = b.convertToFormat(QImage::Format_RGB32);
    double sum = 0;
    for (int row = 0; row < x.height(); ++row) {
        const QRgb* p = reinterpret_cast<const QRgb*>(x.constScanLine(row));
        const QRgb* q = reinterpret_cast<const QRgb*>(y.constScanLine(row));
        for (int col = 0; col < x.width(); ++col)
            sum += std::abs(qRed(p[col]) - qRed(q[col])) +
                   std::abs(qGreen(p[col]) - qGreen(q[col])) +
                   std::abs(qBlue(p[col]) - qBlue(q[col]));
    }
    return sum / (double(x.width()) * x.height() * 3);
}

}  // namespace

class TestStudioGrab : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFileInfo::exists(QStringLiteral(FVS_STUDIO_BINARY)), FVS_STUDIO_BINARY);
        m_clip =
            fvs::ui::test::makeClip(QDir(m_dir.path()), QStringLiteral("clip.mp4"), 40, 64, 48);
        QVERIFY2(!m_clip.isEmpty(), "ffmpeg could not generate the test clip");
    }

    void helpAndVersionNeedNoDisplay() {
        // GIVEN no display at all (and the xcb platform, which would abort without one)
        QProcessEnvironment env = isolated();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("xcb"));
        // WHEN --help and --version run
        const Run help = run({QStringLiteral("--help")}, env);
        const Run version = run({QStringLiteral("--version")}, env);
        // THEN both answer and exit 0; the help lists the automation options
        QVERIFY(help.finished);
        QCOMPARE(help.exitCode, 0);
        QVERIFY2(help.out.contains(QStringLiteral("--grab")), qPrintable(help.out));
        QVERIFY(help.out.contains(QStringLiteral("--engine")));
        QVERIFY(help.out.contains(QStringLiteral("--models")));
        QVERIFY(version.finished);
        QCOMPARE(version.exitCode, 0);
        QVERIFY2(version.out.startsWith(QStringLiteral("flashvsr-studio ")),
                 qPrintable(version.out));
    }

    void grabSavesTheWindowWithTheUpscaledFrame() {
        // GIVEN a 64x48 clip and the Lanczos engine
        const QString png = QDir(m_dir.path()).filePath(QStringLiteral("out.png"));
        // WHEN frame 5 is grabbed
        const Run r = run({QStringLiteral("--grab"), QStringLiteral("5"), png, m_clip,
                           QStringLiteral("--engine"), QStringLiteral("lanczos")},
                          isolated());
        QVERIFY(r.finished);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
        // THEN the PNG is the whole window (Main.qml: 1280x800, device pixel ratio 1 here)
        QImage image(png);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), QSize(1280, 800));
        QVERIFY2(r.out.contains(QStringLiteral("(1280x800)")), qPrintable(r.out));
        // AND it reports the engine and how the frame reached the screen (no interop here)
        QVERIFY2(r.out.contains(QStringLiteral("engine: lanczos")), qPrintable(r.out));
        QVERIFY(r.out.contains(QStringLiteral("upscaled frame 5 shown by: host upload")));
        QVERIFY(r.out.contains(QStringLiteral("interop: 0 device frames shown, 0 host copies")));
        // AND the upscaled pane shows frame 5: compared with ffmpeg's own frame 5 at that size
        const QRegularExpression rect(QStringLiteral("upscaled view: (\\d+) (\\d+) (\\d+) (\\d+)"));
        const auto m = rect.match(r.out);
        QVERIFY2(m.hasMatch(), qPrintable(r.out));
        const QRect shown(m.captured(1).toInt(), m.captured(2).toInt(), m.captured(3).toInt(),
                          m.captured(4).toInt());
        QVERIFY2(shown.width() > 100 && shown.height() > 75, qPrintable(r.out));
        QVERIFY(QRect(QPoint(0, 0), image.size()).contains(shown));
        const QImage pane = image.copy(shown);
        const QImage expected = ffmpegFrame(5, shown.size());
        QVERIFY(!expected.isNull());
        const double same = meanAbsDifference(pane, expected);
        const double black = meanAbsDifference(pane, QImage(pane.size(), QImage::Format_RGB32));
        QVERIFY2(same < 12.0, qPrintable(QStringLiteral("mean difference %1").arg(same)));
        // (closer to frame 5 than to a later frame of the same moving pattern)
        const double other = meanAbsDifference(pane, ffmpegFrame(39, shown.size()));
        QVERIFY2(same < other,
                 qPrintable(QStringLiteral("frame 5: %1, frame 39: %2").arg(same).arg(other)));
        QVERIFY2(black > 40.0, qPrintable(QStringLiteral("pane too dark: %1").arg(black)));
    }

    void grabRejectsBadInput() {
        const QString png = QDir(m_dir.path()).filePath(QStringLiteral("bad.png"));
        // A missing file, a frame past the end, a bad frame number, an unknown engine: exit 1
        // with a message, no picture.
        const QList<QStringList> cases{
            {QStringLiteral("--grab"), QStringLiteral("5"), png,
             QDir(m_dir.path()).filePath(QStringLiteral("missing.mp4"))},
            {QStringLiteral("--grab"), QStringLiteral("400"), png, m_clip,
             QStringLiteral("--engine"), QStringLiteral("lanczos")},
            {QStringLiteral("--grab"), QStringLiteral("five"), png, m_clip},
            {QStringLiteral("--grab"), QStringLiteral("5"), png, m_clip, QStringLiteral("--engine"),
             QStringLiteral("nosuchengine")},
            {QStringLiteral("--grab"), QStringLiteral("5")},
        };
        for (const QStringList& args : cases) {
            const Run r = run(args, isolated());
            QVERIFY2(r.finished, qPrintable(args.join(' ')));
            QVERIFY2(r.exitCode == 1, qPrintable(args.join(' ') + QStringLiteral(" -> ") +
                                                 QString::number(r.exitCode) + r.err));
            QVERIFY2(r.err.contains(QStringLiteral("flashvsr-studio:")), qPrintable(r.err));
            QVERIFY(!QFileInfo::exists(png));
        }
    }

private:
    // The user's settings, recent files and export queue stay untouched: all under the temp dir.
    QProcessEnvironment isolated() const {
        const QString home = QDir(m_dir.path()).filePath(QStringLiteral("home"));
        return fvs::ui::test::isolatedAppEnvironment(home, home + QStringLiteral("/queue.json"));
    }

    Run run(const QStringList& args, const QProcessEnvironment& env) const {
        return fvs::ui::test::runProcess(QStringLiteral(FVS_STUDIO_BINARY), args, env);
    }

    QImage ffmpegFrame(int index, QSize size) const {
        const QString path = QDir(m_dir.path()).filePath(QStringLiteral("expected.png"));
        QProcess ffmpeg;
        ffmpeg.start(
            QStringLiteral("ffmpeg"),
            {QStringLiteral("-hide_banner"), QStringLiteral("-loglevel"), QStringLiteral("error"),
             QStringLiteral("-y"), QStringLiteral("-i"), m_clip, QStringLiteral("-vf"),
             QStringLiteral("select=eq(n\\,%1),scale=%2:%3:flags=lanczos")
                 .arg(index)
                 .arg(size.width())
                 .arg(size.height()),
             QStringLiteral("-frames:v"), QStringLiteral("1"), path});
        if (!ffmpeg.waitForFinished(60000) || ffmpeg.exitCode() != 0)
            return {};
        return QImage(path);
    }

    QTemporaryDir m_dir;
    QString m_clip;
};

QTEST_GUILESS_MAIN(TestStudioGrab)
#include "test_studio_grab.moc"
