#include "engine/tile_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <tuple>

namespace fvs::gpu {
namespace {

constexpr int64_t kBlendFrames = 29;  // chunk 0's 21 outputs + one chunk of 8 in flight

int64_t alignUp(int64_t v, int64_t a) {
    return (v + a - 1) / a * a;
}

core::Error invalid(const std::string& what) {
    return core::makeError(core::ErrorCode::InvalidArgument, what);
}

// Tiles layoutAxis() makes for length > tile.
int64_t axisCount(int64_t length, int64_t tile, int64_t overlap) {
    if (length <= tile) {
        return 1;
    }
    const int64_t span = (length - tile + kTileOriginAlign - 1) / kTileOriginAlign;  // last origin
    const int64_t step = (tile - overlap) / kTileOriginAlign;                        // most allowed
    return 1 + (span + step - 1) / step;
}

// The rising weight of the tile after ramp j at pixel x, in steps of 1/kBlendSteps.
int64_t riseSteps(const AxisLayout& a, int64_t j, int64_t x) {
    const double width = static_cast<double>(a.rampEnd[j] - a.rampBegin[j]);
    const double t = (static_cast<double>(x - a.rampBegin[j]) + 0.5) / width;  // (0, 1)
    const double rise = 0.5 - 0.5 * std::cos(std::numbers::pi * t);
    return std::clamp<int64_t>(std::llround(rise * kBlendSteps), 0, kBlendSteps);
}

PixelRect sourceWindow(const PixelRect& out, int64_t width, int64_t height, int64_t srcW,
                       int64_t srcH) {
    if (srcW <= 0 || srcH <= 0) {
        return {};
    }
    auto span = [](int64_t a, int64_t b, int64_t outLen, int64_t srcLen) {
        const double s = static_cast<double>(srcLen) / static_cast<double>(outLen);
        // Bicubic support: 2 source pixels each side, 2/scale when shrinking.
        const int64_t margin = static_cast<int64_t>(std::ceil(2.0 * std::max(1.0, s)));
        const int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(a * s)) - margin);
        const int64_t hi =
            std::min<int64_t>(srcLen, static_cast<int64_t>(std::ceil(b * s)) + margin);
        return std::pair{lo, hi};
    };
    const auto [x0, x1] = span(out.x, out.right(), width, srcW);
    const auto [y0, y1] = span(out.y, out.bottom(), height, srcH);
    return {x0, y0, x1 - x0, y1 - y0};
}

TileGrid gridFrom(int64_t width, int64_t height, int64_t tileWidth, int64_t tileHeight,
                  int64_t overlap, int64_t srcW, int64_t srcH, int64_t rampWidth = -1) {
    TileGrid g;
    g.width = width;
    g.height = height;
    g.overlap = overlap;
    g.columns = layoutAxis(width, tileWidth, overlap, rampWidth);
    g.rows = layoutAxis(height, tileHeight, overlap, rampWidth);
    g.tileWidth = std::min(tileWidth, width);
    g.tileHeight = std::min(tileHeight, height);
    for (int64_t r = 0; r < g.rows.count(); ++r) {
        for (int64_t c = 0; c < g.columns.count(); ++c) {
            Tile t;
            t.column = c;
            t.row = r;
            t.output = {g.columns.begin[c], g.rows.begin[r], g.columns.end[c] - g.columns.begin[c],
                        g.rows.end[r] - g.rows.begin[r]};
            t.source = sourceWindow(t.output, width, height, srcW, srcH);
            t.paddedWidth = alignUp(t.output.width, kTileSideAlign);
            t.paddedHeight = alignUp(t.output.height, kTileSideAlign);
            g.tiles.push_back(t);
        }
    }
    return g;
}

// The smallest tile side (a multiple of 128, at least twice the overlap) that covers `length`
// with at most `count` tiles; 0 when there is none smaller than the length.
int64_t smallestTile(int64_t length, int64_t count, int64_t overlap) {
    if (count == 1) {
        return length;
    }
    for (int64_t t = alignUp(std::max(kTileSideAlign, 2 * overlap), kTileSideAlign); t < length;
         t += kTileSideAlign) {
        if (axisCount(length, t, overlap) <= count) {
            return t;
        }
    }
    return 0;
}

}  // namespace

AxisLayout layoutAxis(int64_t length, int64_t tile, int64_t overlap, int64_t rampWidth) {
    AxisLayout a;
    a.length = length;
    if (length <= tile) {
        a.begin = {0};
        a.end = {length};
        return a;
    }
    const int64_t span = (length - tile + kTileOriginAlign - 1) / kTileOriginAlign;
    const int64_t gaps = axisCount(length, tile, overlap) - 1;
    for (int64_t i = 0; i <= gaps; ++i) {
        // Evenly spread, rounded to the grid: neighbours stay at most `tile - overlap` apart.
        const int64_t origin = (2 * i * span + gaps) / (2 * gaps) * kTileOriginAlign;
        a.begin.push_back(origin);
        a.end.push_back(std::min(origin + tile, length));
    }
    // Each ramp is centred in its overlap, at most `overlap` wide and clear of its neighbours'.
    std::vector<int64_t> centre(static_cast<size_t>(gaps)), half(static_cast<size_t>(gaps));
    for (int64_t i = 0; i < gaps; ++i) {
        centre[i] = (a.begin[i + 1] + a.end[i]) / 2;
        half[i] =
            std::min((rampWidth < 0 ? overlap : rampWidth) / 2, (a.end[i] - a.begin[i + 1]) / 2);
    }
    for (int64_t i = 0; i < gaps; ++i) {
        if (i > 0) {
            half[i] = std::min(half[i], (centre[i] - centre[i - 1]) / 2);
        }
        if (i + 1 < gaps) {
            half[i] = std::min(half[i], (centre[i + 1] - centre[i]) / 2);
        }
        a.rampBegin.push_back(centre[i] - half[i]);
        a.rampEnd.push_back(centre[i] + half[i]);
    }
    return a;
}

std::vector<float> axisWeights(const AxisLayout& a, int64_t i) {
    std::vector<float> w;
    w.reserve(static_cast<size_t>(a.end[i] - a.begin[i]));
    const int64_t last = a.count() - 1;
    for (int64_t x = a.begin[i]; x < a.end[i]; ++x) {
        int64_t steps = kBlendSteps;
        if (i > 0 && x < a.rampEnd[i - 1]) {
            steps = x < a.rampBegin[i - 1] ? 0 : riseSteps(a, i - 1, x);
        } else if (i < last && x >= a.rampBegin[i]) {
            steps = x >= a.rampEnd[i] ? 0 : kBlendSteps - riseSteps(a, i, x);
        }
        w.push_back(static_cast<float>(steps) / static_cast<float>(kBlendSteps));  // exact
    }
    return w;
}

std::vector<float> TileGrid::weights(size_t k) const {
    const Tile& t = tiles.at(k);
    const auto wx = axisWeights(columns, t.column);
    const auto wy = axisWeights(rows, t.row);
    std::vector<float> w;
    w.reserve(wx.size() * wy.size());
    for (float y : wy) {
        for (float x : wx) {
            w.push_back(y * x);  // a multiple of 2^-24 in [0, 1]: exact
        }
    }
    return w;
}

std::string TileGrid::describe() const {
    if (wholeFrame()) {
        return "whole frame";
    }
    return std::to_string(columns.count()) + "x" + std::to_string(rows.count()) + " tiles of " +
           std::to_string(tileWidth) + "x" + std::to_string(tileHeight) + ", overlap " +
           std::to_string(overlap);
}

core::Result<TileGrid> makeTileGrid(int64_t width, int64_t height, int64_t tileWidth,
                                    int64_t tileHeight, int64_t overlap, int64_t sourceWidth,
                                    int64_t sourceHeight, int64_t rampWidth) {
    if (width <= 0 || height <= 0) {
        return invalid("tiling needs a frame size, got " + std::to_string(width) + "x" +
                       std::to_string(height));
    }
    if (overlap < kTileOriginAlign || overlap % kTileOriginAlign != 0) {
        return invalid("tile overlap must be a multiple of 16 of at least 16 pixels, got " +
                       std::to_string(overlap));
    }
    for (const auto& [side, length] :
         {std::pair{tileWidth, width}, std::pair{tileHeight, height}}) {
        if (side >= length) {
            continue;  // one tile spans this axis
        }
        if (side <= 0 || side % kTileSideAlign != 0 || side < 2 * overlap) {
            return invalid("tile sides must be multiples of 128 and at least twice the overlap (" +
                           std::to_string(overlap) + "), got " + std::to_string(tileWidth) + "x" +
                           std::to_string(tileHeight));
        }
    }
    return gridFrom(width, height, tileWidth, tileHeight, overlap, sourceWidth, sourceHeight,
                    rampWidth);
}

TileGrid wholeFrameGrid(int64_t width, int64_t height, int64_t sourceWidth, int64_t sourceHeight) {
    return gridFrom(width, height, width, height, kDefaultTileOverlap, sourceWidth, sourceHeight);
}

int64_t gridBytes(const TileGrid& grid, const SessionMemoryModel& memory, bool parked) {
    int64_t persistent = 0, transient = 0;
    for (const Tile& t : grid.tiles) {
        const SessionBytes s = memory(t.paddedHeight, t.paddedWidth);
        persistent = parked ? std::max(persistent, s.persistent) : persistent + s.persistent;
        transient = std::max(transient, s.transient);
    }
    const int64_t blend = grid.wholeFrame() ? 0 : kBlendFrames * 3 * grid.width * grid.height * 4;
    return persistent + transient + blend;
}

std::string formatGiB(int64_t bytes) {
    char text[32];
    const double b = static_cast<double>(bytes);
    if (bytes >= (1LL << 30)) {
        std::snprintf(text, sizeof text, "%.1f GiB", b / (1LL << 30));
    } else {
        std::snprintf(text, sizeof text, "%.1f MiB", b / (1LL << 20));
    }
    return text;
}

std::string TilePlan::summary() const {
    const std::string limit = availableBytes > 0 ? formatGiB(availableBytes) + " available"
                                                 : std::string("no memory limit");
    switch (kind) {
        case PlanKind::WholeFrame:
            return "whole frame, needs about " + formatGiB(neededBytes) + " (" + limit + ")";
        case PlanKind::Tiles:
            return grid.describe() + (parked ? ", idle tiles parked in host memory" : "") +
                   ", needs about " + formatGiB(neededBytes) + " (" + limit + ")";
        case PlanKind::TooLarge:
            break;
    }
    return "does not fit: needs about " + formatGiB(neededBytes) + " even as " + grid.describe() +
           " (" + limit + ")";
}

core::Result<TilePlan> planTiles(const PlanRequest& r) {
    if (!r.memory) {
        return invalid("planTiles needs a memory model");
    }
    TilePlan plan;
    plan.availableBytes = std::max<int64_t>(0, r.availableBytes);
    plan.margin = r.margin;
    const double limit = static_cast<double>(plan.availableBytes) * (1.0 - r.margin);
    auto fits = [&](int64_t bytes) {
        return plan.availableBytes == 0 || static_cast<double>(bytes) <= limit;
    };
    auto take = [&](TileGrid grid, bool parked = false) {
        parked = parked && !grid.wholeFrame();
        plan.neededBytes = gridBytes(grid, r.memory, parked);
        plan.parked = parked;
        plan.kind = !fits(plan.neededBytes) ? PlanKind::TooLarge
                    : grid.wholeFrame()     ? PlanKind::WholeFrame
                                            : PlanKind::Tiles;
        plan.grid = std::move(grid);
        return plan;
    };
    if (r.tiling.mode == TilingMode::Fixed) {
        auto grid = makeTileGrid(r.width, r.height, r.tiling.tileWidth, r.tiling.tileHeight,
                                 r.tiling.overlap, r.sourceWidth, r.sourceHeight);
        if (!grid) {
            return grid.error();
        }
        take(*grid);
        if (plan.kind == PlanKind::TooLarge && r.tiling.allowParking && !grid->wholeFrame()) {
            take(std::move(*grid), true);
        }
        return plan;
    }
    if (r.width <= 0 || r.height <= 0) {
        return invalid("planning needs a frame size, got " + std::to_string(r.width) + "x" +
                       std::to_string(r.height));
    }
    take(wholeFrameGrid(r.width, r.height, r.sourceWidth, r.sourceHeight));
    if (plan.kind == PlanKind::WholeFrame || r.tiling.mode == TilingMode::Off) {
        return plan;
    }
    // Fewest tiles first, then the fewest bytes: more tiles cost more (the overlaps are computed
    // twice and every stream keeps its own caches), so the smallest tiling that fits is the best.
    std::vector<std::tuple<size_t, int64_t, TileGrid>> candidates;
    for (int64_t cols = 1; cols <= r.maxTiles; ++cols) {
        for (int64_t rows = 1; cols * rows <= r.maxTiles; ++rows) {
            if (cols * rows == 1) {
                continue;
            }
            const int64_t tw = smallestTile(r.width, cols, r.tiling.overlap);
            const int64_t th = smallestTile(r.height, rows, r.tiling.overlap);
            if (tw == 0 || th == 0) {
                continue;
            }
            auto grid = makeTileGrid(r.width, r.height, tw, th, r.tiling.overlap, r.sourceWidth,
                                     r.sourceHeight);
            if (!grid) {
                return grid.error();  // the overlap itself is bad
            }
            if (grid->wholeFrame() || static_cast<int64_t>(grid->tiles.size()) != cols * rows) {
                continue;  // another (cols, rows) makes this grid
            }
            const int64_t bytes = gridBytes(*grid, r.memory);
            candidates.emplace_back(grid->tiles.size(), bytes, std::move(*grid));
        }
    }
    std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
    });
    const auto* smallest = candidates.empty() ? nullptr : &candidates.front();
    for (const auto& c : candidates) {
        if (fits(std::get<1>(c))) {
            return take(std::get<2>(c));
        }
        if (std::get<1>(c) < std::get<1>(*smallest)) {
            smallest = &c;
        }
    }
    if (r.tiling.allowParking) {
        // Parked: the fewest tiles whose largest one fits (the grids are in tile-count order).
        const TileGrid* leastParked = nullptr;
        int64_t leastParkedBytes = 0;
        for (const auto& c : candidates) {
            const int64_t bytes = gridBytes(std::get<2>(c), r.memory, true);
            if (fits(bytes)) {
                return take(std::get<2>(c), true);
            }
            if (leastParked == nullptr || bytes < leastParkedBytes) {
                leastParked = &std::get<2>(c);
                leastParkedBytes = bytes;
            }
        }
        if (leastParked != nullptr && leastParkedBytes < plan.neededBytes) {
            take(*leastParked, true);  // TooLarge, but names the least the frame could need
            return plan;
        }
    }
    if (smallest != nullptr && std::get<1>(*smallest) < plan.neededBytes) {
        take(std::get<2>(*smallest));  // TooLarge, but names the least the frame could need
    }
    return plan;
}

}  // namespace fvs::gpu
