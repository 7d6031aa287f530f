#include "fvs/core/av_ptr.h"
#include "fvs/core/frame.h"
#include "fvs/core/result.h"
#include "fvs/core/stream_info.h"

namespace fvs::core {

const char* toString(ErrorCode code) {
    switch (code) {
        case ErrorCode::InvalidArgument:
            return "invalid argument";
        case ErrorCode::NotFound:
            return "not found";
        case ErrorCode::InvalidInput:
            return "invalid input";
        case ErrorCode::OutputExists:
            return "output exists";
        case ErrorCode::OutputIsInput:
            return "output is input";
        case ErrorCode::IoError:
            return "i/o error";
        case ErrorCode::DiskFull:
            return "disk full";
        case ErrorCode::OutOfMemory:
            return "out of memory";
        case ErrorCode::Unsupported:
            return "unsupported";
        case ErrorCode::Cancelled:
            return "cancelled";
        case ErrorCode::ModelError:
            return "model error";
        case ErrorCode::NetworkError:
            return "network error";
        case ErrorCode::Internal:
            return "internal error";
    }
    return "unknown";
}

std::string avErrorString(int errnum) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(errnum, buf, sizeof buf);
    return buf;
}

Frame Frame::ref() const {
    Frame out;
    out.index = index;
    out.ptsUs = ptsUs;
    out.device = device;  // shared, read-only
    if (av) {
        out.av = makeFrame();
        if (av_frame_ref(out.av.get(), av.get()) < 0)
            out.av.reset();
    }
    return out;
}

double StreamInfo::fps() const {
    if (avgFrameRate.num > 0 && avgFrameRate.den > 0)
        return av_q2d(avgFrameRate);
    if (realFrameRate.num > 0 && realFrameRate.den > 0)
        return av_q2d(realFrameRate);
    return 0.0;
}

}  // namespace fvs::core
