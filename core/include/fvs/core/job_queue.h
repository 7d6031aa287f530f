#pragma once
// JobQueue: export jobs as a persisted state machine, shared between processes through one JSON
// file ($XDG_DATA_HOME/flashvsr-studio/queue.json by default). Every change locks the file
// (flock on QUEUE.lock), reloads it, applies the change and writes it back atomically
// (temp + fsync + rename), so `flashvsr queue pause` in one terminal and `flashvsr queue run` in
// another never lose each other's edits. The process that executes jobs also holds QUEUE.run.lock
// for as long as it runs (QueueRunLock), so two runners never work on one queue.
//
// States: queued -> running -> done | failed (reason) | cancelled | paused | interrupted.
// A job found "running" whose process is gone (or with no runner holding the run lock) becomes
// "interrupted" when the queue is opened; it keeps its completed segments and resumes from them.
// The file is read strictly: an unknown state, an unknown field, a value of the wrong type or out
// of range is an error naming the file and the field, and the file is never rewritten then.
// Thread contract: a JobQueue object is used by one thread at a time; the file is the shared state.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fvs/core/engine_settings.h"
#include "fvs/core/file_identity.h"
#include "fvs/core/media_sink.h"
#include "fvs/core/result.h"

namespace fvs::core {

enum class JobState { Queued, Running, Paused, Done, Failed, Cancelled, Interrupted };
const char* toString(JobState state);
std::optional<JobState> jobStateFromString(const std::string& text);

// In/out points. Frames win over times when both are given; -1: not set (whole clip).
struct TrimRange {
    int64_t startFrame = -1;
    int64_t endFrame = -1;  // exclusive
    int64_t startUs = -1;
    int64_t endUs = -1;  // exclusive
    bool empty() const { return startFrame < 0 && endFrame < 0 && startUs < 0 && endUs < 0; }
};

// A crop of the source picture applied before scaling; width/height 0: no crop.
struct CropRect {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
    bool empty() const { return width <= 0 || height <= 0; }
};

// One closed, complete segment file of a segmented export, as recorded once it was on disk.
struct SegmentRecord {
    std::string file;        // file name inside Job::workDir
    int64_t firstFrame = 0;  // output frame number (0 = first frame of the trimmed range)
    int64_t frameCount = 0;
    int64_t ptsOffset =
        0;  // output pts of its first frame (source time base); the file starts at 0
    int64_t sizeBytes = -1;  // -1: not recorded (queue files of format 1)
    std::string checksum;    // murmur3-128 (hex) of the whole file; empty: not recorded
};

// The frames of a segment that was still open when its run was stopped (a pause, SIGTERM): a
// lossless FFV1 copy of exactly what its encoder had been given. A resume feeds them into a fresh
// encoder for that same segment (same boundaries, same encoder input: the same bytes) instead of
// rendering them again.
struct KeptFrames {
    std::string file;        // spill_NNNNNN.nut inside Job::workDir (NNNNNN: the segment's number)
    int64_t firstFrame = 0;  // output frame number: the open segment's first frame
    int64_t frameCount = 0;  // 0: nothing kept
    int64_t lastDuration = 0;  // duration of the last kept frame (source time base; 0: unknown)
    int64_t sizeBytes = -1;
    std::string checksum;  // murmur3-128 (hex) of the whole file
    bool recorded() const { return frameCount > 0; }
};

struct Job {
    uint64_t id = 0;
    std::string input;
    std::string output;
    EngineSettings engine;
    EncodeSettings encode;
    TrimRange trim;
    CropRect crop;
    bool deinterlace = false;  // bwdif before the engine
    JobState state = JobState::Queued;
    std::string reason;     // why it failed / was interrupted
    int64_t pid = 0;        // the process running it (state running)
    int segmentFrames = 0;  // frames per segment; 0: the runner's default
    std::string workDir;    // where segments are written (set when the job first runs)
    std::vector<SegmentRecord> segments;
    KeptFrames kept;            // frames of the open segment kept by a stop inside it
    FileIdentity source;        // the input as it was when the first segment was rendered
    FileIdentity joinedOutput;  // the joined output, recorded just before it is renamed into place
    int64_t framesDone = 0;
    int64_t framesTotal = 0;
    std::string createdAt;  // ISO 8601 UTC
    std::string updatedAt;

    int64_t segmentedFrames() const;  // frames covered by the completed segments
    int64_t keptFrames() const;       // segmentedFrames() plus the kept frames that follow them
    bool hasWork() const;             // segments, kept frames or a joined output are recorded
};

class JobQueue {
public:
    // Loads (or creates an empty) queue at `path` and marks orphaned running jobs interrupted.
    static Result<JobQueue> open(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return m_path; }
    const std::vector<Job>& jobs() const { return m_jobs; }  // the last loaded snapshot
    std::optional<Job> find(uint64_t id) const;
    Status reload();

    // Adds a job in state queued (id and timestamps assigned); returns its id.
    Result<uint64_t> add(Job job);
    // Moves a job to position `index` (0 = first; clamped to the end).
    Status move(uint64_t id, int index);
    // Removes a job that is not running.
    Status remove(uint64_t id);
    // failed / cancelled / interrupted / done -> queued. Completed segments are kept (and checked
    // again before they are used), so a job that failed late does not render everything again.
    Status retry(uint64_t id);
    // failed / cancelled / interrupted / done / paused -> queued, from scratch: segments, kept
    // frames and the recorded source identity are dropped (the runner empties the work folder).
    // Refused while a runner holds the job: state running, or paused but its runner (pid) is
    // still stopping it. `dropWork` runs under the file lock before the change (no runner can
    // claim the job in between); its error refuses the restart.
    Status restart(uint64_t id, const std::function<Status(const Job&)>& dropWork = {});
    // queued / running -> paused (a runner stops the job at its next check, keeping segments).
    Status pause(uint64_t id);
    // paused / interrupted -> queued, keeping segments so the export continues where it stopped.
    Status resume(uint64_t id);
    // queued / paused / running / interrupted -> cancelled.
    Status cancel(uint64_t id);

    // Runner side. The next job to run (first queued or interrupted, in order) becomes running
    // with this process's pid; nullopt when there is none.
    Result<std::optional<Job>> claimNext();
    // Applies `change` to job `id` under the file lock (reload, change, atomic write). The change
    // may return an error to abort without writing.
    Status update(uint64_t id, const std::function<Status(Job&)>& change);

private:
    explicit JobQueue(std::filesystem::path path) : m_path(std::move(path)) {}
    Status mutate(const std::function<Status(std::vector<Job>&, uint64_t& nextId)>& change);
    Status loadLocked();
    Status saveLocked();
    Status reconcileOrphans();

    std::filesystem::path m_path;
    std::vector<Job> m_jobs;
    uint64_t m_nextId = 1;
};

// The content of a queue file.
struct QueueDocument {
    uint64_t nextId = 1;
    std::vector<Job> jobs;
};
// Parses the text of a queue file strictly (see the top of this header). `file` only names the
// file in error messages. Never throws; bad input gives ErrorCode::InvalidInput.
Result<QueueDocument> parseQueueDocument(std::string_view text, const std::filesystem::path& file);
// The text parseQueueDocument reads back to the same document (InvalidArgument for a string
// that is not UTF-8).
Result<std::string> serializeQueueDocument(const QueueDocument& document);

// Held by the process executing jobs; released on destruction (or by the kernel if it dies).
class QueueRunLock {
public:
    // Fails with IoError "queue is already being run by another process" when held elsewhere.
    static Result<QueueRunLock> acquire(const std::filesystem::path& queuePath);
    // True when some process currently holds the run lock of this queue.
    static bool heldElsewhere(const std::filesystem::path& queuePath);
    QueueRunLock(QueueRunLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
    QueueRunLock& operator=(QueueRunLock&&) = delete;
    QueueRunLock(const QueueRunLock&) = delete;
    ~QueueRunLock();

private:
    explicit QueueRunLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

// Writes `text` to `path` atomically: a temp file in the same folder, fsync, rename, fsync of the
// folder. ENOSPC gives DiskFull. Never leaves a half-written `path`.
Status writeFileAtomically(const std::filesystem::path& path, const std::string& text);

}  // namespace fvs::core
