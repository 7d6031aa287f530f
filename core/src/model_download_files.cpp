// downloadModelFiles and chooseDownloadFolder (fvs/core/model_download.h): the folder checks, the
// free-space check, the resumable transfer of each file, its verification and the atomic rename.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <mutex>

#include "fvs/core/file_hash.h"
#include "fvs/core/file_identity.h"
#include "fvs/core/model_download.h"
#include "http_client.h"

namespace fvs::core {

namespace fs = std::filesystem;

namespace {

// posi_prompt.pth is one BF16 tensor (1, 512, 4096) in a torch.save archive: 4 MiB and a little;
// its exact size is only known from the download (its git blob id covers it).
constexpr uint64_t kPromptSizeEstimate = 4'300'000;

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
};

Error ioError(const std::string& what, const fs::path& path, int err) {
    return makeError(err == ENOSPC || err == EDQUOT ? ErrorCode::DiskFull : ErrorCode::IoError,
                     what + " " + path.string() + ": " + std::strerror(err));
}

std::string nowUtc() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Waits `seconds` or until a stop is requested (a condition wait, no polling).
void waitFor(int seconds, std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, std::chrono::seconds(seconds), [] { return false; });
}

double monotonicSeconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The first non-empty line of flashvsr_version.txt as "v1"/"v1.1", "" when there is none, or the
// line itself when it says something else.
std::string versionMarker(const fs::path& folder) {
    std::ifstream in(folder / kModelVersionFile);
    std::string line;
    while (in && std::getline(in, line)) {
        const size_t a = line.find_first_not_of(" \t\r");
        if (a == std::string::npos)
            continue;
        line = line.substr(a, line.find_last_not_of(" \t\r") - a + 1);
        if (line == "1.1" || line == "v1.1")
            return "v1.1";
        if (line == "1" || line == "v1")
            return "v1";
        return line;
    }
    return {};
}

// Why `folder` cannot take `version` ("" when it can): another version's manifest or marker.
std::string otherVersionIn(const fs::path& folder, const std::string& version) {
    if (auto m = readModelManifest(folder); m && m->version != version)
        return "it holds FlashVSR " + m->version + " (" + kModelManifestFile + ")";
    if (const std::string marker = versionMarker(folder); !marker.empty() && marker != version)
        return "its " + std::string(kModelVersionFile) + " says " + marker;
    return {};
}

// A recent transfer rate from the last few seconds of samples.
class RateMeter {
public:
    double update(uint64_t bytes) {
        const double now = monotonicSeconds();
        m_samples.push_back({now, bytes});
        while (m_samples.size() > 2 && now - m_samples.front().first > 5.0)
            m_samples.pop_front();
        const auto& [t0, b0] = m_samples.front();
        return now - t0 > 0.2 && bytes >= b0 ? double(bytes - b0) / (now - t0) : 0.0;
    }

private:
    std::deque<std::pair<double, uint64_t>> m_samples;
};

enum class FileState { Present, Fetch };

struct Job {
    const ModelFileSource* source = nullptr;
    FileState state = FileState::Fetch;
    uint64_t partBytes = 0;
    std::string sha256;  // Present: the file's
};

// The file's digest in the kind the plan can check, and its SHA-256 for the manifest.
struct Digests {
    bool matches = false;
    std::string sha256;
    std::string got;  // the digest compared (for the message)
};

Result<Digests> checkFile(const fs::path& path, const ModelFileSource& f,
                          const std::function<void(uint64_t)>& onBytes, std::stop_token stop) {
    Digests d;
    std::error_code ec;
    const uint64_t size = fs::file_size(path, ec);
    if (ec)
        return makeError(ErrorCode::IoError, "cannot read " + path.string() + ": " + ec.message());
    auto sha = hashFile(path, HashKind::Sha256, onBytes, stop);
    if (!sha)
        return sha.error();
    d.sha256 = sha.value();
    if (f.sizeBytes != 0 && size != f.sizeBytes) {
        d.got = std::to_string(size) + " bytes";
        return d;
    }
    if (!f.sha256.empty()) {
        d.got = d.sha256;
        d.matches = d.sha256 == f.sha256;
        return d;
    }
    auto blob = hashFile(path, HashKind::GitBlobSha1, {}, stop);
    if (!blob)
        return blob.error();
    d.got = blob.value();
    d.matches = blob.value() == f.gitBlobSha1;
    return d;
}

std::string expectedText(const ModelFileSource& f) {
    return !f.sha256.empty() ? "SHA-256 " + f.sha256 : "git blob " + f.gitBlobSha1;
}

Status writeVersionMarker(const fs::path& folder, const std::string& version) {
    const fs::path temp = folder / (std::string(kModelVersionFile) + ".tmp");
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << version << "\n";
        out.flush();
        if (!out)
            return ioError("cannot write", temp, errno);
    }
    if (auto s = syncFileAndFolder(temp); !s)
        return s;
    std::error_code ec;
    fs::rename(temp, folder / kModelVersionFile, ec);
    if (ec)
        return makeError(ErrorCode::IoError,
                         "cannot rename " + temp.string() + ": " + ec.message());
    return syncFolder(folder);
}

// Removes the folder on failure when this call created it and it is still empty.
struct CreatedFolder {
    fs::path path;
    bool created = false;
    bool keep = false;
    ~CreatedFolder() {
        std::error_code ec;
        if (created && !keep && fs::is_empty(path, ec) && !ec)
            fs::remove(path, ec);
    }
};

}  // namespace

Result<fs::path> chooseDownloadFolder(const std::vector<fs::path>& searchPaths,
                                      const std::string& version) {
    for (const auto& p : searchPaths)
        if (auto m = readModelManifest(p); m && m->version == version)
            return p;
    std::string reasons;
    for (const auto& p : searchPaths) {
        std::error_code ec;
        std::string why;
        if (fs::exists(p, ec)) {
            if (!fs::is_directory(p, ec))
                why = "not a folder";
            else if (::access(p.c_str(), W_OK | X_OK) != 0)
                why = "not writable";
            else
                why = otherVersionIn(p, version);
        } else {
            fs::path parent = p.parent_path();
            while (!parent.empty() && !fs::exists(parent, ec) && parent != parent.parent_path())
                parent = parent.parent_path();
            if (parent.empty() || ::access(parent.c_str(), W_OK | X_OK) != 0)
                why = "cannot be created (" + parent.string() + " is not writable)";
        }
        if (why.empty())
            return p;
        reasons += "\n  - " + p.string() + ": " + why;
    }
    return makeError(ErrorCode::IoError, "no folder of the model search path can take FlashVSR " +
                                             version + ":" + reasons +
                                             "\nchoose one with --dir DIR");
}

Result<ModelManifest> downloadModelFiles(const ModelDownloadPlan& plan,
                                         const ModelDownloadOptions& o,
                                         const ModelDownloadCallbacks& cb) {
    const fs::path folder = o.folder;
    if (folder.empty())
        return makeError(ErrorCode::InvalidArgument, "no folder to download into");
    CreatedFolder created{folder};
    std::error_code ec;
    if (!fs::exists(folder, ec)) {
        if (!fs::create_directories(folder, ec) || ec)
            return makeError(ec.value() == ENOSPC ? ErrorCode::DiskFull : ErrorCode::IoError,
                             "cannot create " + folder.string() + ": " + ec.message());
        created.created = true;
    } else if (!fs::is_directory(folder, ec)) {
        return makeError(ErrorCode::IoError, folder.string() + " is not a folder");
    }
    // One downloader per folder: a second one would write the same .part files.
    Fd lock(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (lock.fd < 0)
        return ioError("cannot open", folder, errno);
    if (::flock(lock.fd, LOCK_EX | LOCK_NB) != 0)
        return makeError(ErrorCode::OutputExists,
                         "another flashvsr download into " + folder.string() + " is running");
    if (::access(folder.c_str(), W_OK) != 0)
        return ioError("cannot write into", folder, errno);

    ModelManifest manifest;
    if (auto m = readModelManifest(folder)) {
        manifest = std::move(m.value());
    } else if (m.error().code != ErrorCode::NotFound) {
        return m.error();
    }
    if (const std::string other = otherVersionIn(folder, plan.version); !other.empty())
        return makeError(ErrorCode::OutputExists,
                         "will not put FlashVSR " + plan.version + " into " + folder.string() +
                             ": " + other +
                             ". Keep each version in its own folder: pass --dir DIR");

    // What is there already: complete files are checked (a release file from a git clone counts
    // as downloaded), a different file is replaced only when it is ours or --overwrite is given.
    std::vector<Job> jobs;
    const int count = static_cast<int>(plan.files.size());
    for (int i = 0; i < count; ++i) {
        const ModelFileSource& f = plan.files[i];
        Job job;
        job.source = &f;
        const fs::path path = folder / f.name;
        if (fs::exists(path, ec)) {
            auto progress = [&](uint64_t bytes) {
                if (cb.onProgress) {
                    DownloadProgress p;
                    p.phase = DownloadProgress::Phase::Checking;
                    p.file = f.name;
                    p.fileIndex = i;
                    p.fileCount = count;
                    p.fileBytes = bytes;
                    p.fileTotal = f.sizeBytes;
                    cb.onProgress(p);
                }
            };
            auto d = checkFile(path, f, progress, o.stop);
            if (!d)
                return d.error();
            if (d->matches) {
                job.state = FileState::Present;
                job.sha256 = d->sha256;
            } else {
                const ModelManifestFile* mine = manifest.find(f.name);
                const bool ours = mine && mine->complete;
                if (!o.overwrite && !ours)
                    return makeError(ErrorCode::OutputExists,
                                     path.string() + " exists and is not the release file (" +
                                         d->got + ", expected " + expectedText(f) +
                                         "); move it away or pass --overwrite to replace it");
                // Our own damaged or outdated file goes now, so the manifest (which will call it
                // incomplete) never leaves a stale file behind for `remove`.
                if (ours) {
                    if (cb.onWarning)
                        cb.onWarning(f.name + " is not the release file (" + d->got +
                                     ", expected " + expectedText(f) +
                                     "); it was removed and is downloaded again");
                    fs::remove(path, ec);
                }
            }
        }
        if (job.state == FileState::Fetch) {
            const fs::path part = folder / (f.name + ".part");
            if (fs::is_regular_file(part, ec))
                job.partBytes = fs::file_size(part, ec);
            if (f.sizeBytes != 0 && job.partBytes > f.sizeBytes)
                job.partBytes = 0;  // not a prefix of this file: it starts again
        }
        jobs.push_back(job);
    }

    uint64_t bytesTotal = 0, stillNeeded = 0;
    for (const auto& job : jobs) {
        if (job.state != FileState::Fetch)
            continue;
        const uint64_t size = job.source->sizeBytes ? job.source->sizeBytes : kPromptSizeEstimate;
        bytesTotal += size;
        stillNeeded += size > job.partBytes ? size - job.partBytes : 0;
    }
    if (o.checkFreeSpace && stillNeeded > 0) {
        struct statvfs vfs {};
        if (::statvfs(folder.c_str(), &vfs) != 0)
            return ioError("cannot query the free space of", folder, errno);
        const uint64_t available = uint64_t(vfs.f_bavail) * uint64_t(vfs.f_frsize);
        if (available < stillNeeded + o.keepFreeBytes)
            return makeError(
                ErrorCode::DiskFull,
                "not enough free space in " + folder.string() + ": the download needs " +
                    humanBytes(stillNeeded) +
                    (o.keepFreeBytes ? " (and --keep-free " + humanBytes(o.keepFreeBytes) + ")"
                                     : std::string()) +
                    ", " + humanBytes(available) + " are free");
    }

    manifest.version = plan.version;
    manifest.repo = plan.repo;
    manifest.endpoint = plan.endpoint;
    manifest.revision = plan.revision;
    manifest.commit = plan.commit;
    manifest.promptSource = std::string("github:") + kPromptRepo + "@" + kPromptCommit;
    manifest.updated = nowUtc();
    for (const auto& job : jobs) {
        ModelManifestFile* e = manifest.find(job.source->name);
        if (!e) {
            manifest.files.push_back({job.source->name, 0, {}, {}, false});
            e = &manifest.files.back();
        }
        e->source = job.source->url;
        e->complete = job.state == FileState::Present;
        e->sha256 = job.state == FileState::Present ? job.sha256 : job.source->sha256;
        e->sizeBytes = job.source->sizeBytes;
        if (job.state == FileState::Present)
            e->sizeBytes = fs::file_size(folder / job.source->name, ec);
    }
    // The version marker makes the folder's version known to the loader (docs/models.md).
    if (versionMarker(folder).empty()) {
        if (auto s = writeVersionMarker(folder, plan.version); !s)
            return s.error();
        const std::string text = plan.version + "\n";
        ModelManifestFile* e = manifest.find(kModelVersionFile);
        if (!e) {
            manifest.files.push_back({kModelVersionFile, 0, {}, {}, false});
            e = &manifest.files.back();
        }
        *e = {kModelVersionFile, text.size(), sha256Hex(text), "", true};
    }
    if (auto s = writeModelManifest(folder, manifest); !s)
        return s.error();
    created.keep = true;

    RateMeter rate;
    uint64_t bytesBefore = 0;  // of the files finished in this run
    double lastReport = -1;
    for (int i = 0; i < count; ++i) {
        const Job& job = jobs[i];
        const ModelFileSource& f = *job.source;
        DownloadProgress p;
        p.file = f.name;
        p.fileIndex = i;
        p.fileCount = count;
        p.fileTotal = f.sizeBytes;
        p.bytesTotal = bytesTotal;
        auto report = [&](DownloadProgress::Phase phase, uint64_t fileBytes, bool force) {
            p.phase = phase;
            p.fileBytes = fileBytes;
            p.bytesDone = bytesBefore + fileBytes;
            p.bytesPerSecond = rate.update(p.bytesDone);
            const double now = monotonicSeconds();
            if (!cb.onProgress || (!force && now - lastReport < 0.1))
                return;
            lastReport = now;
            cb.onProgress(p);
        };
        if (job.state == FileState::Present) {
            p.outcome = "present";
            p.phase = DownloadProgress::Phase::FileDone;
            p.fileBytes = p.fileTotal = fs::file_size(folder / f.name, ec);
            p.bytesDone = bytesBefore;
            if (cb.onProgress)
                cb.onProgress(p);
            continue;
        }
        const fs::path path = folder / f.name;
        const fs::path part = folder / (f.name + ".part");
        Fd fd(::open(part.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        if (fd.fd < 0)
            return ioError("cannot write", part, errno);
        uint64_t have = job.partBytes;
        if (::ftruncate(fd.fd, static_cast<off_t>(have)) != 0)
            return ioError("cannot write", part, errno);
        const bool resumed = have > 0;
        report(DownloadProgress::Phase::Downloading, have, true);
        for (int attempt = 0; f.sizeBytes == 0 || have < f.sizeBytes; ++attempt) {
            http::FileRequest request;
            request.url = f.url;
            request.fd = fd.fd;
            request.offset = have;
            request.expectedSize = f.sizeBytes;
            request.stop = o.stop;
            request.onProgress = [&](uint64_t bytes) {
                report(DownloadProgress::Phase::Downloading, bytes, false);
            };
            const auto t = http::getFile(request, have);
            if (t.status)
                break;
            if (t.httpCode == 416 && have > 0 && attempt < o.retries) {
                // The range is past the file's end (a complete .part of unknown size, or a file
                // that changed): start again from byte 0.
                if (::ftruncate(fd.fd, 0) != 0)
                    return ioError("cannot write", part, errno);
                have = 0;
                continue;
            }
            Error e = t.status.error();
            if (have == 0) {
                std::error_code ignored;
                fs::remove(part, ignored);  // nothing to resume from
            }
            const std::string kept = have > 0 ? " (" + part.filename().string() + " keeps " +
                                                    humanBytes(have) +
                                                    "; run the command again to resume)"
                                              : std::string();
            if (e.code == ErrorCode::Cancelled)
                return makeError(ErrorCode::Cancelled, "download cancelled" + kept);
            if (e.code == ErrorCode::DiskFull)
                return makeError(ErrorCode::DiskFull,
                                 "the disk is full while writing " + part.string() + kept);
            if (e.code == ErrorCode::NotFound)
                return makeError(ErrorCode::NotFound, f.name + ": " + e.message);
            if (!t.retryable || attempt >= o.retries)
                return makeError(e.code, f.name + ": " + e.message + kept);
            if (cb.onWarning)
                cb.onWarning(f.name + ": " + e.message + "; retrying in " +
                             std::to_string(attempt + 1) + " s from byte " + std::to_string(have));
            waitFor(attempt + 1, o.stop);
            if (o.stop.stop_requested())
                return makeError(ErrorCode::Cancelled, "download cancelled" + kept);
        }
        if (::fsync(fd.fd) != 0)
            return ioError("cannot write", part, errno);
        report(DownloadProgress::Phase::Verifying, have, true);
        auto d = checkFile(part, f, {}, o.stop);
        if (!d)
            return d.error();
        if (!d->matches) {
            fs::remove(part, ec);
            return makeError(ErrorCode::ModelError,
                             f.name + " is damaged: got " + d->got + ", expected " +
                                 expectedText(f) +
                                 ". The downloaded file was removed; run the "
                                 "command again to fetch it anew (if this "
                                 "repeats, the server " +
                                 f.url.substr(0, f.url.find('/', 8)) + " sends a different file)");
        }
        std::error_code renameError;
        fs::rename(part, path, renameError);
        if (renameError)
            return makeError(ErrorCode::IoError, "cannot rename " + part.string() + " to " +
                                                     path.string() + ": " + renameError.message());
        if (auto s = syncFolder(folder); !s)
            return s.error();
        ModelManifestFile* e = manifest.find(f.name);
        e->complete = true;
        e->sha256 = d->sha256;
        e->sizeBytes = have;
        if (auto s = writeModelManifest(folder, manifest); !s)
            return s.error();
        p.outcome = resumed ? "resumed" : "downloaded";
        report(DownloadProgress::Phase::FileDone, have, true);
        bytesBefore += f.sizeBytes ? f.sizeBytes : kPromptSizeEstimate;
    }
    return manifest;
}

}  // namespace fvs::core
