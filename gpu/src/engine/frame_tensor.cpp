#include "engine/frame_tensor.h"

#include <cstring>

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace fvs::gpu {

core::Result<torch::Tensor> frameToUnitTensor(const core::Frame& frame,
                                              const torch::Device& device) {
    if (!frame.valid()) {
        return core::makeError(core::ErrorCode::InvalidArgument, "FlashVSR: empty frame");
    }
    const AVFrame* av = frame.av.get();
    const int64_t h = av->height, w = av->width;
    if (av->format == AV_PIX_FMT_RGB24) {
        auto rows =
            torch::from_blob(av->data[0], {h, w, 3}, {av->linesize[0], 3, 1}, torch::kUInt8);
        auto codes = rows.contiguous().to(device);  // (H, W, 3) uint8, copied before `av` goes
        return codes.to(torch::kFloat32).permute({2, 0, 1}).contiguous() / 255.0 * 2.0 -
               1.0;  // (3,H,W)
    }
    if (av->format == AV_PIX_FMT_RGB48) {
        // Read as int16 (same bits) and undo the sign: uint16 has few kernels in LibTorch.
        auto rows =
            torch::from_blob(av->data[0], {h, w, 3}, {av->linesize[0] / 2, 3, 1}, torch::kInt16);
        auto u = rows.contiguous()
                     .to(device)
                     .to(torch::kInt32)
                     .bitwise_and(0xFFFF)
                     .to(torch::kFloat32);                               // (H, W, 3)
        return u.permute({2, 0, 1}).contiguous() / 65535.0 * 2.0 - 1.0;  // (3, H, W)
    }
    return core::makeError(core::ErrorCode::Unsupported,
                           std::string("FlashVSR: frames must be RGB24 or RGB48, got ") +
                               (av_get_pix_fmt_name(static_cast<AVPixelFormat>(av->format))
                                    ? av_get_pix_fmt_name(static_cast<AVPixelFormat>(av->format))
                                    : "unknown"));
}

core::Result<core::AvFramePtr> unitTensorToFrame(const torch::Tensor& image, AVPixelFormat format) {
    TORCH_CHECK(image.dim() == 3 && image.size(0) == 3, "unitTensorToFrame: expected (3,H,W), got ",
                image.sizes());
    const int64_t h = image.size(1), w = image.size(2);
    auto av = core::makeFrame();
    if (!av) {
        return core::makeError(core::ErrorCode::OutOfMemory, "cannot allocate an output frame");
    }
    av->format = format;
    av->width = static_cast<int>(w);
    av->height = static_cast<int>(h);
    if (av_frame_get_buffer(av.get(), 0) < 0) {
        return core::makeError(core::ErrorCode::OutOfMemory, "cannot allocate an output frame");
    }
    const double maxCode = format == AV_PIX_FMT_RGB48 ? 65535.0 : 255.0;
    auto codes = ((image.to(torch::kFloat32) + 1.0) * (maxCode / 2.0))
                     .round()
                     .clamp(0.0, maxCode)
                     .permute({1, 2, 0});  // (H, W, 3) on the image's device
    if (format == AV_PIX_FMT_RGB48) {
        // same low 16 bits; only the integer codes cross to the host
        auto packed = codes.to(torch::kInt32).to(torch::kInt16).contiguous().to(torch::kCPU);
        for (int64_t y = 0; y < h; ++y) {
            std::memcpy(av->data[0] + y * av->linesize[0], packed[y].data_ptr(), w * 6);
        }
    } else if (format == AV_PIX_FMT_RGB24) {
        auto packed = codes.to(torch::kUInt8).contiguous().to(torch::kCPU);  // (H, W, 3)
        for (int64_t y = 0; y < h; ++y) {
            std::memcpy(av->data[0] + y * av->linesize[0], packed[y].data_ptr(), w * 3);
        }
    } else {
        return core::makeError(core::ErrorCode::Unsupported,
                               "FlashVSR outputs RGB24 or RGB48 only");
    }
    return av;
}

torch::Tensor unitTensorToRgba(const torch::Tensor& image) {
    TORCH_CHECK(image.dim() == 3 && image.size(0) == 3, "unitTensorToRgba: expected (3,H,W), got ",
                image.sizes());
    auto rgb = ((image.to(torch::kFloat32) + 1.0) * 127.5)
                   .round()
                   .clamp(0.0, 255.0)
                   .to(torch::kUInt8);  // (3, H, W)
    auto alpha = torch::full({1, image.size(1), image.size(2)}, 255, rgb.options());
    return torch::cat({rgb, alpha}, 0).permute({1, 2, 0}).contiguous();  // (H, W, 4)
}

}  // namespace fvs::gpu
