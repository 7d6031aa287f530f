#include "fvs/core/export_pipeline.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <thread>

#include "fvs/core/bounded_queue.h"
#include "fvs/core/frame_convert.h"
#include "fvs/core/media_source.h"
#include "kept_frames.h"
#include "media_detail.h"
#include "media_sink_detail.h"

extern "C" {
#include <libavutil/imgutils.h>
}

namespace fvs::core {

namespace fs = std::filesystem;

namespace {

bool isImageSequence(const ExportRequest& r) {
    return r.encode.container == "image2" || r.output.string().find('%') != std::string::npos;
}

// Adds the wall time of its scope to `total`.
class ScopedSeconds {
public:
    explicit ScopedSeconds(double& total) : m_total(total) {}
    ~ScopedSeconds() {
        m_total +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }
    ScopedSeconds(const ScopedSeconds&) = delete;
    ScopedSeconds& operator=(const ScopedSeconds&) = delete;

private:
    double& m_total;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
};

// Stops the pipeline with a plain status (not an error) when a queue was closed by a stop.
Error stoppedMarker() {
    return makeError(ErrorCode::Cancelled, "stopped");
}

}  // namespace

std::size_t encodeQueueCapacity(const ProcessorPlan& plan, std::size_t minimum) {
    const auto burst = static_cast<std::size_t>(std::max(1, plan.outputBurstFrames));
    const int frameBytes =
        av_image_get_buffer_size(plan.outputFormat, plan.output.width, plan.output.height, 1);
    const std::size_t byBytes =
        frameBytes > 0 ? kEncodeQueueBytes / static_cast<std::size_t>(frameBytes) : 2 * burst;
    return std::max({minimum, std::min(2 * burst, std::max(burst, byBytes)), std::size_t{1}});
}

// The state of one run(); lives on run()'s stack.
struct ExportPipeline::Run {
    Run(ExportPipeline& o, const ExportRequest& r, FrameProcessor& p) : owner(o), req(r), proc(p) {}

    ExportPipeline& owner;
    const ExportRequest& req;
    FrameProcessor& proc;

    std::unique_ptr<MediaSource> source;
    StreamInfo info;
    ProcessorPlan plan;
    FrameConverter converter;
    YuvColor color;
    bool segmented = false;
    bool images = false;         // an image sequence (its segments are sets of images)
    bool allRendered = false;    // the completed segments cover the whole range
    bool alreadyJoined = false;  // an earlier run renamed the joined output into place
    std::string segmentContainer;

    // The trimmed range, in source frame numbers and times.
    int64_t firstIndex = 0;
    int64_t firstPtsUs = 0;
    int64_t endIndex = -1;  // exclusive; -1: until endUs or the end of the file
    int64_t endUs = -1;     // exclusive; -1: no time limit
    int64_t passthroughEndUs = INT64_MAX;
    int64_t resumeIndex = 0;  // first source frame whose output is written in this run
    int64_t framesTotal = 0;
    std::optional<Frame> pendingFirst;

    // Encode stage.
    std::unique_ptr<MediaSink> sink;
    int64_t outputNumber = 0;  // output frames so far, including completed segments
    int64_t writtenThisRun = 0;
    int64_t segmentFirst = 0;
    int64_t segmentPtsOffset = 0;  // subtracted from the pts of the open segment's frames
    std::vector<SegmentRecord> segments;
    // Kept frames: `keeper` copies the open segment's encoder input; `replay` are the verified
    // frames an earlier run kept, fed to the encoder before anything new.
    bool keeping = false;
    std::unique_ptr<detail::KeptFramesWriter> keeper;
    KeptFrames replay;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

    StageSeconds stages;  // each field written by one stage's thread only
    std::size_t encodeCapacity = 0;

    std::stop_source stopSource;
    std::mutex errorMutex;
    std::optional<Error> error;

    void fail(const Error& e) {
        {
            std::lock_guard lock(errorMutex);
            if (!error)
                error = e;
        }
        stopSource.request_stop();
    }

    // false when stopped while paused.
    bool waitWhilePaused() {
        std::unique_lock lock(owner.m_pauseMutex);
        return owner.m_pauseChanged.wait(lock, stopSource.get_token(),
                                         [&] { return !owner.m_paused; });
    }

    void warn(const std::string& text) {
        if (req.onWarning)
            req.onWarning(text);
    }

    Status prepare();
    Status prepareWorkDir();
    Status resolveRange();
    Result<std::optional<Frame>> nextInput();
    Status processFrame(Frame frame, const std::function<Status(Frame)>& emit);
    Status finishProcessing(const std::function<Status(Frame)>& emit);
    Status encodeFrame(const Frame& frame);
    Status replayKeptFrames(std::stop_token stop);
    void keepOpenSegment();
    Status closeSegment();
    Status finishOutput();
    Status joinOutput();
    Status joinImages();
    std::string segmentName(int64_t number) const;
    SinkOptions finalSinkOptions() const;
    void reportProgress();
    void runOverlapped();
    void runSerial();
};

Status ExportPipeline::Run::prepare() {
    segmented = req.segmentFrames > 0;
    images = isImageSequence(req);
    bool joinBegan = false;  // an image join was killed after it put the first image in place
    if (segmented && images && req.joinedOutput.recorded()) {
        auto first = identifyFile(detail::imageFileName(req.output, 1));
        joinBegan = first && first.value() == req.joinedOutput;
    } else if (segmented && req.joinedOutput.recorded()) {
        // Killed after the joined output was renamed into place but before that was recorded.
        auto now = identifyFile(req.output);
        alreadyJoined = now && now.value() == req.joinedOutput;
        if (alreadyJoined) {
            segments = req.completedSegments;
            for (const auto& s : segments)
                outputNumber += s.frameCount;
            return {};
        }
    }
    if (Status st = checkOutputPath(req.output, req.input, req.encode.overwrite || joinBegan); !st)
        return st;
    SourceOptions so;
    so.decoderThreads = req.decoderThreads;
    so.onWarning = req.onWarning;
    so.deinterlace = req.deinterlace;
    auto opened = MediaSource::open(req.input, so);
    if (!opened)
        return opened.error();
    source = std::move(opened).value();
    info = source->info();

    StreamInfo procInfo = info;
    if (!req.crop.empty()) {
        const CropRect& c = req.crop;
        if (c.x < 0 || c.y < 0 || c.x + c.width > info.width || c.y + c.height > info.height)
            return makeError(ErrorCode::InvalidArgument,
                             "crop " + std::to_string(c.width) + "x" + std::to_string(c.height) +
                                 "+" + std::to_string(c.x) + "+" + std::to_string(c.y) +
                                 " does not fit the " + std::to_string(info.width) + "x" +
                                 std::to_string(info.height) + " picture");
        procInfo.width = c.width;
        procInfo.height = c.height;
    }
    procInfo.bitDepth = info.bitDepth;
    auto configured = proc.configure(procInfo);
    if (!configured)
        return configured.error();
    plan = configured.value();
    encodeCapacity = encodeQueueCapacity(plan, req.queueCapacity);
    color = yuvColorFor(info);

    if (segmented)
        if (Status st = prepareWorkDir(); !st)
            return st;
    return resolveRange();
}

Status ExportPipeline::Run::prepareWorkDir() {
    std::error_code ec;
    const auto status = fs::symlink_status(req.workDir, ec);
    if (fs::is_symlink(status) || (fs::exists(status) && !fs::is_directory(status)))
        return makeError(ErrorCode::IoError, "the work folder " + req.workDir.string() +
                                                 " is not a plain folder; refusing to use it");
    fs::create_directories(req.workDir, ec);
    if (ec)
        return makeError(ErrorCode::IoError, "cannot create the work folder " +
                                                 req.workDir.string() + ": " + ec.message());
    segmentContainer = images ? "image2" : segmentContainerFor(req.encode.codec);
    // A segment that is missing, truncated or damaged is never trusted: it and every later one
    // are rendered again (their records are replaced through onSegmentDone).
    segments = usableSegments(req.workDir, req.completedSegments, req.onWarning);
    for (const auto& s : segments)
        outputNumber += s.frameCount;
    keeping = req.onFramesKept && detail::canKeepFrames(plan.outputFormat);
    const KeptFrames& kept = req.keptFrames;
    if (kept.recorded() && kept.firstFrame == outputNumber) {
        SegmentRecord asFile;
        asFile.file = kept.file;
        asFile.firstFrame = kept.firstFrame;
        asFile.frameCount = kept.frameCount;
        asFile.sizeBytes = kept.sizeBytes;
        asFile.checksum = kept.checksum;
        Status st = kept.file == detail::keptFramesFileName(int64_t(segments.size()))
                        ? verifySegment(req.workDir, asFile)
                        : Status(makeError(ErrorCode::InvalidInput,
                                           "kept frames " + kept.file + " are not this segment's"));
        if (st && detail::canKeepFrames(plan.outputFormat))
            replay = kept;
        else
            warn((st ? std::string("the kept frames do not fit this engine's output")
                     : st.error().message) +
                 "; rendering frames " + std::to_string(outputNumber) + " onwards again");
    }
    return {};
}

Status ExportPipeline::Run::resolveRange() {
    const TrimRange& t = req.trim;
    const int64_t count = info.frameCount;
    if (t.startFrame >= 0) {
        if (info.frameCountExact && t.startFrame >= count)
            return makeError(ErrorCode::InvalidArgument,
                             "start frame " + std::to_string(t.startFrame) +
                                 " is past the last frame (" + std::to_string(count - 1) + ")");
        if (t.startFrame > 0)
            if (Status st = source->seekToFrame(t.startFrame); !st)
                return st;
    } else if (t.startUs > 0) {
        if (Status st = source->seekToTime(t.startUs); !st)
            return st;
    }
    auto first = source->read();
    if (!first)
        return first.error();
    if (!first->has_value())
        return makeError(ErrorCode::InvalidArgument,
                         t.empty() ? "the input has no video frames"
                                   : "the start point is past the end of the input");
    firstIndex = (*first)->index;
    firstPtsUs = (*first)->ptsUs;

    if (t.endFrame >= 0) {
        endIndex = info.frameCountExact ? std::min(t.endFrame, count) : t.endFrame;
        if (endIndex <= firstIndex)
            return makeError(ErrorCode::InvalidArgument,
                             "the end point is not after the start point");
    } else if (t.endUs >= 0) {
        endUs = t.endUs;
        if (endUs <= firstPtsUs)
            return makeError(ErrorCode::InvalidArgument,
                             "the end point is not after the start point");
        passthroughEndUs = endUs;
    }
    // The exact end time of a frame-numbered range, so audio is cut where the video ends.
    bool seeked = false;
    if (endIndex >= 0 && (!info.frameCountExact || endIndex < count)) {
        if (source->seekToFrame(endIndex)) {
            auto endFrame = source->read();
            if (endFrame && endFrame->has_value())
                passthroughEndUs = (*endFrame)->ptsUs;
        }
        seeked = true;
    }

    if (endIndex >= 0) {
        framesTotal = endIndex - firstIndex;
    } else if (endUs >= 0) {
        framesTotal = std::max<int64_t>(1, std::llround((endUs - firstPtsUs) / 1e6 * info.fps()));
        if (count > 0)
            framesTotal = std::min(framesTotal, count - firstIndex);
    } else {
        framesTotal = std::max<int64_t>(count - firstIndex, 0);
    }

    resumeIndex = firstIndex + outputNumber + replay.frameCount;
    // The end of the range in frames when it is known exactly.
    const int64_t rangeEnd =
        endIndex >= 0 ? endIndex : (endUs < 0 && info.frameCountExact ? count : -1);
    if (rangeEnd >= 0 && resumeIndex > rangeEnd)
        return makeError(ErrorCode::InvalidArgument,
                         "the completed segments cover more frames than the range has");
    if (rangeEnd >= 0 && resumeIndex >= rangeEnd) {
        allRendered = true;  // killed before or during the join: only the join is left
        return {};
    }
    const int64_t decodeFrom = std::max(firstIndex, resumeIndex - proc.warmupFrames());
    if (decodeFrom != firstIndex || seeked) {
        if (Status st = source->seekToFrame(decodeFrom); !st) {
            // Without an exact frame count the segments may well reach the end of the file.
            if (outputNumber > 0 && st.error().code == ErrorCode::InvalidArgument) {
                allRendered = true;
                return {};
            }
            return st;
        }
    } else {
        pendingFirst = std::move(**first);
    }
    return {};
}

Result<std::optional<Frame>> ExportPipeline::Run::nextInput() {
    if (allRendered)
        return std::optional<Frame>{};  // every frame is in completed segments already
    while (true) {
        Frame f;
        if (pendingFirst) {
            f = std::move(*pendingFirst);
            pendingFirst.reset();
        } else {
            auto r = source->read();
            if (!r)
                return r.error();
            if (!r->has_value())
                return std::optional<Frame>{};
            f = std::move(**r);
        }
        if (f.index < firstIndex)
            continue;
        if (endIndex >= 0 && f.index >= endIndex)
            return std::optional<Frame>{};
        if (endUs >= 0 && f.ptsUs >= endUs)
            return std::optional<Frame>{};

        Frame cropped = f.ref();
        if (!req.crop.empty()) {
            const CropRect& c = req.crop;
            cropped.av->crop_left = static_cast<size_t>(c.x);
            cropped.av->crop_top = static_cast<size_t>(c.y);
            cropped.av->crop_right = static_cast<size_t>(f.width() - c.x - c.width);
            cropped.av->crop_bottom = static_cast<size_t>(f.height() - c.y - c.height);
            if (av_frame_apply_cropping(cropped.av.get(), AV_FRAME_CROP_UNALIGNED) < 0)
                return makeError(ErrorCode::Internal,
                                 "cannot crop frame " + std::to_string(f.index));
        }
        auto converted =
            converter.convert(cropped, plan.inputFormat, cropped.width(), cropped.height(), color);
        if (!converted)
            return converted.error();
        return std::optional<Frame>(std::move(converted).value());
    }
}

Status ExportPipeline::Run::processFrame(Frame frame, const std::function<Status(Frame)>& emit) {
    if (Status st = proc.push(std::move(frame)); !st)
        return st;
    while (auto out = proc.pull())
        if (Status st = emit(std::move(*out)); !st)
            return st;
    return {};
}

Status ExportPipeline::Run::finishProcessing(const std::function<Status(Frame)>& emit) {
    if (Status st = proc.finish(); !st)
        return st;
    while (auto out = proc.pull())
        if (Status st = emit(std::move(*out)); !st)
            return st;
    return {};
}

SinkOptions ExportPipeline::Run::finalSinkOptions() const {
    SinkOptions o;
    o.output = req.output;
    o.encode = req.encode;
    o.width = plan.output.width;
    o.height = plan.output.height;
    o.sar = plan.output.sar;
    o.inputFormat = plan.outputFormat;
    if (req.copyOtherStreams)
        o.passthroughFrom = req.input;
    o.trimStartUs = firstPtsUs;
    o.trimEndUs = passthroughEndUs;
    o.keepSourceTimestamps = req.trim.empty();
    o.metadata = {{"flashvsr_engine", plan.engineName},
                  {"flashvsr_settings", plan.engineDescription}};
    for (const auto& [k, v] : req.metadata)
        o.metadata[k] = v;
    o.onWarning = req.onWarning;
    return o;
}

Status ExportPipeline::Run::encodeFrame(const Frame& frame) {
    if (!sink) {
        SinkOptions o = finalSinkOptions();
        if (segmented) {
            // A video-only file with the final timeline (pts relative to the range start), so the
            // join is a plain remux.
            o.output = req.workDir / segmentName(static_cast<int64_t>(segments.size()));
            o.encode.container = segmentContainer;
            o.encode.overwrite = true;  // a stale or rejected segment of an earlier run is replaced
            o.passthroughFrom.clear();
            o.metadata.clear();
            segmentFirst = outputNumber;
            // The output pts of this first frame (as MediaSink computes it): the segment starts
            // at 0 and the join adds this back.
            segmentPtsOffset =
                frame.av->pts - info.startPts - detail::fromUs(firstPtsUs, info.timeBase);
        }
        auto opened = MediaSink::open(info, o);
        if (!opened)
            return opened.error();
        sink = std::move(opened).value();
        if (segmented && keeping) {
            auto k = detail::KeptFramesWriter::open(
                req.workDir / detail::keptFramesFileName(static_cast<int64_t>(segments.size())),
                frame.width(), frame.height(), frame.format(), info.timeBase);
            if (k)
                keeper = std::move(k).value();
            else
                warn("a pause inside this segment cannot keep its frames: " + k.error().message);
        }
    }
    if (segmented && segmentPtsOffset != 0) {
        Frame shifted = frame.ref();
        if (!shifted.valid())
            return makeError(ErrorCode::OutOfMemory, "cannot reference a frame");
        shifted.av->pts -= segmentPtsOffset;
        if (Status st = sink->write(shifted); !st)
            return st;
    } else if (Status st = sink->write(frame); !st) {
        return st;
    }
    if (keeper) {
        if (Status st = keeper->write(frame); !st) {
            warn("a pause inside this segment cannot keep its frames: " + st.error().message);
            keeper.reset();  // the export goes on; a stop just keeps nothing of this segment
        }
    }
    ++outputNumber;
    ++writtenThisRun;
    if (segmented && outputNumber - segmentFirst >= req.segmentFrames)
        if (Status st = closeSegment(); !st)
            return st;
    reportProgress();
    return {};
}

Status ExportPipeline::Run::closeSegment() {
    if (!sink)
        return {};
    if (Status st = sink->finish(); !st)
        return st;
    sink.reset();
    SegmentRecord record;
    record.file = segmentName(static_cast<int64_t>(segments.size()));
    record.firstFrame = segmentFirst;
    record.frameCount = outputNumber - segmentFirst;
    record.ptsOffset = segmentPtsOffset;
    // On disk before the queue file says so; the size and checksum let a resume tell a complete
    // segment from a truncated or damaged one.
    const std::vector<fs::path> files = images ? imageSegmentFiles(req.workDir, record)
                                               : std::vector<fs::path>{req.workDir / record.file};
    record.sizeBytes = 0;
    for (const auto& file : files) {
        if (Status st = syncFileAndFolder(file); !st)
            return st;
        std::error_code ec;
        record.sizeBytes += static_cast<int64_t>(fs::file_size(file, ec));
        if (ec)
            return makeError(ErrorCode::IoError,
                             "cannot read " + file.string() + ": " + ec.message());
    }
    auto sum = checksumFiles(files);
    if (!sum)
        return sum.error();
    record.checksum = sum.value();
    segments.push_back(record);
    keeper.reset();  // its .part goes: the segment itself is complete
    if (req.onSegmentDone)
        if (Status st = req.onSegmentDone(record); !st)
            return st;
    // Frames an earlier run kept of this segment are in the segment now (and no longer recorded).
    std::error_code removeError;
    fs::remove(req.workDir / detail::keptFramesFileName(static_cast<int64_t>(segments.size()) - 1),
               removeError);
    replay = {};
    return {};
}

Status ExportPipeline::Run::replayKeptFrames(std::stop_token stop) {
    if (!replay.recorded())
        return {};
    const int64_t first = outputNumber;
    int64_t n = 0;
    Status st = detail::readKeptFrames(
        req.workDir / replay.file, replay, plan.output.width, plan.output.height, plan.outputFormat,
        info.timeBase, [&](Frame f) -> Status {
            if (stop.stop_requested())
                return stoppedMarker();
            f.index = firstIndex + first + n++;
            f.ptsUs = detail::toUs(f.av->pts - info.startPts, info.timeBase);
            Status written = encodeFrame(f);
            --writtenThisRun;  // fed again, not rendered in this run
            return written;
        });
    if (!st && st.error().code == ErrorCode::InvalidInput) {
        // Checked before, unreadable now: drop the record, so a retry renders these frames.
        if (req.onFramesKept)
            (void)req.onFramesKept(KeptFrames{});
        return makeError(ErrorCode::InvalidInput,
                         st.error().message + "; a retry renders those frames again");
    }
    return st;
}

void ExportPipeline::Run::keepOpenSegment() {
    // Only a superset of what is kept already replaces it (a stop during the replay keeps the
    // earlier file as it is).
    if (!keeper || !sink || keeper->frameCount() != outputNumber - segmentFirst ||
        keeper->frameCount() <= replay.frameCount)
        return;
    auto kept = keeper->finish();
    keeper.reset();
    if (!kept) {
        warn("the frames of the open segment cannot be kept: " + kept.error().message);
        return;
    }
    kept->firstFrame = segmentFirst;
    if (Status st = req.onFramesKept(kept.value()); !st) {
        warn("the frames of the open segment cannot be kept: " + st.error().message);
        std::error_code ec;
        fs::remove(req.workDir / kept->file, ec);
    }
}

Status ExportPipeline::Run::finishOutput() {
    if (outputNumber == 0)
        return makeError(ErrorCode::InvalidInput, "no video frames in the selected range");
    if (!segmented)
        return sink ? sink->finish() : Status{};
    if (Status st = closeSegment(); !st)
        return st;
    return joinOutput();
}

std::string ExportPipeline::Run::segmentName(int64_t number) const {
    return images ? imageSegmentPattern(number, req.encode.codec)
                  : segmentFileName(number, segmentContainer);
}

Status ExportPipeline::Run::joinImages() {
    ExportProgress p;
    p.phase = ExportPhase::Joining;
    p.framesDone = p.framesTotal = outputNumber;
    if (req.onProgress)
        req.onProgress(p);
    auto recordStart = [&]() -> Status {
        // The identity the first output image will have (a hard link, or a copy with its time):
        // a resume that finds it in place knows the images under the output names are ours.
        auto identity = identifyFile(imageSegmentFiles(req.workDir, segments.front()).front());
        if (!identity)
            return identity.error();
        return req.onOutputJoined ? req.onOutputJoined(identity.value()) : Status{};
    };
    if (Status st = joinImageSegments(
            req.workDir, segments, req.output, req.encode.overwrite, recordStart,
            [&](int64_t n) {
                p.framesJoined = n;
                if (req.onProgress)
                    req.onProgress(p);
            },
            stopSource.get_token());
        !st)
        return st;
    removeWorkFiles(req.workDir);  // the images are in place: the segments are no longer needed
    return {};
}

Status ExportPipeline::Run::joinOutput() {
    if (images)
        return joinImages();
    // Joined inside the work folder first: the output name only ever gets a complete file, and a
    // kill at any point of the join leaves the segments to join again.
    std::string ext = req.output.extension().string();
    const bool plainExt = ext.size() >= 2 && ext.size() <= 9 &&
                          std::all_of(ext.begin() + 1, ext.end(),
                                      [](unsigned char c) { return std::isalnum(c) != 0; });
    const fs::path joined = req.workDir / ("joined" + (plainExt ? ext : std::string(".out")));
    SinkOptions o = finalSinkOptions();
    o.output = joined;
    o.encode.overwrite = true;  // a joined file of a killed run is ours to replace
    std::vector<fs::path> files;
    for (const auto& s : segments)
        files.push_back(req.workDir / s.file);
    ExportProgress p;
    p.phase = ExportPhase::Joining;
    p.framesDone = p.framesTotal = outputNumber;
    JoinControl control;
    control.stop = stopSource.get_token();
    for (const auto& s : segments)
        control.ptsOffsets.push_back(s.ptsOffset);
    control.onProgress = [&](int64_t n) {
        p.framesJoined = n;
        if (req.onProgress)
            req.onProgress(p);
    };
    if (req.onProgress)
        req.onProgress(p);
    if (Status st = joinSegments(files, info, o, control); !st)
        return st;
    if (Status st = syncFileAndFolder(joined); !st)
        return st;
    auto identity = identifyFile(joined);
    if (!identity)
        return identity.error();
    if (req.onOutputJoined)
        if (Status st = req.onOutputJoined(identity.value()); !st)
            return st;
    if (Status st = detail::commitPart(joined, req.output, req.encode.overwrite); !st)
        return st;
    if (Status st = syncFolder(req.output.parent_path()); !st)
        return st;
    removeWorkFiles(req.workDir);  // the output is complete: the segments are no longer needed
    return {};
}

void ExportPipeline::Run::reportProgress() {
    if (!req.onProgress)
        return;
    ExportProgress p;
    p.framesDone = outputNumber;
    p.framesTotal = std::max(framesTotal, outputNumber);
    p.elapsedSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    p.fps = p.elapsedSeconds > 0 ? writtenThisRun / p.elapsedSeconds : 0.0;
    p.etaSeconds = p.fps > 0 ? (p.framesTotal - p.framesDone) / p.fps : -1.0;
    req.onProgress(p);
}

void ExportPipeline::Run::runOverlapped() {
    const std::stop_token stop = stopSource.get_token();
    BoundedQueue<Frame> toProcess(req.queueCapacity);
    BoundedQueue<Frame> toEncode(encodeCapacity);

    std::jthread decodeThread([&] {
        while (!stop.stop_requested() && waitWhilePaused()) {
            Result<std::optional<Frame>> next = std::optional<Frame>{};
            {
                ScopedSeconds timing(stages.decode);
                next = nextInput();
            }
            if (!next) {
                fail(next.error());
                break;
            }
            if (!next->has_value() || stop.stop_requested() ||
                !toProcess.push(std::move(**next), stop))
                break;
        }
        toProcess.close();
    });
    std::jthread processThread([&] {
        auto emit = [&](Frame out) -> Status {
            if (out.index < resumeIndex)
                return {};  // warm-up pre-roll of a resume
            ScopedSeconds timing(stages.processBlocked);
            if (stop.stop_requested() || !toEncode.push(std::move(out), stop))
                return stoppedMarker();
            return {};
        };
        bool ok = true;
        double engineSeconds = 0;  // push/pull/finish, including the waits in emit
        // BoundedQueue::pop still hands out queued items after a stop: check it per frame.
        while (auto frame = toProcess.pop(stop)) {
            if (stop.stop_requested() || !waitWhilePaused())
                break;
            ScopedSeconds timing(engineSeconds);
            if (Status st = processFrame(std::move(*frame), emit); !st) {
                if (!stop.stop_requested())
                    fail(st.error());
                ok = false;
                break;
            }
        }
        if (ok && !stop.stop_requested()) {
            ScopedSeconds timing(engineSeconds);
            if (Status st = finishProcessing(emit); !st && !stop.stop_requested())
                fail(st.error());
        }
        stages.process = std::max(0.0, engineSeconds - stages.processBlocked);
        toEncode.close();
    });

    {
        ScopedSeconds timing(stages.encode);
        if (Status st = replayKeptFrames(stop); !st && !stop.stop_requested())
            fail(st.error());
    }
    while (true) {
        std::optional<Frame> frame;
        {
            ScopedSeconds timing(stages.encodeStarved);
            frame = toEncode.pop(stop);
        }
        if (!frame || stop.stop_requested() || !waitWhilePaused())
            break;
        ScopedSeconds timing(stages.encode);
        if (Status st = encodeFrame(*frame); !st) {
            fail(st.error());
            break;
        }
    }
    // jthreads join at scope exit; every wait of theirs wakes on the stop or the closed queues.
    if (stop.stop_requested()) {
        toProcess.close();
        toEncode.close();
    }
}

void ExportPipeline::Run::runSerial() {
    const std::stop_token stop = stopSource.get_token();
    auto emit = [&](Frame out) -> Status {
        if (out.index < resumeIndex)
            return {};
        ScopedSeconds timing(stages.encode);
        return encodeFrame(out);
    };
    {
        ScopedSeconds timing(stages.encode);
        if (Status st = replayKeptFrames(stop); !st) {
            if (!stop.stop_requested())
                fail(st.error());
            return;
        }
    }
    const double replaySeconds = stages.encode;
    double engineSeconds = 0;  // push/pull/finish, including the encoding in emit
    while (!stop.stop_requested() && waitWhilePaused()) {
        Result<std::optional<Frame>> next = std::optional<Frame>{};
        {
            ScopedSeconds timing(stages.decode);
            next = nextInput();
        }
        if (!next)
            return fail(next.error());
        if (!next->has_value() || stop.stop_requested())
            break;
        ScopedSeconds timing(engineSeconds);
        if (Status st = processFrame(std::move(**next), emit); !st)
            return fail(st.error());
    }
    if (!stop.stop_requested()) {
        ScopedSeconds timing(engineSeconds);
        if (Status st = finishProcessing(emit); !st)
            fail(st.error());
    }
    stages.process = std::max(0.0, engineSeconds - (stages.encode - replaySeconds));
}

ExportPipeline::ExportPipeline(ExportRequest request) : m_request(std::move(request)) {}
ExportPipeline::~ExportPipeline() = default;

void ExportPipeline::pause() {
    std::lock_guard lock(m_pauseMutex);
    m_paused = true;
    m_pauseChanged.notify_all();
}

void ExportPipeline::resume() {
    std::lock_guard lock(m_pauseMutex);
    m_paused = false;
    m_pauseChanged.notify_all();
}

bool ExportPipeline::isPaused() const {
    std::lock_guard lock(m_pauseMutex);
    return m_paused;
}

Result<ExportSummary> ExportPipeline::run(FrameProcessor& processor, std::stop_token stop) {
    Run r(*this, m_request, processor);
    // Any stop (the caller's cancel or a failing stage) also interrupts an engine step in
    // progress: a FlashVSR chunk can take seconds, and only requestStop() reaches into it. The
    // callback runs on the thread that stops (requestStop is the processor's thread-safe call).
    std::stop_callback stopEngine(r.stopSource.get_token(),
                                  [&processor] { processor.requestStop(); });
    std::stop_callback forward(stop, [&r] { r.stopSource.request_stop(); });
    if (stop.stop_requested())
        return makeError(ErrorCode::Cancelled, "export cancelled");
    if (Status st = r.prepare(); !st)
        return st.error();
    if (r.alreadyJoined) {
        removeWorkFiles(m_request.workDir);
        ExportSummary done;
        done.framesTotal = r.outputNumber;
        return done;
    }

    if (m_request.mode == PipelineMode::Serial)
        r.runSerial();
    else
        r.runOverlapped();

    if (!r.error && stop.stop_requested())
        r.error = makeError(ErrorCode::Cancelled, "export cancelled");
    if (!r.error)
        if (Status st = r.finishOutput(); !st)
            r.error = st.error();
    if (r.stopSource.stop_requested())
        processor.reset();  // re-arms it after requestStop(), so the caller may use it again
    // A stop inside a segment keeps what its encoder was given (never a failure: the frames could
    // be the cause of it).
    if (r.error && r.error->code == ErrorCode::Cancelled && stop.stop_requested())
        r.keepOpenSegment();
    if (r.error) {
        if (r.sink)
            r.sink->abort();  // the .part goes; completed segments stay for a resume
        return *r.error;
    }
    ExportSummary summary;
    summary.framesWritten = r.writtenThisRun;
    summary.framesTotal = r.outputNumber;
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - r.started).count();
    summary.plan = r.plan;
    summary.stages = r.stages;
    summary.encodeQueueCapacity = r.encodeCapacity;
    return summary;
}

}  // namespace fvs::core
