// The model downloader's torch-free pieces: the digests (OpenSSL) against known values and git,
// the manifest's strict reading, the search path and the default download folder. The transfers
// themselves run against a loopback server in tests/cli/test_models_download.cpp.
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "fvs/core/file_hash.h"
#include "fvs/core/model_download.h"
#include "fvs/core/model_manifest.h"

using namespace fvs::core;
namespace fs = std::filesystem;

namespace {

void writeFile(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

ModelManifest sampleManifest(const std::string& version) {
    ModelManifest m;
    m.version = version;
    m.repo = modelRepoFor(version);
    m.endpoint = "https://huggingface.co";
    m.revision = "main";
    m.commit = std::string(40, 'a');
    m.files.push_back({kModelLqProjFile, 3, sha256Hex("abc"), "https://x/LQ_proj_in.ckpt", true});
    m.files.push_back({kModelDitFile, 0, "", "https://x/dit", false});
    return m;
}

}  // namespace

class TestModelDownloadCore : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void digestsMatchKnownValues() {
        QCOMPARE(sha256Hex("abc"),
                 std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(sha256Hex(""),
                 std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        // `printf 'hello\n' | git hash-object --stdin`
        QCOMPARE(gitBlobSha1Hex("hello\n"),
                 std::string("ce013625030ba8dba906f756967f9e9ca394464a"));
        QCOMPARE(gitBlobSha1Hex(""), std::string("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"));
    }

    void fileDigestsEqualBufferDigestsAndGit() {
        QTemporaryDir dir;
        std::string data(3 << 20, '\0');  // more than one read buffer
        for (size_t i = 0; i < data.size(); ++i)
            data[i] = static_cast<char>((i * 2654435761u) >> 13);
        const fs::path file = fs::path(dir.path().toStdString()) / "blob.bin";
        writeFile(file, data);
        uint64_t lastReported = 0;
        auto sha = hashFile(file, HashKind::Sha256, [&](uint64_t b) { lastReported = b; });
        QVERIFY(sha.ok());
        QCOMPARE(sha.value(), sha256Hex(data));
        QCOMPARE(lastReported, uint64_t(data.size()));
        auto blob = hashFile(file, HashKind::GitBlobSha1);
        QVERIFY(blob.ok());
        QCOMPARE(blob.value(), gitBlobSha1Hex(data));
        QProcess git;
        git.start("git", {"hash-object", QString::fromStdString(file.string())});
        if (git.waitForFinished(20000) && git.exitCode() == 0)
            QCOMPARE(git.readAllStandardOutput().trimmed().toStdString(), blob.value());
        QCOMPARE(hashFile(file.string() + ".missing", HashKind::Sha256).error().code,
                 ErrorCode::IoError);
        std::stop_source stopped;
        stopped.request_stop();
        QCOMPARE(hashFile(file, HashKind::Sha256, {}, stopped.get_token()).error().code,
                 ErrorCode::Cancelled);
    }

    void manifestRoundTripsAndRefusesForeignNames() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        QCOMPARE(readModelManifest(dir).error().code, ErrorCode::NotFound);
        QVERIFY(writeModelManifest(dir, sampleManifest("v1.1")).ok());
        auto m = readModelManifest(dir);
        QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
        QCOMPARE(m->repo, std::string("JunhaoZhuang/FlashVSR-v1.1"));
        QCOMPARE(m->files.size(), size_t(2));
        QVERIFY(m->find(kModelLqProjFile)->complete);
        QVERIFY(!m->find(kModelDitFile)->complete);
        QVERIFY(!fs::exists(dir / (std::string(kModelManifestFile) + ".tmp")));

        for (const char* name : {"../etc/passwd", "/tmp/x", "README.md", ""}) {
            ModelManifest bad = sampleManifest("v1");
            bad.files[0].name = name;
            QVERIFY(writeModelManifest(dir, bad).ok());
            auto r = readModelManifest(dir);
            QVERIFY(!r.ok());
            QCOMPARE(r.error().code, ErrorCode::InvalidInput);
            QVERIFY(r.error().message.find("not a FlashVSR model file") != std::string::npos);
        }
        ModelManifest twice = sampleManifest("v1");
        twice.files[1] = twice.files[0];
        QVERIFY(writeModelManifest(dir, twice).ok());
        QCOMPARE(readModelManifest(dir).error().code, ErrorCode::InvalidInput);
        QVERIFY(writeModelManifest(dir, sampleManifest("v2")).ok());
        QCOMPARE(readModelManifest(dir).error().code, ErrorCode::InvalidInput);
        writeFile(dir / kModelManifestFile, "{\"format\": 1, \"version\": ");
        QCOMPARE(readModelManifest(dir).error().code, ErrorCode::InvalidInput);
    }

    void verifyAndRemoveFollowTheManifest() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        writeFile(dir / kModelLqProjFile, "abc");
        writeFile(dir / (std::string(kModelDitFile) + ".part"), "partial");
        writeFile(dir / "mine.txt", "not listed");
        QVERIFY(writeModelManifest(dir, sampleManifest("v1.1")).ok());
        auto report = verifyModelFolder(dir);
        QVERIFY(report.ok());
        QVERIFY(!report->ok());  // the DiT is not downloaded yet
        QVERIFY(report->files[0].ok);
        QVERIFY(!report->files[1].ok);
        writeFile(dir / kModelLqProjFile, "abd");
        report = verifyModelFolder(dir);
        QVERIFY(!report->files[0].ok);
        QVERIFY(report->files[0].problem.find("SHA-256") != std::string::npos);

        auto removed = removeModelFiles(dir);
        QVERIFY(removed.ok());
        QCOMPARE(removed->size(), size_t(3));  // LQ_proj_in.ckpt, the DiT's .part, the manifest
        QVERIFY(fs::exists(dir / "mine.txt"));
        QVERIFY(!fs::exists(dir / kModelLqProjFile));
        QVERIFY(!fs::exists(dir / (std::string(kModelDitFile) + ".part")));
    }

    void searchPathAndDefaultFolder() {
        const auto paths = modelSearchPaths(
            "/a::/b:", {"/home/u/.local/share/flashvsr-studio", "/usr/share/flashvsr-studio"});
        QCOMPARE(paths,
                 (std::vector<fs::path>{"/a", "/b", "/home/u/.local/share/flashvsr-studio/models",
                                        "/usr/share/flashvsr-studio/models"}));
        QCOMPARE(modelRepoFor("v1"), std::string("JunhaoZhuang/FlashVSR"));
        QCOMPARE(modelRepoFor("v2"), std::string());

        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        const fs::path a = root / "a", b = root / "b", c = root / "not/yet/there";
        QVERIFY(writeModelManifest((fs::create_directories(a), a), sampleManifest("v1")).ok());
        writeFile(b / kModelVersionFile, "1.1\n");
        // v1 goes where v1 is; v1.1 skips the v1 folder and takes the one marked v1.1.
        QCOMPARE(chooseDownloadFolder({b, a, c}, "v1").value(), a);
        QCOMPARE(chooseDownloadFolder({a, b, c}, "v1.1").value(), b);
        // A folder marked for the other version is skipped; a missing one can be created.
        QCOMPARE(chooseDownloadFolder({b, c}, "v1").value(), c);
        writeFile(root / "file", "x");
        auto none = chooseDownloadFolder({b, root / "file"}, "v1");
        QVERIFY(!none.ok());
        QVERIFY(none.error().message.find("--dir") != std::string::npos);
        QVERIFY(none.error().message.find("not a folder") != std::string::npos);
    }

    void resolveRefusesBadSettingsBeforeAnyRequest() {
        ModelDownloadOptions o;
        o.version = "v2";
        QCOMPARE(resolveModelDownload(o).error().code, ErrorCode::InvalidArgument);
        o.version = "v1.1";
        o.endpoint = "ftp://example.org";
        auto r = resolveModelDownload(o);
        QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
        QVERIFY(r.error().message.find("http:// or https://") != std::string::npos);
    }

    void humanBytesUsesDecimalUnits() {
        QCOMPARE(humanBytes(2174), std::string("2.2 kB"));
        QCOMPARE(humanBytes(5'680'000'000ull), std::string("5.68 GB"));
        QCOMPARE(humanBytes(999), std::string("999 B"));
    }
};

QTEST_GUILESS_MAIN(TestModelDownloadCore)
#include "test_model_download_core.moc"
