#pragma once
// Helpers for the UI tests: clips generated with the ffmpeg tool at test time (no fixtures).

#include <QDir>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace fvs::ui::test {

// Writes a testsrc2 clip (H.264, yuv420p) and returns its path; empty on failure.
inline QString makeClip(const QDir& dir, const QString& name, int frames = 30, int width = 64,
                        int height = 48, const QString& source = QStringLiteral("testsrc2")) {
    const QString path = dir.filePath(name);
    QProcess ffmpeg;
    ffmpeg.start(
        QStringLiteral("ffmpeg"),
        {QStringLiteral("-hide_banner"), QStringLiteral("-loglevel"), QStringLiteral("error"),
         QStringLiteral("-y"), QStringLiteral("-f"), QStringLiteral("lavfi"), QStringLiteral("-i"),
         QStringLiteral("%1=size=%2x%3:rate=25").arg(source).arg(width).arg(height),
         QStringLiteral("-frames:v"), QString::number(frames), QStringLiteral("-pix_fmt"),
         QStringLiteral("yuv420p"), QStringLiteral("-c:v"), QStringLiteral("libx264"),
         QStringLiteral("-g"), QStringLiteral("10"), path});
    if (!ffmpeg.waitForFinished(60000) || ffmpeg.exitCode() != 0)
        return {};
    return path;
}

}  // namespace fvs::ui::test
