#pragma once
// The files of a segmented (resumable) export inside its work folder: which container a segment
// is written in, what a segment is named, how a recorded segment is checked before it is trusted
// again, and how the folder is emptied without touching anything that is not ours.
// Thread contract: free functions, no shared state.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "fvs/core/job_queue.h"
#include "fvs/core/result.h"

namespace fvs::core {

// The container segments of this encoder are written in: "mov" (exact time base, explicit dts
// for B-frame streams: H.264, HEVC, ProRes), "mp4" for AV1 (mov refuses it), "nut" for FFV1
// (exact, intra only; mov/mp4 refuse it).
std::string segmentContainerFor(const std::string& codec);
// The file name of segment `number` (segment_000003.mov).
std::string segmentFileName(int64_t number, const std::string& container);
// True for a plain file name this module may create inside a work folder (segments, their
// .part, kept frames, the joined output before its rename, the images of image segments).
bool isWorkFileName(const std::string& name);

// Image sequences (png, tiff) are segmented too: a segment is a set of images in the work folder,
// recorded under its pattern (segment_000003_%06d.png) with the images' total size and one
// checksum over all of them; the join links (or copies) them to their numbered output names.
bool writesImages(const std::string& codec);
std::string imageSegmentPattern(int64_t number, const std::string& codec);
bool isImageSegmentPattern(const std::string& file);
// The images of an image segment, in order (segment_000003_000001.png, ...).
std::vector<std::filesystem::path> imageSegmentFiles(const std::filesystem::path& workDir,
                                                     const SegmentRecord& segment);
// Puts the images of the segments under the output pattern's numbered names (frame k of the
// range gets number k + 1, as an unsegmented sequence): every name is checked first (an existing
// file that is not the same image is an OutputExists error unless `overwrite`), then
// `beforeFirstImage` runs (the caller records that the join began), then each image is hard
// linked into place (copied where links are not possible) and the folder fsynced. An image already
// in place from an earlier, killed join is kept. A stop gives ErrorCode::Cancelled between two
// images (those in place stay: a resumed join keeps them).
Status joinImageSegments(const std::filesystem::path& workDir,
                         const std::vector<SegmentRecord>& segments,
                         const std::filesystem::path& outputPattern, bool overwrite,
                         const std::function<Status()>& beforeFirstImage,
                         const std::function<void(int64_t)>& onProgress, std::stop_token stop = {});

// Checks a recorded segment against its file: it exists, has the recorded size and checksum
// (when recorded) and holds exactly frameCount video packets. The error says what is wrong.
Status verifySegment(const std::filesystem::path& workDir, const SegmentRecord& segment);
// The leading records that verify and follow each other without a gap from frame 0; everything
// from the first bad one on is dropped (with a warning naming it) and will be rendered again.
std::vector<SegmentRecord> usableSegments(const std::filesystem::path& workDir,
                                          const std::vector<SegmentRecord>& segments,
                                          const std::function<void(const std::string&)>& warn);

// Removes the work files of a segmented export from `workDir` (only names isWorkFileName
// accepts, never a folder or a link target) and then the folder itself when it is empty.
void removeWorkFiles(const std::filesystem::path& workDir);

}  // namespace fvs::core
