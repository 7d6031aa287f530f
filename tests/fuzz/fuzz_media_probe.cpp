// libFuzzer target: opening and probing a media file (core MediaSource::open, the `flashvsr probe`
// JSON) and decoding its first frames, on arbitrary bytes held in a memfd.
#include <cstdint>

extern "C" {
#include <libavutil/log.h>
}

#include "fuzz_file.h"
#include "fvs/core/media_source.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    av_log_set_level(AV_LOG_QUIET);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static fvs::fuzz::MemoryFile file("fuzz.media");
    file.assign(data, size);
    fvs::core::SourceOptions options;
    options.decoderThreads = 1;
    options.onWarning = [](const std::string&) {};
    auto source = fvs::core::MediaSource::open(file.path(), options);
    if (!source)
        return 0;
    fvs::core::MediaSource& src = *source.value();
    (void)fvs::core::toJson(src.info());
    for (int i = 0; i < 3; ++i) {
        auto frame = src.read();
        if (!frame || !frame.value())
            break;
    }
    if (src.info().frameCount > 1 && src.seekToFrame(1))
        (void)src.read();
    return 0;
}
