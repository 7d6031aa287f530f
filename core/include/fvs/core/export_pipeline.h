#pragma once
// ExportPipeline: source -> processor -> sink for one export. Decode (+ crop + conversion to the
// processor's format), process and encode run on three threads joined by BoundedQueues, so a slow
// stage never idles the others. Frame-exact: each input frame in the trimmed range yields one
// output frame with the same pts.
//
// Segmented mode (segmentFrames > 0, used by the job queue for crash resume): the encode stage
// writes closed, complete video-only segment files into workDir (segment_NNNNNN.mov, or .mp4 for
// AV1: containers that keep pts and dts exactly; one encoder each, so each starts with a key frame
// and no picture refers across a seam), fsyncs each with its folder and reports it with its size
// and checksum. A later run given those segments checks them (size, checksum, frame count; the
// first bad one and everything after it are rendered again) and skips the frames they cover
// (decoding processor.warmupFrames() frames of pre-roll for temporal engines and discarding their
// outputs). The end joins all segments with the source's audio, subtitles and chapters into
// workDir/joined.EXT, fsyncs it, reports its identity (onOutputJoined) and only then renames it
// to the output; a run that finds the output already carrying that identity just cleans up. A
// failed or stopped run leaves every completed segment in place.
//
// Kept frames (onFramesKept set): the open segment's encoder input is also written into a lossless
// FFV1 file in workDir, and a stop inside a segment (pause, SIGTERM) keeps it and reports it. A
// later run given that record checks it (size, checksum, frame count) and feeds its frames into a
// fresh encoder for the same segment before rendering on from the frame after them: the segment
// boundaries and the encoder input are those of an uninterrupted run, so are the bytes. A kept
// file that does not check out is rendered again, never trusted.
//
// Thread contract: run() blocks the calling thread (it becomes the encode stage); pause(),
// resume() and isPaused() may be called from any thread; callbacks run on pipeline threads.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "fvs/core/file_identity.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/media_sink.h"
#include "fvs/core/result.h"
#include "fvs/core/segment_store.h"

namespace fvs::core {

// The most bytes of output frames the overlapped pipeline buffers before the encoder.
inline constexpr std::size_t kEncodeQueueBytes = std::size_t{1} << 30;

// Frames buffered before the encoder: room for two output bursts of `plan` (so the engine does
// not wait for the encoder to take a burst frame by frame), at least `minimum`, and no more than
// kEncodeQueueBytes of output frames (at least one burst).
std::size_t encodeQueueCapacity(const ProcessorPlan& plan, std::size_t minimum);

enum class ExportPhase {
    Rendering,  // decode, process, encode (framesDone counts up)
    Joining,    // segmented mode: the segments are copied into the output (framesJoined)
};

struct ExportProgress {
    int64_t framesDone = 0;  // output frames written (including those of resumed segments)
    int64_t framesTotal =
        0;                   // frames in the trimmed range (estimated when the source has no index)
    double fps = 0.0;        // output frames per second in this run
    double etaSeconds = -1;  // -1: unknown
    double elapsedSeconds = 0;
    ExportPhase phase = ExportPhase::Rendering;
    int64_t framesJoined = 0;  // phase Joining: frames copied into the output so far
};

enum class PipelineMode {
    Overlapped,  // decode, process and encode on their own threads (the default)
    Serial,      // one thread, one stage after the other (benchmark baseline)
};

struct ExportRequest {
    std::filesystem::path input;
    std::filesystem::path output;
    EncodeSettings encode;
    TrimRange trim;
    CropRect crop;
    bool deinterlace = false;                     // bwdif before the engine (SourceOptions)
    std::map<std::string, std::string> metadata;  // added to the output container
    bool copyOtherStreams = true;                 // audio, subtitles, chapters from the input

    int segmentFrames = 0;                         // > 0: segmented (resumable) export
    std::filesystem::path workDir;                 // segments go here (created when missing)
    std::vector<SegmentRecord> completedSegments;  // from an earlier, interrupted run
    FileIdentity joinedOutput;                     // from an earlier run that died after joining
    KeptFrames keptFrames;  // from an earlier run stopped inside the segment that follows them
    // Called on the encode thread after each segment file is closed and on disk; an error stops
    // the export. A record replaces any earlier one from its firstFrame on.
    std::function<Status(const SegmentRecord&)> onSegmentDone;
    // Called when the joined output is complete and on disk, just before it is renamed to the
    // output; an error stops the export (the segments stay).
    std::function<Status(const FileIdentity&)> onOutputJoined;
    // Set: keep the open segment's frames on a stop (see above). Called on run()'s thread when a
    // stop kept frames (the file is complete and on disk), and with an empty record when the
    // recorded kept frames turned out unreadable and are dropped.
    std::function<Status(const KeptFrames&)> onFramesKept;

    std::function<void(const ExportProgress&)> onProgress;  // after every written frame
    std::function<void(const std::string&)> onWarning;
    PipelineMode mode = PipelineMode::Overlapped;
    // Frames buffered between two stages; before the encoder at least two of the processor's
    // output bursts (ProcessorPlan::outputBurstFrames), within kEncodeQueueBytes.
    std::size_t queueCapacity = 4;
    int decoderThreads = 0;  // 0: FFmpeg picks
};

// Where a run's time went, per stage: busy seconds, and the seconds a stage waited for its
// neighbour (overlapped mode: each stage has its own thread, so a stage that is busy for about the
// whole run is the bottleneck; serial mode: the busy times add up to the run, nothing waits).
struct StageSeconds {
    double decode = 0;          // reading, decoding and converting input frames
    double process = 0;         // the engine: push(), finish(), pull()
    double processBlocked = 0;  // the engine's thread waiting for room before the encoder
    double encode = 0;          // converting, encoding and writing output frames
    double encodeStarved = 0;   // the encoder waiting for the engine's frames
};

struct ExportSummary {
    int64_t framesWritten = 0;  // in this run
    int64_t framesTotal = 0;    // in the output
    double seconds = 0;
    ProcessorPlan plan;
    StageSeconds stages;
    std::size_t encodeQueueCapacity = 0;  // frames buffered before the encoder (overlapped)
};

class ExportPipeline {
public:
    explicit ExportPipeline(ExportRequest request);
    ~ExportPipeline();
    ExportPipeline(const ExportPipeline&) = delete;
    ExportPipeline& operator=(const ExportPipeline&) = delete;

    // Runs the export to the end. A stop request returns ErrorCode::Cancelled within about one
    // frame (or one engine step: the stop is passed on with processor.requestStop(), and the
    // processor is reset() afterwards) and leaves nothing under the output name (completed
    // segments stay for a resume).
    Result<ExportSummary> run(FrameProcessor& processor, std::stop_token stop = {});

    void pause();
    void resume();
    bool isPaused() const;

private:
    struct Run;
    ExportRequest m_request;
    mutable std::mutex m_pauseMutex;
    std::condition_variable_any m_pauseChanged;
    bool m_paused = false;
    friend struct Run;
};

}  // namespace fvs::core
