#pragma once
// TiledStream: one output stream made of a TileGrid's tiles (issue 11 §2). Each tile runs its own
// FlashVsrStream (own KV caches, projector and decoder state) over its window of the HR-sized
// input; the tiles' outputs are blended with the grid's weights into whole frames. Frame-exact
// like FlashVsrStream: every pushed frame yields one output frame, in order. Tiles run one after
// another, frame by frame, so their chunks interleave (tile 0 chunk k, tile 1 chunk k, ...); they
// are not batched. The tiles' noise is their crop of one whole-frame noise field drawn from the
// seed in chunk order, so a one-tile grid gives exactly the whole-frame stream's output and
// neighbours see the same noise in their overlap. Not thread-safe: one thread owns it.

#include <cstdint>
#include <deque>
#include <memory>
#include <stop_token>
#include <vector>

#include <torch/torch.h>

#include "engine/flashvsr_model.h"
#include "engine/flashvsr_options.h"
#include "engine/flashvsr_stream.h"
#include "engine/tile_plan.h"
#include "fvs/core/result.h"

namespace fvs::gpu {

class TiledStream {
public:
    TiledStream(std::shared_ptr<const FlashVsrModel> model, StreamOptions options);
    ~TiledStream();

    const StreamOptions& options() const { return m_options; }
    const TileGrid& grid() const { return m_grid; }

    // Makes one stream per tile (each configure()d: a tile the device cannot hold is refused).
    // `parkIdleTiles` (TilePlan::parked): each tile's state waits in host memory while the other
    // tiles run (FlashVsrStream::setParking); ignored for a one-tile grid.
    core::Status configure(const TileGrid& grid, bool parkIdleTiles = false);
    bool parksIdleTiles() const { return m_park; }
    int64_t parkedBytes() const;  // the tiles' state in host memory now
    // frames: (T, 3, H, W) HR-sized, as FlashVsrStream::push. Throws StopRequested or c10::Error.
    void push(const torch::Tensor& frames, std::stop_token stop = {});
    void finish(std::stop_token stop = {});
    // Blended outputs ready so far: (n, 3, H, W) float32 on the model device; undefined if none.
    torch::Tensor take();
    void reset();
    void setCollectStats(bool on);

    int64_t framesPushed() const { return m_pushed; }
    int64_t framesEmitted() const { return m_emitted; }

private:
    class NoiseField;
    void collect(size_t tile);  // takes tile's outputs and blends them in
    void releaseComplete();

    std::shared_ptr<const FlashVsrModel> m_model;
    StreamOptions m_options;
    TileGrid m_grid;
    bool m_collectStats = true;
    bool m_park = false;
    std::vector<std::unique_ptr<FlashVsrStream>> m_tiles;
    std::vector<torch::Tensor> m_weights;  // (1, h, w) float32 per tile, on the model device
    std::vector<int64_t> m_tileFrames;     // outputs of each tile blended so far
    std::deque<torch::Tensor> m_blend;     // (3, H, W) sums of frames m_blendBase.. in flight
    int64_t m_blendBase = 0;
    std::vector<torch::Tensor> m_ready;
    std::shared_ptr<NoiseField> m_noise;
    int64_t m_pushed = 0, m_emitted = 0;
};

}  // namespace fvs::gpu
