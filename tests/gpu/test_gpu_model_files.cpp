// Model folder recognition: release file names, key/shape checks from headers, version markers,
// the search order and the error that lists what is missing. Files come from make_model_folder.py.
#include <QTest>

#include <cstdlib>

#include "fvs/core/xdg_paths.h"
#include "fvs/gpu/model_files.h"
#include "weight_fixtures.h"

using namespace fvs;
namespace fs = std::filesystem;

namespace {

const char* const kReleaseFiles[] = {gpu::kDitFile, gpu::kLqProjFile, gpu::kTcDecoderFile,
                                     gpu::kVaeFile, gpu::kPromptFile};

bool mentions(const std::vector<std::string>& problems, const std::string& what) {
    for (const auto& p : problems)
        if (p.find(what) != std::string::npos)
            return true;
    return false;
}

std::string joined(const std::vector<std::string>& problems) {
    std::string s;
    for (const auto& p : problems)
        s += p + "\n";
    return s;
}

}  // namespace

class TestGpuModelFiles : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path m_source;  // the generated release-shaped files

    // A folder `name` holding hard links to the generated files, minus `omit`.
    fs::path makeFolder(const std::string& name, std::vector<std::string> omit = {}) {
        const fs::path folder = fs::path(m_dir.path().toStdString()) / name;
        fs::create_directories(folder);
        for (const char* f : kReleaseFiles)
            if (std::find(omit.begin(), omit.end(), f) == omit.end())
                fs::create_hard_link(m_source / f, folder / f);
        return folder;
    }
    static void writeText(const fs::path& path, const std::string& text) {
        std::ofstream(path) << text;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_source = fs::path(m_dir.path().toStdString()) / "generated";
        QProcess python;
        python.start(QStringLiteral(FVS_PYTHON),
                     {QStringLiteral(FVS_SOURCE_DIR "/tests/gpu/make_model_folder.py"),
                      QString::fromStdString(m_source.string())});
        QVERIFY(python.waitForFinished(120000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        QCOMPARE(python.readAllStandardOutput().trimmed(),
                 QByteArray(R"({"dit": 825, "lq": 8, "tc": 66})"));
    }

    void completeV11FolderIsUsable() {
        // GIVEN every release file, in a folder named like the v1.1 Hugging Face repository
        const fs::path folder = makeFolder("FlashVSR-v1.1");
        // WHEN checked
        const auto report = gpu::checkModelFolder(folder);
        // THEN it is usable (also for the full decoder), v1.1 from the folder name, every file
        // valid
        QVERIFY2(report.usable, joined(report.problems).c_str());
        QVERIFY(report.fullDecoderUsable);
        QCOMPARE(report.version, std::string("v1.1"));
        QVERIFY(report.versionSource.find("folder name") != std::string::npos);
        QCOMPARE(report.files.size(), size_t(5));
        for (const auto& f : report.files) {
            QVERIFY2(f.present && f.valid, f.name.c_str());
            QVERIFY(f.sizeBytes > 0);
        }
        QVERIFY(report.files[0].detail.find("825 tensors") != std::string::npos);
        QVERIFY(report.files[0].detail.find("5.68 GB") != std::string::npos);
    }

    void versionComesFromTheMarkers() {
        const fs::path plain = makeFolder("models-plain");
        auto report = gpu::checkModelFolder(plain);
        QVERIFY(report.usable);
        QCOMPARE(report.version,
                 std::string());  // no marker: unknown, the user passes --model-version

        const fs::path marked = makeFolder("models-marked");
        writeText(marked / gpu::kVersionFile, "v1\n");
        report = gpu::checkModelFolder(marked);
        QVERIFY(report.usable);
        QCOMPARE(report.version, std::string("v1"));
        QCOMPARE(report.versionSource, std::string(gpu::kVersionFile));

        const fs::path v1repo = makeFolder("FlashVSR");
        QCOMPARE(gpu::checkModelFolder(v1repo).version, std::string("v1"));

        const fs::path titled = makeFolder("dev1-models");  // "dev1" is not a version
        writeText(titled / "README.md",
                  "---\nlicense: apache-2.0\n---\n# FlashVSR-v1.1\nNews: v1 was first\n");
        report = gpu::checkModelFolder(titled);
        QCOMPARE(report.version, std::string("v1.1"));
        QCOMPARE(report.versionSource, std::string("README.md title"));

        const fs::path v1card = makeFolder("card-v1-news");
        writeText(v1card / "README.md", "# FlashVSR\n- Nov 2025: FlashVSR v1.1 released\n");
        writeText(v1card / gpu::kVersionFile, "1.1");
        report = gpu::checkModelFolder(v1card);  // the folder name says v1, the marker v1.1
        QVERIFY(!report.usable);
    }

    void mixedVersionsAreRefusedWithAnExplanation() {
        // GIVEN a v1.1 folder whose marker file says v1
        const fs::path folder = makeFolder("FlashVSR-v1.1-mixed");
        writeText(folder / gpu::kVersionFile, "v1");
        // WHEN checked THEN it is refused, naming both markers and why
        const auto report = gpu::checkModelFolder(folder);
        QVERIFY(!report.usable);
        QCOMPARE(report.version, std::string());
        QVERIFY2(mentions(report.problems, "mixed FlashVSR versions"),
                 joined(report.problems).c_str());
        QVERIFY(mentions(report.problems, "flashvsr_version.txt says v1;"));
        QVERIFY(mentions(report.problems, "folder name 'FlashVSR-v1.1-mixed' says v1.1"));
        QVERIFY(mentions(report.problems, "ghosting"));

        const fs::path garbled = makeFolder("garbled-marker");
        writeText(garbled / gpu::kVersionFile, "latest");
        QVERIFY(!gpu::checkModelFolder(garbled).usable);
    }

    void missingFilesAreListed() {
        const fs::path folder = makeFolder("partial", {gpu::kLqProjFile, gpu::kTcDecoderFile});
        const auto report = gpu::checkModelFolder(folder);
        QVERIFY(!report.usable);
        QVERIFY(mentions(report.problems, "LQ_proj_in.ckpt is missing"));
        QVERIFY(mentions(report.problems, "TCDecoder.ckpt is missing"));
        QCOMPARE(report.problems.size(), size_t(2));

        const fs::path noVae = makeFolder("no-vae", {gpu::kVaeFile});
        const auto vaeReport = gpu::checkModelFolder(noVae);
        QVERIFY(vaeReport.usable);  // the tiny decoder does not need the VAE
        QVERIFY(!vaeReport.fullDecoderUsable);
        QVERIFY(!vaeReport.files[4].required && !vaeReport.files[4].present);

        QVERIFY(!gpu::checkModelFolder(fs::path(m_dir.path().toStdString()) / "nowhere").usable);
    }

    void wrongShapesKeysAndTruncationAreReported() {
        const fs::path badShape = makeFolder("bad-shape", {gpu::kLqProjFile});
        fs::create_hard_link(m_source / "bad_LQ_proj_in.ckpt", badShape / gpu::kLqProjFile);
        auto report = gpu::checkModelFolder(badShape);
        QVERIFY(!report.usable);
        QVERIFY2(mentions(report.problems,
                          "conv1.weight is (2048, 768, 3, 3, 3), expected (2048, 768, 4, 3, 3)"),
                 joined(report.problems).c_str());

        const fs::path badDit = makeFolder("bad-dit", {gpu::kDitFile});
        fs::create_hard_link(m_source / "bad_dit.safetensors", badDit / gpu::kDitFile);
        report = gpu::checkModelFolder(badDit);
        QVERIFY(!report.usable);
        QVERIFY2(mentions(report.problems, "1 missing keys: blocks.29.ffn.2.bias"),
                 joined(report.problems).c_str());
        QVERIFY(mentions(report.problems, "1 unexpected keys: blocks.30.extra"));

        const fs::path cut = makeFolder("cut", {gpu::kTcDecoderFile});
        auto bytes = test::readBytes(m_source / gpu::kTcDecoderFile);
        bytes.resize(bytes.size() / 2);
        test::writeBytes(cut / gpu::kTcDecoderFile, bytes);
        report = gpu::checkModelFolder(cut);
        QVERIFY(!report.usable);
        QVERIFY2(mentions(report.problems, "TCDecoder.ckpt: corrupt or truncated"),
                 joined(report.problems).c_str());
    }

    void searchOrderAndFindModelFolder() {
        const fs::path root = fs::path(m_dir.path().toStdString());
        const fs::path good = makeFolder("search-good");
        // GIVEN the XDG variables (read by core's XDG helper) and a $FLASHVSR_MODELS value (read
        // by app/ and handed in)
        qputenv("XDG_DATA_HOME", QByteArray::fromStdString((root / "xdg").string()));
        qputenv("XDG_DATA_DIRS",
                QByteArray::fromStdString((root / "shared").string() + ":relative:/opt/share"));
        const std::string modelsList = (root / "absent").string() + ":" + good.string();
        // WHEN the search path is made from them
        const auto paths = gpu::modelSearchPaths(modelsList, core::appDataDirs());
        // THEN the order is $FLASHVSR_MODELS entries, XDG_DATA_HOME, each absolute XDG_DATA_DIRS
        QCOMPARE(paths.size(), size_t(5));
        QCOMPARE(paths[0], root / "absent");
        QCOMPARE(paths[1], good);
        QCOMPARE(paths[2], root / "xdg/flashvsr-studio/models");
        QCOMPARE(paths[3], root / "shared/flashvsr-studio/models");
        QCOMPARE(paths[4], fs::path("/opt/share/flashvsr-studio/models"));
        // AND without XDG_DATA_DIRS the spec's default /usr/local/share, /usr/share
        qunsetenv("XDG_DATA_DIRS");
        const auto defaults = gpu::modelSearchPaths({}, core::appDataDirs());
        QCOMPARE(defaults.size(), size_t(3));
        QCOMPARE(defaults[1], fs::path("/usr/local/share/flashvsr-studio/models"));
        QCOMPARE(defaults[2], fs::path("/usr/share/flashvsr-studio/models"));

        auto found = gpu::findModelFolder({}, paths);
        QVERIFY2(found.ok(), found.ok() ? "" : found.error().message.c_str());
        QCOMPARE(found->folder, good);

        // An explicit folder is used alone: its problems are the error, no fallback to the path.
        const fs::path partial = makeFolder("explicit-partial", {gpu::kDitFile});
        auto err = gpu::findModelFolder(partial, paths);
        QVERIFY(!err.ok());
        QCOMPARE(err.error().code, core::ErrorCode::ModelError);
        const std::string& msg = err.error().message;
        for (const char* f : kReleaseFiles)
            QVERIFY2(msg.find(f) != std::string::npos, msg.c_str());
        QVERIFY(msg.find(partial.string()) != std::string::npos);
        QVERIFY(msg.find("--engine lanczos") != std::string::npos);

        err = gpu::findModelFolder(
            {}, gpu::modelSearchPaths((root / "absent").string(), core::appDataDirs()));
        QVERIFY(!err.ok());
        QVERIFY2(err.error().message.find((root / "absent").string() + " (does not exist)") !=
                     std::string::npos,
                 err.error().message.c_str());
        QVERIFY(err.error().message.find("/usr/share/flashvsr-studio/models") != std::string::npos);
        qunsetenv("XDG_DATA_HOME");
    }
};

QTEST_GUILESS_MAIN(TestGpuModelFiles)
#include "test_gpu_model_files.moc"
