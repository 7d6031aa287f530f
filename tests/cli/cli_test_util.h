#pragma once
// Running the flashvsr binary (FLASHVSR_BIN) as a user would, for the CLI tests: exit code, crash,
// stdout and stderr of one run, and small helpers on what it wrote.

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace fvs::test {

struct CliRun {
    int code = -1;
    bool crashed = false;  // a signal, or still running after the timeout (then killed)
    QString out;
    QString err;
};

inline CliRun flashvsr(const QStringList& args,
                       const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
                       int timeoutMs = 120000) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(FLASHVSR_BIN, args);
    CliRun r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.crashed = true;
        return r;
    }
    r.crashed = p.exitStatus() != QProcess::NormalExit;
    r.code = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// SHA-256 of a file's bytes; empty when it cannot be read.
inline QByteArray sha256(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

// The last line of `--progress json` output as an object.
inline QJsonObject lastJsonLine(const QString& text) {
    const auto lines = text.split('\n', Qt::SkipEmptyParts);
    return lines.isEmpty() ? QJsonObject{}
                           : QJsonDocument::fromJson(lines.last().toUtf8()).object();
}

}  // namespace fvs::test
