#include "engine/tiled_stream.h"

#include <algorithm>
#include <map>

#include <ATen/CPUGeneratorImpl.h>

namespace fvs::gpu {

// The whole frame's noise, drawn like FlashVsrStream::noiseFor (CPU, float32, one generator in
// chunk order) at the whole frame's padded size; each tile reads its crop. A draw is kept until
// every tile has read it (finish() runs one tile's remaining chunks before the next tile's).
class TiledStream::NoiseField {
public:
    NoiseField(int64_t seed, int64_t channels, int64_t latentHeight, int64_t latentWidth,
               int64_t readers)
        : m_generator(at::detail::createCPUGenerator(static_cast<uint64_t>(seed))),
          m_channels(channels),
          m_height(latentHeight),
          m_width(latentWidth),
          m_readers(readers) {}

    torch::Tensor crop(int64_t begin, int64_t end, const Tile& tile) {
        auto it = m_draws.find(begin);
        if (it == m_draws.end()) {
            TORCH_CHECK(begin == m_next, "tiled noise: latents [", begin, ", ", end,
                        ") requested, next to draw is ", m_next);
            auto noise = torch::randn({1, m_channels, end - begin, m_height, m_width}, m_generator,
                                      torch::TensorOptions().dtype(torch::kFloat32));
            it = m_draws.emplace(begin, Draw{noise, m_readers}).first;
            m_next = end;
        }
        TORCH_CHECK(it->second.noise.size(2) == end - begin, "tiled noise: latents [", begin, ", ",
                    end, ") do not match the draw of ", it->second.noise.size(2), " frames");
        auto out =
            it->second.noise.slice(3, tile.output.y / 8, (tile.output.y + tile.paddedHeight) / 8)
                .slice(4, tile.output.x / 8, (tile.output.x + tile.paddedWidth) / 8)
                .contiguous();  // (1, 16, f, Hp_tile/8, Wp_tile/8)
        if (--it->second.readersLeft == 0) {
            m_draws.erase(it);
        }
        return out;
    }

private:
    struct Draw {
        torch::Tensor noise;  // (1, 16, f, Hp/8, Wp/8)
        int64_t readersLeft;
    };
    at::Generator m_generator;
    int64_t m_channels, m_height, m_width, m_readers;
    int64_t m_next = 0;
    std::map<int64_t, Draw> m_draws;  // by first latent frame
};

TiledStream::TiledStream(std::shared_ptr<const FlashVsrModel> model, StreamOptions options)
    : m_model(std::move(model)), m_options(options) {
    TORCH_CHECK(m_model != nullptr, "TiledStream needs a model");
}

TiledStream::~TiledStream() = default;

core::Status TiledStream::configure(const TileGrid& grid, bool parkIdleTiles) {
    if (grid.tiles.empty()) {
        return core::makeError(core::ErrorCode::InvalidArgument, "TiledStream: a grid of no tiles");
    }
    m_tiles.clear();
    m_weights.clear();
    m_grid = grid;
    m_park = parkIdleTiles && !grid.wholeFrame();
    const torch::Device device = m_model->options().device;
    for (size_t k = 0; k < grid.tiles.size(); ++k) {
        const Tile& tile = grid.tiles[k];
        auto stream = std::make_unique<FlashVsrStream>(m_model, m_options);
        stream->setCollectStats(m_collectStats);
        stream->setParking(m_park);
        if (auto st = stream->configure(tile.output.height, tile.output.width); !st) {
            m_tiles.clear();
            return st;
        }
        m_tiles.push_back(std::move(stream));
        if (!grid.wholeFrame()) {
            auto w = grid.weights(k);
            m_weights.push_back(torch::from_blob(w.data(),
                                                 {1, tile.output.height, tile.output.width},
                                                 torch::kFloat32)
                                    .to(device, /*non_blocking=*/false, /*copy=*/true));
        }
    }
    reset();
    return {};
}

void TiledStream::reset() {
    for (auto& t : m_tiles) {
        t->reset();
    }
    m_tileFrames.assign(m_tiles.size(), 0);
    m_blend.clear();
    m_blendBase = 0;
    m_ready.clear();
    m_pushed = m_emitted = 0;
    m_noise.reset();
    if (m_tiles.size() > 1) {
        const int64_t ph = (m_grid.height + kTileSideAlign - 1) / kTileSideAlign * kTileSideAlign;
        const int64_t pw = (m_grid.width + kTileSideAlign - 1) / kTileSideAlign * kTileSideAlign;
        m_noise =
            std::make_shared<NoiseField>(m_options.seed, m_model->dit()->config().inDim, ph / 8,
                                         pw / 8, static_cast<int64_t>(m_tiles.size()));
        for (size_t k = 0; k < m_tiles.size(); ++k) {
            const Tile tile = m_grid.tiles[k];
            m_tiles[k]->setNoiseSource([noise = m_noise, tile](int64_t begin, int64_t end) {
                return noise->crop(begin, end, tile);
            });
        }
    }
}

int64_t TiledStream::parkedBytes() const {
    int64_t bytes = 0;
    for (const auto& t : m_tiles) {
        bytes += t->parkedBytes();
    }
    return bytes;
}

void TiledStream::setCollectStats(bool on) {
    m_collectStats = on;
    for (auto& t : m_tiles) {
        t->setCollectStats(on);
    }
}

void TiledStream::push(const torch::Tensor& frames, std::stop_token stop) {
    TORCH_CHECK(!m_tiles.empty(), "TiledStream: configure() first");
    TORCH_CHECK(frames.dim() == 4 && frames.size(1) == 3 && frames.size(2) == m_grid.height &&
                    frames.size(3) == m_grid.width,
                "TiledStream: frames must be (T, 3, ", m_grid.height, ", ", m_grid.width, "), got ",
                frames.sizes());
    for (int64_t t = 0; t < frames.size(0); ++t) {
        // One frame to every tile before the next: the tiles' chunks stay in step.
        const auto frame = frames.slice(0, t, t + 1);  // (1, 3, H, W)
        for (size_t k = 0; k < m_tiles.size(); ++k) {
            const PixelRect& r = m_grid.tiles[k].output;
            m_tiles[k]->push(frame.slice(2, r.y, r.bottom()).slice(3, r.x, r.right()), stop);
            collect(k);
        }
        ++m_pushed;
    }
}

void TiledStream::finish(std::stop_token stop) {
    TORCH_CHECK(!m_tiles.empty(), "TiledStream: configure() first");
    for (size_t k = 0; k < m_tiles.size(); ++k) {
        m_tiles[k]->finish(stop);
        collect(k);
    }
    TORCH_CHECK(m_blend.empty(), "TiledStream: ", m_blend.size(), " frames not complete at finish");
}

void TiledStream::collect(size_t k) {
    auto out = m_tiles[k]->take();  // (n, 3, h, w)
    if (!out.defined()) {
        return;
    }
    if (m_grid.wholeFrame()) {
        m_emitted += out.size(0);
        m_ready.push_back(std::move(out));  // exactly the whole-frame stream's output
        return;
    }
    const PixelRect& r = m_grid.tiles[k].output;
    for (int64_t j = 0; j < out.size(0); ++j) {
        const int64_t frame = m_tileFrames[k] + j;
        while (m_blendBase + static_cast<int64_t>(m_blend.size()) <= frame) {
            m_blend.push_back(torch::zeros({3, m_grid.height, m_grid.width},
                                           out.options().dtype(torch::kFloat32)));
        }
        auto sum = m_blend[static_cast<size_t>(frame - m_blendBase)];
        sum.slice(1, r.y, r.bottom()).slice(2, r.x, r.right()).addcmul_(out[j], m_weights[k]);
    }
    m_tileFrames[k] += out.size(0);
    releaseComplete();
}

void TiledStream::releaseComplete() {
    const int64_t complete = *std::min_element(m_tileFrames.begin(), m_tileFrames.end());
    while (m_blendBase < complete && !m_blend.empty()) {
        m_ready.push_back(m_blend.front().unsqueeze(0));  // (1, 3, H, W)
        m_blend.pop_front();
        ++m_blendBase;
        ++m_emitted;
    }
}

torch::Tensor TiledStream::take() {
    if (m_ready.empty()) {
        return {};
    }
    auto out = m_ready.size() == 1 ? m_ready.front() : torch::cat(m_ready, 0);  // (n, 3, H, W)
    m_ready.clear();
    return out;
}

}  // namespace fvs::gpu
