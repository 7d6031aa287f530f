#pragma once
// Frame: one decoded or processed picture. It wraps a reference-counted AVFrame, so passing a
// Frame between threads or into a GPU engine never copies pixels; hardware frames (AV_PIX_FMT_CUDA)
// keep their planes in device memory and an engine can wrap them with torch::from_blob.

#include <cstdint>
#include <memory>

#include "fvs/core/av_ptr.h"
#include "fvs/core/device_image.h"

namespace fvs::core {

struct Frame {
    AvFramePtr av;       // owns one reference; av->pts is in the source stream's time base
    int64_t index = -1;  // 0-based index of the source frame this picture belongs to
    int64_t ptsUs = 0;   // presentation time in microseconds (for display and progress)
    // Set instead of `av` by an engine asked for device output
    // (FrameProcessor::enableDeviceOutput): the pixels stay on the GPU. Only preview paths ask for
    // it; export frames always carry `av`.
    std::shared_ptr<const DeviceImage> device;

    bool valid() const { return av != nullptr; }
    bool onDevice() const { return av == nullptr && device != nullptr; }
    int width() const { return av ? av->width : (device ? device->width : 0); }
    int height() const { return av ? av->height : (device ? device->height : 0); }
    AVPixelFormat format() const {
        return av ? static_cast<AVPixelFormat>(av->format) : AV_PIX_FMT_NONE;
    }

    // A new Frame sharing the same buffers (av_frame_ref).
    Frame ref() const;
};

}  // namespace fvs::core
