#include "fvs/core/job_queue.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace fvs::core {

namespace fs = std::filesystem;

namespace {

std::string nowIso() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

Error ioError(const std::string& what, const fs::path& path, int err) {
    return makeError(err == ENOSPC ? ErrorCode::DiskFull : ErrorCode::IoError,
                     what + " " + path.string() + ": " + std::strerror(err));
}

bool processAlive(int64_t pid) {
    if (pid <= 0)
        return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// RAII file descriptor with an flock held on it.
class LockedFile {
public:
    static Result<LockedFile> lock(const fs::path& path, int operation) {
        std::error_code ec;
        fs::create_directories(path.parent_path(), ec);
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return ioError("cannot open lock file", path, errno);
        int rc;
        do {
            rc = ::flock(fd, operation);
        } while (rc != 0 && errno == EINTR);
        if (rc != 0) {
            const int err = errno;
            ::close(fd);
            return makeError(err == EWOULDBLOCK ? ErrorCode::IoError : ErrorCode::IoError,
                             err == EWOULDBLOCK ? "locked"
                                                : std::string("cannot lock ") + path.string() +
                                                      ": " + std::strerror(err));
        }
        return LockedFile(fd);
    }
    LockedFile(LockedFile&& o) noexcept : m_fd(o.m_fd) { o.m_fd = -1; }
    LockedFile& operator=(LockedFile&&) = delete;
    ~LockedFile() {
        if (m_fd >= 0)
            ::close(m_fd);  // closing releases the flock
    }
    int release() {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }

private:
    explicit LockedFile(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

fs::path lockPathOf(const fs::path& queue) {
    return fs::path(queue.string() + ".lock");
}
fs::path runLockPathOf(const fs::path& queue) {
    return fs::path(queue.string() + ".run.lock");
}

Error noSuchJob(uint64_t id) {
    return makeError(ErrorCode::NotFound, "no job with id " + std::to_string(id) + " in the queue");
}

Error badTransition(const Job& j, const char* action) {
    return makeError(ErrorCode::InvalidArgument, std::string("cannot ") + action + " job " +
                                                     std::to_string(j.id) + ": it is " +
                                                     toString(j.state));
}

}  // namespace

const char* toString(JobState state) {
    switch (state) {
        case JobState::Queued:
            return "queued";
        case JobState::Running:
            return "running";
        case JobState::Paused:
            return "paused";
        case JobState::Done:
            return "done";
        case JobState::Failed:
            return "failed";
        case JobState::Cancelled:
            return "cancelled";
        case JobState::Interrupted:
            return "interrupted";
    }
    return "failed";
}

std::optional<JobState> jobStateFromString(const std::string& text) {
    for (JobState s : {JobState::Queued, JobState::Running, JobState::Paused, JobState::Done,
                       JobState::Failed, JobState::Cancelled, JobState::Interrupted})
        if (text == toString(s))
            return s;
    return std::nullopt;
}

int64_t Job::segmentedFrames() const {
    int64_t n = 0;
    for (const auto& s : segments)
        n += s.frameCount;
    return n;
}

int64_t Job::keptFrames() const {
    const int64_t n = segmentedFrames();
    return kept.recorded() && kept.firstFrame == n ? n + kept.frameCount : n;
}

bool Job::hasWork() const {
    return !segments.empty() || kept.recorded() || joinedOutput.recorded();
}

Status writeFileAtomically(const fs::path& path, const std::string& text) {
    std::error_code ec;
    if (!path.parent_path().empty())
        fs::create_directories(path.parent_path(), ec);
    const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ioError("cannot create", tmp, errno);
    size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return ioError("cannot write", tmp, err);
        }
        written += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return ioError("cannot flush", tmp, err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return ioError("cannot rename onto", path, err);
    }
    // Make the rename itself durable (power loss right after a state change).
    const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

Result<JobQueue> JobQueue::open(const fs::path& path) {
    JobQueue q(path);
    auto st = q.reconcileOrphans();
    if (!st)
        return st.error();
    return q;
}

std::optional<Job> JobQueue::find(uint64_t id) const {
    for (const auto& j : m_jobs)
        if (j.id == id)
            return j;
    return std::nullopt;
}

Status JobQueue::loadLocked() {
    m_jobs.clear();
    m_nextId = 1;
    std::error_code ec;
    if (!fs::exists(m_path, ec))
        return {};
    std::ifstream in(m_path, std::ios::binary);
    if (!in)
        return ioError("cannot read", m_path, errno);
    std::stringstream text;
    text << in.rdbuf();
    if (in.bad())
        return ioError("cannot read", m_path, EIO);
    // Never overwrite a queue we cannot read: the user may want to repair it.
    auto doc = parseQueueDocument(text.str(), m_path);
    if (!doc)
        return doc.error();
    m_nextId = doc->nextId;
    m_jobs = std::move(doc->jobs);
    return {};
}

Status JobQueue::saveLocked() {
    auto text = serializeQueueDocument(QueueDocument{m_nextId, m_jobs});
    if (!text)
        return text.error();
    return writeFileAtomically(m_path, text.value());
}

Status JobQueue::reload() {
    auto lock = LockedFile::lock(lockPathOf(m_path), LOCK_SH);
    if (!lock)
        return lock.error();
    return loadLocked();
}

Status JobQueue::mutate(const std::function<Status(std::vector<Job>&, uint64_t&)>& change) {
    auto lock = LockedFile::lock(lockPathOf(m_path), LOCK_EX);
    if (!lock)
        return lock.error();
    if (auto st = loadLocked(); !st)
        return st;
    std::vector<Job> jobs = m_jobs;
    uint64_t nextId = m_nextId;
    if (auto st = change(jobs, nextId); !st)
        return st;
    std::swap(m_jobs, jobs);
    std::swap(m_nextId, nextId);
    if (auto st = saveLocked(); !st) {
        m_jobs = std::move(jobs);  // the snapshot stays what the file holds
        m_nextId = nextId;
        return st;
    }
    return {};
}

Status JobQueue::reconcileOrphans() {
    if (auto st = reload(); !st)
        return st;
    const bool anyRunning = std::any_of(m_jobs.begin(), m_jobs.end(),
                                        [](const Job& j) { return j.state == JobState::Running; });
    if (!anyRunning)
        return {};
    const bool runnerAlive = QueueRunLock::heldElsewhere(m_path);
    return mutate([&](std::vector<Job>& jobs, uint64_t&) -> Status {
        for (auto& j : jobs) {
            if (j.state != JobState::Running)
                continue;
            // A pid can be reused by an unrelated process; without a runner holding the lock the
            // job is orphaned whatever the pid says.
            if (runnerAlive && processAlive(j.pid))
                continue;
            j.state = JobState::Interrupted;
            j.reason = "the process running it (pid " + std::to_string(j.pid) + ") stopped";
            j.pid = 0;
            j.updatedAt = nowIso();
        }
        return {};
    });
}

Result<uint64_t> JobQueue::add(Job job) {
    uint64_t id = 0;
    auto st = mutate([&](std::vector<Job>& jobs, uint64_t& nextId) -> Status {
        job.id = id = nextId++;
        job.state = JobState::Queued;
        job.pid = 0;
        job.createdAt = job.updatedAt = nowIso();
        jobs.push_back(job);
        return {};
    });
    if (!st)
        return st.error();
    return id;
}

Status JobQueue::update(uint64_t id, const std::function<Status(Job&)>& change) {
    return mutate([&](std::vector<Job>& jobs, uint64_t&) -> Status {
        for (auto& j : jobs)
            if (j.id == id) {
                if (auto st = change(j); !st)
                    return st;
                j.updatedAt = nowIso();
                return {};
            }
        return noSuchJob(id);
    });
}

Status JobQueue::move(uint64_t id, int index) {
    return mutate([&](std::vector<Job>& jobs, uint64_t&) -> Status {
        auto it = std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.id == id; });
        if (it == jobs.end())
            return noSuchJob(id);
        Job job = std::move(*it);
        jobs.erase(it);
        const auto pos = static_cast<size_t>(std::clamp<int64_t>(index, 0, int64_t(jobs.size())));
        jobs.insert(jobs.begin() + static_cast<std::ptrdiff_t>(pos), std::move(job));
        return {};
    });
}

Status JobQueue::remove(uint64_t id) {
    return mutate([&](std::vector<Job>& jobs, uint64_t&) -> Status {
        auto it = std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.id == id; });
        if (it == jobs.end())
            return noSuchJob(id);
        if (it->state == JobState::Running)
            return badTransition(*it, "remove");
        jobs.erase(it);
        return {};
    });
}

Status JobQueue::retry(uint64_t id) {
    return update(id, [](Job& j) -> Status {
        if (j.state != JobState::Failed && j.state != JobState::Cancelled &&
            j.state != JobState::Interrupted && j.state != JobState::Done)
            return badTransition(j, "retry");
        j.state = JobState::Queued;
        j.reason.clear();
        j.framesDone = j.keptFrames();  // the runner checks them again before using them
        return {};
    });
}

Status JobQueue::restart(uint64_t id, const std::function<Status(const Job&)>& dropWork) {
    const bool runnerAlive = QueueRunLock::heldElsewhere(m_path);
    return update(id, [&](Job& j) -> Status {
        if (j.state == JobState::Queued || j.state == JobState::Running)
            return badTransition(j, "restart");
        if (j.pid != 0 && runnerAlive && processAlive(j.pid))
            return makeError(ErrorCode::InvalidArgument,
                             "job " + std::to_string(j.id) + " is still being stopped by process " +
                                 std::to_string(j.pid) +
                                 "; its segments stay until it has stopped (try again then)");
        if (dropWork)
            if (Status st = dropWork(j); !st)
                return st;
        j.state = JobState::Queued;
        j.reason.clear();
        j.segments.clear();  // the runner empties the work folder
        j.kept = {};
        j.source = {};
        j.joinedOutput = {};
        j.framesDone = 0;
        return {};
    });
}

Status JobQueue::pause(uint64_t id) {
    return update(id, [](Job& j) -> Status {
        if (j.state != JobState::Queued && j.state != JobState::Running)
            return badTransition(j, "pause");
        j.state = JobState::Paused;
        return {};
    });
}

Status JobQueue::resume(uint64_t id) {
    return update(id, [](Job& j) -> Status {
        if (j.state != JobState::Paused && j.state != JobState::Interrupted)
            return badTransition(j, "resume");
        j.state = JobState::Queued;
        j.reason.clear();
        return {};
    });
}

Status JobQueue::cancel(uint64_t id) {
    return update(id, [](Job& j) -> Status {
        if (j.state == JobState::Done || j.state == JobState::Failed ||
            j.state == JobState::Cancelled)
            return badTransition(j, "cancel");
        j.state = JobState::Cancelled;
        // Its segments are discarded: the runner deletes them when it stops the job, or before it
        // runs the job again after a retry.
        j.segments.clear();
        j.kept = {};
        j.framesDone = 0;
        return {};
    });
}

Result<std::optional<Job>> JobQueue::claimNext() {
    std::optional<Job> claimed;
    auto st = mutate([&](std::vector<Job>& jobs, uint64_t&) -> Status {
        for (auto& j : jobs)
            if (j.state == JobState::Queued || j.state == JobState::Interrupted) {
                j.state = JobState::Running;
                j.reason.clear();
                j.pid = ::getpid();
                j.updatedAt = nowIso();
                claimed = j;
                return {};
            }
        return {};
    });
    if (!st)
        return st.error();
    return claimed;
}

Result<QueueRunLock> QueueRunLock::acquire(const fs::path& queuePath) {
    auto lock = LockedFile::lock(runLockPathOf(queuePath), LOCK_EX | LOCK_NB);
    if (!lock) {
        if (lock.error().message == "locked")
            return makeError(ErrorCode::IoError, "the queue " + queuePath.string() +
                                                     " is already being run by another process");
        return lock.error();
    }
    return QueueRunLock(lock.value().release());
}

bool QueueRunLock::heldElsewhere(const fs::path& queuePath) {
    auto lock = LockedFile::lock(runLockPathOf(queuePath), LOCK_EX | LOCK_NB);
    return !lock.ok() && lock.error().message == "locked";
}

QueueRunLock::~QueueRunLock() {
    if (m_fd >= 0)
        ::close(m_fd);
}

}  // namespace fvs::core
