#pragma once
// Helpers for the UI tests: clips generated with the ffmpeg tool at test time (no fixtures).

#include <QDir>
#include <QProcess>
#include <QProcessEnvironment>
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

// One run of a program (the flashvsr-studio binary in the automation tests).
struct ProcessRun {
    int exitCode = -1;  // -1: crashed or killed
    bool finished = false;
    QString out;
    QString err;
};

inline ProcessRun runProcess(const QString& program, const QStringList& args,
                             const QProcessEnvironment& env, int timeoutMs = 240000) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    ProcessRun r;
    r.finished = p.waitForFinished(timeoutMs);
    if (!r.finished)
        p.kill();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromLocal8Bit(p.readAllStandardOutput());
    r.err = QString::fromLocal8Bit(p.readAllStandardError());
    return r;
}

// The app's settings, data, cache and queue under `home` (never the user's), Fusion style.
inline QProcessEnvironment isolatedAppEnvironment(const QString& home, const QString& queueFile) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QDir().mkpath(home);
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), home + QStringLiteral("/cache"));
    env.insert(QStringLiteral("FLASHVSR_QUEUE"), queueFile);
    env.insert(QStringLiteral("QT_QUICK_CONTROLS_STYLE"), QStringLiteral("Fusion"));
    return env;
}

}  // namespace fvs::ui::test
