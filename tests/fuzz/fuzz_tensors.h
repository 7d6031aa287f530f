#pragma once
// Reads the first and the last byte every tensor view reaches, from instrumented code: LibTorch is
// not built with AddressSanitizer, so a view past its storage is caught here or not at all.

#include <cstdint>

#include <torch/torch.h>

namespace fvs::fuzz {

inline void touchTensor(const torch::Tensor& t) {
    if (!t.defined() || t.numel() == 0)
        return;
    int64_t lastElement = 0;  // element offset of the farthest element from data_ptr()
    for (int64_t d = 0; d < t.dim(); ++d) {
        if (t.stride(d) < 0)
            __builtin_trap();  // the readers never make negative strides
        lastElement += (t.size(d) - 1) * t.stride(d);
    }
    const auto* base = static_cast<const volatile uint8_t*>(t.data_ptr());
    const int64_t itemSize = static_cast<int64_t>(t.element_size());
    [[maybe_unused]] uint8_t sink = base[0];
    sink = base[lastElement * itemSize + itemSize - 1];
}

}  // namespace fvs::fuzz
