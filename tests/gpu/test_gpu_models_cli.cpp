// `flashvsr models check DIR [--json]` as a user runs it: output, JSON and exit codes.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

class TestGpuModelsCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path m_good;

    struct Run {
        int exitCode = -1;
        QByteArray out, err;
    };
    Run flashvsr(const QStringList& args, const QString& modelsEnv = {}) {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("FLASHVSR_MODELS");
        env.insert("XDG_DATA_HOME", m_dir.path() + "/xdg");
        if (!modelsEnv.isEmpty())
            env.insert("FLASHVSR_MODELS", modelsEnv);
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(FVS_FLASHVSR_EXE), args);
        p.waitForFinished(60000);
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                p.readAllStandardOutput(), p.readAllStandardError()};
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_good = fs::path(m_dir.path().toStdString()) / "FlashVSR-v1.1";
        QProcess python;
        python.start(QStringLiteral(FVS_PYTHON),
                     {QStringLiteral(FVS_SOURCE_DIR "/tests/gpu/make_model_folder.py"),
                      QString::fromStdString(m_good.string())});
        QVERIFY(python.waitForFinished(120000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
    }

    void usableFolderExitsZero() {
        // WHEN a complete v1.1 folder is checked THEN exit 0 and every file is listed as ok
        const Run r = flashvsr({"models", "check", QString::fromStdString(m_good.string())});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("Version: v1.1 (from folder name 'FlashVSR-v1.1')"),
                 r.out.constData());
        QVERIFY(r.out.contains(
            "ok       diffusion_pytorch_model_streaming_dmd.safetensors  5.68 GB, 825 tensors"));
        QVERIFY(r.out.contains("Usable: yes (tiny decoder); full decoder: yes"));
    }

    void jsonReportAndExitThreeWhenFilesAreMissing() {
        // GIVEN a folder without the TC decoder
        const fs::path partial = fs::path(m_dir.path().toStdString()) / "partial";
        fs::create_directories(partial);
        for (const char* f : {"diffusion_pytorch_model_streaming_dmd.safetensors",
                              "LQ_proj_in.ckpt", "posi_prompt.pth"})
            fs::create_hard_link(m_good / f, partial / f);
        // WHEN checked with --json
        const Run r =
            flashvsr({"models", "check", QString::fromStdString(partial.string()), "--json"});
        // THEN exit 3, and the JSON names the missing file and an unknown version
        QCOMPARE(r.exitCode, 3);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QVERIFY2(!o.isEmpty(), r.out.constData());
        QCOMPARE(o["usable"].toBool(), false);
        QVERIFY(o["version"].isNull());
        QCOMPARE(o["files"].toArray().size(), 5);
        bool tcMissing = false;
        for (const auto& f : o["files"].toArray())
            if (f.toObject()["name"] == "TCDecoder.ckpt")
                tcMissing = !f.toObject()["present"].toBool();
        QVERIFY(tcMissing);
        QVERIFY(o["problems"].toArray().contains(QJsonValue("TCDecoder.ckpt is missing")));
    }

    void searchPathIsUsedWithoutDir() {
        Run r = flashvsr({"models", "check"}, QString::fromStdString(m_good.string()));
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QByteArray::fromStdString(m_good.string())));
        r = flashvsr({"models", "check"}, m_dir.path() + "/nothing-here");
        QCOMPARE(r.exitCode, 3);
        QVERIFY2(r.err.contains("--engine lanczos"), r.err.constData());
    }

    void badUsageExitsOne() {
        QCOMPARE(flashvsr({"models"}).exitCode, 1);
        QCOMPARE(flashvsr({"models", "check", "--bogus"}).exitCode, 1);
    }
};

QTEST_GUILESS_MAIN(TestGpuModelsCli)
#include "test_gpu_models_cli.moc"
