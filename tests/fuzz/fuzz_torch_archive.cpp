// libFuzzer target: torch.save zip archives (gpu/src/io/torch_archive.cpp) on arbitrary bytes: the
// zip directory (LibTorch's PyTorchStreamReader), the storages and the pickle inside.
#include <cstdint>

#include "fuzz_file.h"
#include "fuzz_tensors.h"
#include "io/tensor_io.h"

namespace {

bool load(const std::string& path, bool memoryMap) {
    fvs::gpu::ReadOptions options;
    options.memoryMap = memoryMap;
    options.prefetch = false;
    auto tensors = fvs::gpu::readTorchArchive(path, options);
    if (!tensors)
        return false;
    for (const auto& [key, t] : *tensors)
        fvs::fuzz::touchTensor(t);
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static fvs::fuzz::MemoryFile file("fuzz.pth");
    file.assign(data, size);
    if (load(file.path(), true))
        load(file.path(), false);  // the copying path, once the archive is known to be readable
    return 0;
}
