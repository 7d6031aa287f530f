#pragma once
// FlashVsrStream: one streaming session over a shared FlashVsrModel (spec §2.0). Owns the
// per-session state: DiT KV caches, LQ-projector caches, decoder memory, the look-ahead window of
// input frames and the noise generator. Frame-exact (chunk_schedule.h): every pushed frame yields
// exactly one output frame, in order; any output size (padded by replication to multiples of 128,
// cropped back). Memory is constant in the stream length. Its StreamOptions are its own: streams
// with different options (and sizes) share one model. Not thread-safe: one thread owns a stream.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/chunk_schedule.h"
#include "engine/flashvsr_model.h"
#include "engine/flashvsr_options.h"
#include "engine/overlapped_decoder.h"
#include "engine/tile_plan.h"
#include "fvs/core/result.h"
#include "model/dit_hooks.h"
#include "model/paged_kv_pool.h"

namespace fvs::gpu {

class FlashVsrStream {
public:
    explicit FlashVsrStream(std::shared_ptr<const FlashVsrModel> model, StreamOptions options = {});

    const StreamOptions& options() const { return m_options; }
    const FlashVsrModel& model() const { return *m_model; }

    // Output (HR) size of the stream. A size the device cannot hold is refused (OutOfMemory) with
    // the largest size that would fit. Resets the stream.
    core::Status configure(int64_t height, int64_t width);

    // lq: (T, 3, H, W) HR-sized bicubic LR frames in [-1,1] (any float dtype and device). Runs
    // every chunk whose inputs are complete. Throws StopRequested (then call reset()) or
    // c10::Error.
    void push(const torch::Tensor& lq, std::stop_token stop = {});
    // End of stream: pads with the last frame, runs the remaining chunks, keeps exactly the pushed
    // count of outputs (or `outputFrames` when ≥ 0: debug runs on reference-padded input).
    // A stream of zero frames produces nothing.
    void finish(std::stop_token stop = {}, int64_t outputFrames = -1);
    // Outputs ready so far: (n, 3, H, W) float32 in [-1,1] on the model device; undefined if none.
    torch::Tensor take();
    // Drops all session state (after a seek); keeps the configured size.
    void reset();

    int64_t framesPushed() const { return m_real; }
    int64_t framesEmitted() const { return m_emitted; }
    int64_t chunksRun() const { return m_nextChunk; }
    const AttentionStats& attentionStats() const { return m_stats; }
    // Counting empty/selected blocks costs a device sync per block: on for debug and tests (the
    // default), off for production runs.
    void setCollectStats(bool on) { m_collectStats = on; }

    // Parity/debug: taps (names prefixed "chunk<k>."), injected masks, and the whole-clip noise
    // (1, 16, L, H/8, W/8) of the reference instead of the seeded generator.
    void setHooks(const DitHooks* hooks) { m_hooks = hooks; }
    void setNoise(const torch::Tensor& noise) { m_externalNoise = noise; }
    // Tiling (tiled_stream.h): the noise of latent frames [begin, end) comes from `source`,
    // (1, 16, end - begin, Hp/8, Wp/8) — the tile's crop of the whole frame's noise.
    using NoiseSource = std::function<torch::Tensor(int64_t latentBegin, int64_t latentEnd)>;
    void setNoiseSource(NoiseSource source) { m_noiseSource = std::move(source); }

    // Parking (tiling with TilePlan::parked): between chunks the session's state — the K/V pool
    // and caches, the projector's and decoder's memory, the look-ahead input frames — lives in
    // host memory (pinned when the model is on CUDA) and returns to the device for each chunk, so
    // a grid of tiles needs the device memory of one tile. The decoder then runs inline (no
    // side-stream overlap). Outputs are bit-identical: the state is only copied. Kept by reset().
    void setParking(bool on);
    bool parking() const { return m_parking; }
    // Bytes of session state in host memory now (0 unless parked between chunks).
    int64_t parkedBytes() const;

    // Rough peak device bytes of a session at this padded size (weights excluded).
    // `attentionScratch`: the attention's working memory (the CUDA gather budget);
    // `decoderOverlap`: two chunks' decoder work in flight (CUDA side stream).
    static int64_t estimateSessionBytes(const WanConfig& config, int64_t paddedHeight,
                                        int64_t paddedWidth, torch::Dtype dtype, int64_t kvGroups,
                                        int64_t attentionScratch = 3 * (256LL << 20),
                                        bool decoderOverlap = false);
    // The same estimate split into what a session keeps between chunks and what a chunk needs
    // while it runs (the tiling planner adds up the first over tiles, the second once).
    static SessionBytes estimateSessionMemory(const WanConfig& config, int64_t paddedHeight,
                                              int64_t paddedWidth, torch::Dtype dtype,
                                              int64_t kvGroups,
                                              int64_t attentionScratch = 3 * (256LL << 20),
                                              bool decoderOverlap = false);

private:
    class ChunkTimer;
    void appendFrame(const torch::Tensor& frame);  // (3, H, W)
    // One chunk: the DiT step, then decode + colour fix through m_decoder.
    void runChunk(int64_t k, std::stop_token stop);
    // LQ projector + noise + one DiT evaluation: the chunk's clean latents z0 (1, 16, f, h, w).
    torch::Tensor ditStep(const ChunkPlan& plan, const DitHooks& hooks, ChunkTimer& timer,
                          std::stop_token stop);
    // Decoder + colour fix + crop of chunk k: (keep, 3, H, W) float32; outputs past the pushed
    // count come from tail padding and are dropped (frame-exact).
    torch::Tensor decodeChunk(int64_t k, const ChunkPlan& plan, const torch::Tensor& z0,
                              const torch::Tensor& cond, const DitHooks& hooks, ChunkTimer& timer);
    void emit(std::vector<torch::Tensor> frames);
    torch::Tensor window(int64_t begin, int64_t end) const;  // (1, 3, end-begin, Hp, Wp)
    torch::Tensor noiseFor(int64_t latentBegin, int64_t latentEnd);
    // Decoder overlap unless taps or injected masks want the plain order of operations, or the
    // stream parks its state between chunks.
    bool overlapDecoding() const;
    // Every tensor of the session's state (setParking).
    std::vector<torch::Tensor*> stateTensors();
    // Moves the state to host memory (toHost) or back to the model's device.
    void moveState(bool toHost);
    torch::Tensor parkedCopy(const torch::Tensor& t) const;  // t in host memory

    std::shared_ptr<const FlashVsrModel> m_model;
    StreamOptions m_options;
    int64_t m_height = 0, m_width = 0, m_paddedHeight = 0, m_paddedWidth = 0;
    std::deque<torch::Tensor>
        m_pending;  // padded input frames (3, Hp, Wp), absolute m_pendingBase..
    int64_t m_pendingBase = 0;
    int64_t m_real = 0;    // frames pushed by the caller
    int64_t m_total = 0;   // frames in the stream including tail padding
    int64_t m_limit = -1;  // after finish(): outputs beyond this index are padding
    int64_t m_nextChunk = 0;
    int64_t m_emitted = 0;
    std::vector<torch::Tensor> m_ready;  // (n, 3, H, W) pieces not yet taken
    std::vector<KvCache> m_caches;
    PagedKvPool m_kvPool;  // the caches' K/V on the paged attention path
    LqProjectorState m_lqState;
    TcDecoderState m_tcState;
    WanVaeDecoderState m_vaeState;
    at::Generator m_generator;
    torch::Tensor m_externalNoise;
    NoiseSource m_noiseSource;
    const DitHooks* m_hooks = nullptr;
    AttentionStats m_stats;
    bool m_collectStats = true;
    std::chrono::steady_clock::time_point m_lastChunkEnd{};
    std::unique_ptr<OverlappedDecoder> m_decoder;  // made at configure()/reset()
    bool m_parking = false;
    bool m_parked = false;  // the state is in host memory now
};

}  // namespace fvs::gpu
