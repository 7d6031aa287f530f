#pragma once
// Spatial tiling of a FlashVSR output frame and the memory planner that chooses it (issue 11 §1,
// §2). Pure geometry and arithmetic, torch-free: testable without a model.
//
// Every tile is run by its own FlashVsrStream over its window of the HR-sized (bicubic) input
// frame; the windows overlap and the outputs are blended with weights that are 1 inside a tile,
// fall off with a raised cosine across the middle of each overlap and sum to exactly 1 at every
// pixel (they are multiples of 2^-12 per axis, so the products and their sums are exact in float).
// Tile sides are multiples of 128 (what the stream pads to: no padding waste), except where one
// tile spans the whole axis; tile origins lie on the 16-pixel DiT token grid, so a tile sees the
// same patches (and the same crop of the frame's latent noise) as the whole frame.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fvs/core/result.h"

namespace fvs::gpu {

inline constexpr int64_t kTileSideAlign = 128;   // DiT window 2×8×8 tokens = 128 output pixels
inline constexpr int64_t kTileOriginAlign = 16;  // VAE ×8 times the DiT patch 2
// Provisional until the seam/PSNR curve of the full-size model is measured (issue 11 §2).
inline constexpr int64_t kDefaultTileOverlap = 128;
// Blend weights per axis are multiples of 1/kBlendSteps.
inline constexpr int64_t kBlendSteps = 4096;

struct PixelRect {
    int64_t x = 0, y = 0, width = 0, height = 0;
    int64_t right() const { return x + width; }
    int64_t bottom() const { return y + height; }
    bool operator==(const PixelRect&) const = default;
};

// Tiles along one axis of `length` pixels: tile i covers [begin[i], end[i]); between tile i and
// i+1 the blend ramp covers [rampBegin[i], rampEnd[i]) (inside both, disjoint from the others).
struct AxisLayout {
    int64_t length = 0;
    std::vector<int64_t> begin, end;
    std::vector<int64_t> rampBegin, rampEnd;  // one fewer than tiles
    int64_t count() const { return static_cast<int64_t>(begin.size()); }
};

// `tile` a multiple of 128, `overlap` a multiple of 16 in [16, tile/2] (checked by makeTileGrid).
// One tile when length <= tile; otherwise the fewest tiles with at least `overlap` pixels shared
// by neighbours, spread evenly on the 16-pixel grid, the last one ending at `length`. Ramps are
// `rampWidth` wide (< 0: the overlap; 0: a hard cut in the middle of the overlap, for
// measurements).
AxisLayout layoutAxis(int64_t length, int64_t tile, int64_t overlap, int64_t rampWidth = -1);
// Weights of tile i over its own span (end[i] - begin[i] values).
std::vector<float> axisWeights(const AxisLayout& axis, int64_t i);

struct Tile {
    int64_t column = 0, row = 0;
    PixelRect output;  // window of the output frame = of the HR-sized input the stream sees
    PixelRect source;  // the source (LR) pixels that window is resampled from (bicubic support)
    int64_t paddedWidth = 0, paddedHeight = 0;  // what its stream computes (multiples of 128)
};

struct TileGrid {
    int64_t width = 0, height = 0;  // output frame
    int64_t tileWidth = 0, tileHeight = 0, overlap = 0;
    AxisLayout columns, rows;
    std::vector<Tile> tiles;  // row-major

    bool wholeFrame() const { return tiles.size() == 1; }
    // Blend weights of tile k, row-major over its output window.
    std::vector<float> weights(size_t k) const;
    // "2x2 tiles of 1024x640, overlap 128" / "whole frame".
    std::string describe() const;
};

// The tiles of a width×height output frame resampled from sourceWidth×sourceHeight pixels.
// tileWidth/tileHeight >= the frame side mean one tile on that axis; rampWidth as layoutAxis.
core::Result<TileGrid> makeTileGrid(int64_t width, int64_t height, int64_t tileWidth,
                                    int64_t tileHeight, int64_t overlap, int64_t sourceWidth = 0,
                                    int64_t sourceHeight = 0, int64_t rampWidth = -1);
// One tile: the whole frame.
TileGrid wholeFrameGrid(int64_t width, int64_t height, int64_t sourceWidth = 0,
                        int64_t sourceHeight = 0);

// Device memory of one stream at a padded size: what it keeps between chunks (KV cache,
// look-ahead frames, decoder memory) and what one chunk needs on top while it runs.
struct SessionBytes {
    int64_t persistent = 0;
    int64_t transient = 0;
};
using SessionMemoryModel = std::function<SessionBytes(int64_t paddedHeight, int64_t paddedWidth)>;

// The bytes a grid needs: every tile's stream state at once (tiles run one after another, each
// keeps its caches) plus the largest one chunk's working memory, plus the blend buffer of the
// output frames in flight (29 float frames) when there is more than one tile. `parked`: idle
// tiles keep their state in host memory (FlashVsrStream::setParking), so only the running tile's
// state and chunk are on the device.
int64_t gridBytes(const TileGrid& grid, const SessionMemoryModel& memory, bool parked = false);

// What the user asks of tiling: automatic (whole frame when it fits, else the fewest tiles that
// fit), never (whole frame or refuse), or a fixed tile size.
enum class TilingMode { Auto, Off, Fixed };

struct TilingOptions {
    TilingMode mode = TilingMode::Auto;
    int64_t tileWidth = 0, tileHeight = 0;  // TilingMode::Fixed (multiples of 128)
    int64_t overlap = kDefaultTileOverlap;  // output pixels, multiple of 16, >= 16
    int64_t memoryBudgetBytes = 0;          // the device memory the engine may use; 0: all free
    // When no grid fits with every tile's state on the device: park idle tiles' state in host
    // memory (slower: each chunk moves a tile's state over the bus twice).
    bool allowParking = true;
    bool operator==(const TilingOptions&) const = default;
};

enum class PlanKind { WholeFrame, Tiles, TooLarge };

struct TilePlan {
    PlanKind kind = PlanKind::WholeFrame;
    TileGrid grid;
    bool parked = false;         // idle tiles' state in host memory (Tiles only)
    int64_t neededBytes = 0;     // gridBytes of `grid` (of the whole frame when TooLarge)
    int64_t availableBytes = 0;  // for the sessions; 0 = no limit known (CPU without a budget)
    double margin = 0.1;         // share of availableBytes kept free
    // "whole frame, needs about 3.1 GiB of 20.0 GiB" / "2x2 tiles of ..., needs ..."
    std::string summary() const;
};

struct PlanRequest {
    int64_t width = 0, height = 0;              // output frame
    int64_t sourceWidth = 0, sourceHeight = 0;  // for Tile::source (0: unknown)
    int64_t availableBytes = 0;                 // 0: unlimited
    TilingOptions tiling;
    double margin = 0.1;
    int64_t maxTiles = 64;
    SessionMemoryModel memory;
};

// Whole frame when it fits (or there is no limit), else the grid with the fewest tiles (then the
// fewest bytes) that fits within availableBytes·(1 − margin); else, with allowParking, the
// fewest tiles that fit with idle tiles parked; TooLarge when none does. A Fixed
// tiling is taken as given (bad sizes are InvalidArgument), Off never tiles.
core::Result<TilePlan> planTiles(const PlanRequest& request);

std::string formatGiB(int64_t bytes);  // "3.1 GiB"

}  // namespace fvs::gpu
