#include "model/rope.h"

namespace fvs::gpu {
namespace {

constexpr double kTheta = 10000.0;

// (count, dim/2) complex128 phases exp(i * p * theta^(-2j/dim)) for p = start .. start+count-1.
torch::Tensor axisPhases(int64_t dim, int64_t start, int64_t count, const torch::Device& device) {
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(device);
    // Same expression as the reference: 1 / theta^(arange(0, dim, 2)[:dim/2] / dim).
    auto exponents = torch::arange(0, dim, 2, f64).slice(0, 0, dim / 2) / static_cast<double>(dim);
    auto inv = 1.0 / torch::pow(kTheta, exponents);             // (dim/2)
    auto positions = torch::arange(start, start + count, f64);  // (count)
    auto angles = torch::outer(positions, inv);                 // (count, dim/2)
    return torch::polar(torch::ones_like(angles), angles);
}

}  // namespace

torch::Tensor ropePhases(int64_t headDim, int64_t t0, int64_t f, int64_t h, int64_t w,
                         const torch::Device& device) {
    TORCH_CHECK(headDim % 2 == 0 && headDim >= 6, "ropePhases: head_dim must be even, got ",
                headDim);
    TORCH_CHECK(t0 >= 0 && f > 0 && h > 0 && w > 0, "ropePhases: bad grid t0=", t0, " f=", f,
                " h=", h, " w=", w);
    const int64_t hwDim = headDim / 3;          // 42 at 128
    const int64_t tDim = headDim - 2 * hwDim;   // 44 at 128
    auto pt = axisPhases(tDim, t0, f, device);  // (f, tDim/2)
    auto ph = axisPhases(hwDim, 0, h, device);  // (h, hwDim/2)
    auto pw = axisPhases(hwDim, 0, w, device);  // (w, hwDim/2)
    auto grid = torch::cat(
        {pt.view({f, 1, 1, -1}).expand({f, h, w, -1}), ph.view({1, h, 1, -1}).expand({f, h, w, -1}),
         pw.view({1, 1, w, -1}).expand({f, h, w, -1})},
        -1);                                  // (f, h, w, headDim/2)
    return grid.reshape({f * h * w, 1, -1});  // (f*h*w, 1, headDim/2)
}

torch::Tensor applyRope(const torch::Tensor& x, const torch::Tensor& phases, int64_t numHeads) {
    TORCH_CHECK(x.dim() == 3 && x.size(0) == 1, "applyRope: x must be (1, L, D), got ", x.sizes());
    const int64_t length = x.size(1);
    TORCH_CHECK(phases.size(0) == length, "applyRope: ", phases.size(0), " phases for ", length,
                " tokens");
    // The reference rotates in float64. For bf16/fp16 activations float32 is used instead: its
    // rounding (~1e-7) is far below the bf16 step (~4e-3) the result is cast to, and it halves
    // the memory traffic of the block's largest element-wise step. fp32 runs stay in float64.
    const bool half = x.scalar_type() == torch::kBFloat16 || x.scalar_type() == torch::kHalf;
    const auto work = half ? torch::kFloat32 : torch::kFloat64;
    auto pairs = x.to(work).reshape({length, numHeads, -1, 2});  // (L, heads, hd/2, 2)
    auto rotated = torch::view_as_complex(pairs) *
                   (half ? phases.to(torch::kComplexFloat) : phases);  // (L, heads, hd/2)
    return torch::view_as_real(rotated).flatten(1).unsqueeze(0).to(x.scalar_type());  // (1, L, D)
}

}  // namespace fvs::gpu
