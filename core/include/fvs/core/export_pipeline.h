#pragma once
// ExportPipeline: source -> processor -> sink for one export. Decode (+ crop + conversion to the
// processor's format), process and encode run on three threads joined by BoundedQueues, so a slow
// stage never idles the others. Frame-exact: each input frame in the trimmed range yields one
// output frame with the same pts.
//
// Segmented mode (segmentFrames > 0, used by the job queue for crash resume): the encode stage
// writes closed, complete video-only segment files (segment_NNNNNN.mkv, one encoder each, so each
// starts with a key frame) into workDir and reports each one; a later run given those segments
// skips the frames they cover (decoding processor.warmupFrames() frames of pre-roll for temporal
// engines and discarding their outputs), and the end joins all segments with the source's audio,
// subtitles and chapters into the output.
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

#include "fvs/core/frame_processor.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/media_sink.h"
#include "fvs/core/result.h"

namespace fvs::core {

struct ExportProgress {
    int64_t framesDone = 0;  // output frames written (including those of resumed segments)
    int64_t framesTotal =
        0;                   // frames in the trimmed range (estimated when the source has no index)
    double fps = 0.0;        // output frames per second in this run
    double etaSeconds = -1;  // -1: unknown
    double elapsedSeconds = 0;
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
    // Called on the encode thread after each segment file is closed; an error stops the export.
    std::function<Status(const SegmentRecord&)> onSegmentDone;

    std::function<void(const ExportProgress&)> onProgress;  // after every written frame
    std::function<void(const std::string&)> onWarning;
    PipelineMode mode = PipelineMode::Overlapped;
    std::size_t queueCapacity = 4;  // frames buffered between two stages
    int decoderThreads = 0;         // 0: FFmpeg picks
};

struct ExportSummary {
    int64_t framesWritten = 0;  // in this run
    int64_t framesTotal = 0;    // in the output
    double seconds = 0;
    ProcessorPlan plan;
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

// The file name of segment `number` inside a work folder.
std::string segmentFileName(int64_t number);

}  // namespace fvs::core
