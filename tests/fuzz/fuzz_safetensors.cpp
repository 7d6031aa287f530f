// libFuzzer target: the safetensors reader (gpu/src/io/safetensors_file.cpp) on arbitrary bytes.
// Every input must give a value or a ModelError; a header that validates must load with both the
// mapped and the read() path, with the tensors the header describes.
#include <cstdint>

#include "fuzz_file.h"
#include "fuzz_tensors.h"
#include "io/tensor_io.h"

namespace {

void checkLoad(const std::string& path,
               const std::map<std::string, fvs::gpu::TensorHeaderEntry>& header, bool memoryMap) {
    fvs::gpu::ReadOptions options;
    options.memoryMap = memoryMap;
    options.prefetch = false;
    auto tensors = fvs::gpu::readSafeTensors(path, options);
    if (!tensors)
        return;  // BOOL data with other bytes than 0/1 is refused only when the data is read
    if (tensors->size() != header.size())
        __builtin_trap();
    for (const auto& [key, t] : *tensors) {
        const auto it = header.find(key);
        if (it == header.end() || t.sizes().vec() != it->second.shape)
            __builtin_trap();
        fvs::fuzz::touchTensor(t);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static fvs::fuzz::MemoryFile file("fuzz.safetensors");
    file.assign(data, size);
    auto header = fvs::gpu::readSafeTensorsHeader(file.path());
    if (!header)
        return 0;
    checkLoad(file.path(), *header, true);
    checkLoad(file.path(), *header, false);
    return 0;
}
