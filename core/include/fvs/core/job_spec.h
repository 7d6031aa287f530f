#pragma once
// JobSpec: one export as the user described it (the CLI's `upscale` and `queue add`, the export
// dialog, `flashvsr-studio --export`), checked once against the option table and, before it runs
// or is queued, against its source; and the one rule that names an output from a pattern.

#include <filesystem>
#include <string>
#include <vector>

#include "fvs/core/engine_settings.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/media_sink.h"
#include "fvs/core/result.h"
#include "fvs/core/stream_info.h"

namespace fvs::core {

struct JobSpec {
    std::filesystem::path input;
    std::filesystem::path output;  // resolved (resolveOutputPath)
    EngineSettings engine;
    EncodeSettings encode;
    TrimRange trim;
    CropRect crop;
    bool deinterlace = false;  // bwdif before the engine (--deinterlace)

    // The option table's checks on every setting (exit code 1 / the dialog's message).
    Status validate() const;
    // What needs the source: the trim inside the clip, the crop inside the picture.
    Status validateAgainst(const StreamInfo& source) const;
    // As a queue job (state queued; absolute paths).
    Job toQueueJob(int segmentFrames = 0) const;
};

// The CLI's default name, NAME.flashvsr-x4.EXT.
inline constexpr const char* kDefaultOutputPattern = "{name}.flashvsr-{scale}";

enum class OutputCollision {
    Keep,        // return the name even if the file exists (the writer refuses it without
                 // --overwrite)
    AddCounter,  // "NAME (2).EXT", "NAME (3).EXT", ... instead of an existing file or .part
};

struct OutputNaming {
    std::filesystem::path folder;  // empty: beside the input
    std::string pattern;           // empty: kDefaultOutputPattern
    std::string extension;         // without the dot; empty: the input's (mp4/mov/mkv) or mkv
    std::string preset;            // the {preset} token
    OutputCollision collision = OutputCollision::Keep;
    std::vector<std::filesystem::path> taken;  // names already given to other jobs (AddCounter)
};

// "x4", "x2.5", "1920x1080", "1920x", "x1080".
std::string scaleToken(const ScaleRequest& scale);

// The values of the pattern's tokens {engine}, {scale} and {preset}.
struct OutputTokens {
    std::string engine;
    std::string scale;
    std::string preset;
};

// Expands the pattern's tokens {name} (the input's file name without extension), {engine},
// {scale}, {preset} and {date} (yyyyMMdd); '/' in a token becomes '_'. png/tiff outputs are image
// sequences and get "_%06d" before the extension. Never returns the input itself.
std::filesystem::path expandOutputPattern(const std::filesystem::path& input,
                                          const OutputTokens& tokens, const OutputNaming& naming);
// expandOutputPattern with the engine's name and scaleToken(engine.scale).
std::filesystem::path resolveOutputPath(const std::filesystem::path& input,
                                        const EngineSettings& engine, const OutputNaming& naming);

// True when the two paths name the same file (same device and inode, through symlinks and hard
// links; or the same canonical path when neither exists yet).
bool sameFile(const std::filesystem::path& a, const std::filesystem::path& b);

// A batch reads every input and writes every output: refuses (OutputIsInput) an output that is any
// input of the batch, and (InvalidArgument) two jobs writing one file. Run before anything starts.
Status checkBatchPaths(const std::vector<JobSpec>& jobs);

}  // namespace fvs::core
