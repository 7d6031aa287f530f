// Spatial tiling and the memory planner (issue 11 §1, §2) on the CPU: the geometry and blend
// weights, the planner's choices, and TiledStream / the processor on the reduced e2e model (fp32).

#include <QtTest>

#include <cmath>

extern "C" {
#include <libavutil/frame.h>
}

#include "engine/compute_executor.h"
#include "engine/flashvsr_model.h"
#include "engine/flashvsr_processor.h"
#include "engine/flashvsr_stream.h"
#include "engine/memory_plan.h"
#include "engine/tile_plan.h"
#include "engine/tiled_stream.h"
#include "model/wan_attention.h"
#include "stream_test_util.h"

using namespace fvs::gpu;
using fvs::test::randomFrames;
namespace core = fvs::core;

namespace {

template <typename Stream>
torch::Tensor runAll(Stream& stream, const torch::Tensor& clip) {
    for (int64_t t = 0; t < clip.size(0); ++t) {
        stream.push(clip.slice(0, t, t + 1));
    }
    stream.finish();
    return stream.take();
}

// Seam metric: the gradient energy across tile borders against elsewhere. Per column pair
// (x, x+1), the mean squared step over frames, channels and rows; the borders are the pairs at
// each tile's inner edge and at the middle of each overlap (where a hard cut would be), for the
// vertical seams of `axis` (transpose the video for the horizontal ones). Returns the largest
// border energy over the mean energy of the pairs outside every overlap.
double seamRatio(const torch::Tensor& video, const AxisLayout& axis) {
    auto steps = (video.slice(3, 1) - video.slice(3, 0, -1)).pow(2).mean({0, 1, 2});  // (W-1)
    std::vector<bool> inOverlap(static_cast<size_t>(steps.size(0)), false);
    double border = 0;
    for (size_t i = 0; i + 1 < axis.begin.size(); ++i) {
        const int64_t centre = (axis.rampBegin[i] + axis.rampEnd[i]) / 2;
        for (int64_t x : {axis.begin[i + 1] - 1, axis.end[i] - 1, centre - 1}) {
            border = std::max(border, steps[x].item<double>());
        }
        for (int64_t x = axis.begin[i + 1] - 1; x < axis.end[i]; ++x) {
            inOverlap[static_cast<size_t>(x)] = true;
        }
    }
    double away = 0;
    int64_t n = 0;
    for (int64_t x = 0; x < steps.size(0); ++x) {
        if (!inOverlap[static_cast<size_t>(x)]) {
            away += steps[x].item<double>();
            ++n;
        }
    }
    return border / (away / static_cast<double>(n));
}

template <typename Stream>
std::pair<torch::Tensor, int64_t> runTaking(Stream& stream, const torch::Tensor& clip) {
    std::vector<torch::Tensor> outs;
    int64_t firstAfter = -1;
    for (int64_t t = 0; t < clip.size(0); ++t) {
        stream.push(clip.slice(0, t, t + 1));
        if (auto got = stream.take(); got.defined()) {
            firstAfter = firstAfter < 0 ? t + 1 : firstAfter;
            outs.push_back(got);
        }
    }
    stream.finish();
    if (auto rest = stream.take(); rest.defined()) {
        outs.push_back(rest);
    }
    return {torch::cat(outs, 0), firstAfter};
}

core::Frame rgbFrame(int w, int h, int64_t index) {
    // pts not the index: the pts must travel with the frame
    return fvs::test::patternFrame(w, h, index, 0, 1000 + 2 * index, 40000 * index + 7);
}

}  // namespace

class TestTiling : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tilesCoverEveryPixelAndWeightsSumToOne_data();
    void tilesCoverEveryPixelAndWeightsSumToOne();
    void badTileSizesAreRefused();
    void plannerPicksWholeFrameWhenItFitsAndTilesWhenNot();
    void plannerAtFullSize();
    void attentionScratchFollowsThePath();
    void plannerParksIdleTilesWhenNothingElseFits();
    void oneTileEqualsTheWholeFrameStream();
    void parkedTilesGiveTheSameFrames();
    void twoByTwoTilesAreFrameExactAndSeamFree();
    void processorTilesWhenTheBudgetIsSmall();

private:
    std::shared_ptr<FlashVsrModel> m_model;
    StreamOptions m_options;  // small budgets for the reduced model at test sizes
};

void TestTiling::initTestCase() {
    torch::set_num_threads(1);  // the reduced model is tiny: OpenMP only costs barrier waits
    m_options.sparseRatio = 0.03125;
    m_options.localRange = 3;
    auto model = FlashVsrModel::load(fvs::test::reducedModelFolder(), ModelOptions{});
    QVERIFY2(model.ok(), model.ok() ? "" : model.error().message.c_str());
    m_model = *model;
}

void TestTiling::tilesCoverEveryPixelAndWeightsSumToOne_data() {
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("tile");
    QTest::addColumn<int>("overlap");
    QTest::newRow("1080p 1024/128") << 1920 << 1080 << 1024 << 128;
    QTest::newRow("4K 768/64") << 3840 << 2160 << 768 << 64;
    QTest::newRow("odd 1000x333 256/16") << 1000 << 333 << 256 << 16;
    QTest::newRow("heavy overlap 784 512/256") << 784 << 300 << 512 << 256;
    QTest::newRow("one tile 640x360 1024") << 640 << 360 << 1024 << 128;
    QTest::newRow("barely two 1025 1024/128") << 1025 << 129 << 1024 << 64;
    QTest::newRow("small 224 128/32") << 224 << 224 << 128 << 32;
}

void TestTiling::tilesCoverEveryPixelAndWeightsSumToOne() {
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, tile);
    QFETCH(int, overlap);
    // GIVEN a frame, a tile side and an overlap
    auto grid = makeTileGrid(width, height, tile, tile, overlap, width / 4, height / 4);
    QVERIFY2(grid.ok(), grid.ok() ? "" : grid.error().message.c_str());
    // THEN it is deterministic
    auto again = makeTileGrid(width, height, tile, tile, overlap, width / 4, height / 4);
    QCOMPARE(again->tiles.size(), grid->tiles.size());
    for (size_t k = 0; k < grid->tiles.size(); ++k) {
        QVERIFY(again->tiles[k].output == grid->tiles[k].output);
    }
    // AND every tile is on the token grid, 128-aligned (or spans its axis), wastes < 16 px of
    // padding, and neighbours share at least the overlap
    for (const AxisLayout* axis : {&grid->columns, &grid->rows}) {
        for (int64_t i = 0; i < axis->count(); ++i) {
            QCOMPARE(axis->begin[i] % kTileOriginAlign, int64_t{0});
            const int64_t len = axis->end[i] - axis->begin[i];
            if (axis->count() > 1) {
                QVERIFY(len <= tile && len > tile - kTileOriginAlign);
            } else {
                QCOMPARE(len, axis->length);
            }
            if (i + 1 < axis->count()) {
                QVERIFY2(axis->end[i] - axis->begin[i + 1] >= overlap,
                         qPrintable(QString("overlap %1").arg(axis->end[i] - axis->begin[i + 1])));
                QVERIFY(axis->rampBegin[i] >= axis->begin[i + 1]);
                QVERIFY(axis->rampEnd[i] <= axis->end[i]);
            }
        }
        QCOMPARE(axis->begin.front(), int64_t{0});
        QCOMPARE(axis->end.back(), axis->length);
    }
    for (const Tile& t : grid->tiles) {
        QCOMPARE(t.paddedWidth % 128, int64_t{0});
        QVERIFY(t.paddedWidth - t.output.width < (grid->columns.count() > 1 ? 16 : 128));
        QVERIFY(t.source.x >= 0 && t.source.right() <= width / 4 && t.source.width > 0);
    }
    // AND every pixel is covered, the weights summing to exactly 1 (float, no tolerance)
    std::vector<float> sum(static_cast<size_t>(width) * height, 0.0f);
    std::vector<int> cover(sum.size(), 0);
    for (size_t k = 0; k < grid->tiles.size(); ++k) {
        const PixelRect& r = grid->tiles[k].output;
        const auto w = grid->weights(k);
        QCOMPARE(static_cast<int64_t>(w.size()), r.width * r.height);
        for (int64_t y = 0; y < r.height; ++y) {
            for (int64_t x = 0; x < r.width; ++x) {
                const size_t at = static_cast<size_t>((r.y + y) * width + r.x + x);
                const float v = w[static_cast<size_t>(y * r.width + x)];
                QVERIFY(v >= 0.0f && v <= 1.0f);
                sum[at] += v;
                ++cover[at];
            }
        }
    }
    for (size_t i = 0; i < sum.size(); ++i) {
        if (cover[i] == 0 || sum[i] != 1.0f) {
            QFAIL(qPrintable(QString("pixel (%1, %2): %3 tiles, weight sum %4")
                                 .arg(i % width)
                                 .arg(i / width)
                                 .arg(cover[i])
                                 .arg(static_cast<double>(sum[i]), 0, 'g', 9)));
        }
    }
}

void TestTiling::badTileSizesAreRefused() {
    // GIVEN sizes the model cannot use THEN clear InvalidArgument errors, no grid
    QCOMPARE(makeTileGrid(1920, 1080, 1000, 512, 128).error().code,
             core::ErrorCode::InvalidArgument);  // not a multiple of 128
    QCOMPARE(makeTileGrid(1920, 1080, 512, 512, 24).error().code,
             core::ErrorCode::InvalidArgument);  // overlap off the 16-pixel grid
    QCOMPARE(makeTileGrid(1920, 1080, 256, 256, 256).error().code,
             core::ErrorCode::InvalidArgument);  // overlap above half a tile
    QCOMPARE(makeTileGrid(0, 1080, 256, 256, 64).error().code, core::ErrorCode::InvalidArgument);
}

void TestTiling::plannerPicksWholeFrameWhenItFitsAndTilesWhenNot() {
    // GIVEN the reduced model's real session estimate at 448x448 (CPU, fp32)
    PlanRequest request;
    request.width = request.height = 448;
    request.tiling.overlap = 32;
    request.memory = sessionMemoryModel(m_model->dit()->config(), m_model->options(), m_options);
    const int64_t whole = gridBytes(wholeFrameGrid(448, 448), request.memory);
    // WHEN there is no limit, or plenty THEN the whole frame
    auto plan = planTiles(request);
    QVERIFY(plan.ok());
    QCOMPARE(plan->kind, PlanKind::WholeFrame);
    QCOMPARE(plan->neededBytes, whole);
    request.availableBytes = 2 * whole;
    QCOMPARE(planTiles(request)->kind, PlanKind::WholeFrame);
    // WHEN the whole frame misses the budget (with its 10 % margin) by a little
    request.availableBytes = static_cast<int64_t>(whole / 0.9) - (1 << 20);
    plan = planTiles(request);
    // THEN the fewest tiles that fit, and they do fit
    QCOMPARE(plan->kind, PlanKind::Tiles);
    QCOMPARE(plan->grid.tiles.size(), size_t{2});
    QVERIFY(plan->neededBytes <= request.availableBytes * 0.9);
    QVERIFY(plan->neededBytes < whole);
    QVERIFY2(plan->summary().find("2x1 tiles of 256x448, overlap 32") != std::string::npos ||
                 plan->summary().find("1x2 tiles of 448x256, overlap 32") != std::string::npos,
             plan->summary().c_str());
    // WHEN the budget is far too small THEN TooLarge, naming the least any tiling needs
    request.availableBytes = 1 << 20;
    plan = planTiles(request);
    QCOMPARE(plan->kind, PlanKind::TooLarge);
    QVERIFY(plan->neededBytes > request.availableBytes);
    // WHEN tiling is off THEN never tiles
    request.availableBytes = static_cast<int64_t>(whole / 0.9) - (1 << 20);
    request.tiling.mode = TilingMode::Off;
    QCOMPARE(planTiles(request)->kind, PlanKind::TooLarge);
    // WHEN a tile size is fixed THEN exactly that grid
    request.tiling.mode = TilingMode::Fixed;
    request.tiling.tileWidth = request.tiling.tileHeight = 256;
    request.availableBytes = 0;
    plan = planTiles(request);
    QCOMPARE(plan->kind, PlanKind::Tiles);
    QCOMPARE(plan->grid.tiles.size(), size_t{4});
}

void TestTiling::plannerAtFullSize() {
    // GIVEN the full-size model's estimate on CUDA in bf16 (arithmetic only, no device)
    ModelOptions model;
    model.dtype = torch::kBFloat16;
    model.device = torch::Device(torch::kCUDA);
    StreamOptions stream;
    stream.gatherBudgetBytes = 2LL << 30;  // what a 16 GB card's automatic budget gives
    PlanRequest request;
    request.width = 1920;
    request.height = 1080;
    request.memory = sessionMemoryModel(WanConfig{}, model, stream);
    const int64_t whole = gridBytes(wholeFrameGrid(1920, 1080), request.memory);
    // WHEN a budget lies between the whole frame and its 2x2 tiling THEN tiles that fit
    auto two = makeTileGrid(1920, 1080, 1024, 640, kDefaultTileOverlap);
    const int64_t tiled = gridBytes(*two, request.memory);
    qInfo("1920x1080: whole frame %s, 2x2 tiles %s", formatGiB(whole).c_str(),
          formatGiB(tiled).c_str());
    QVERIFY(tiled < whole);
    request.availableBytes = static_cast<int64_t>(tiled / 0.9) + (1 << 20);
    auto plan = planTiles(request);
    QCOMPARE(plan->kind, PlanKind::Tiles);
    QVERIFY(plan->grid.tiles.size() <= 4);
    QVERIFY(plan->neededBytes <= request.availableBytes * 0.9);
    // AND the estimate of a whole frame equals FlashVsrStream's own (what configure() checks)
    QCOMPARE(whole, FlashVsrStream::estimateSessionBytes(WanConfig{}, 1152, 1920, torch::kBFloat16,
                                                         3, (2LL << 30) + (512LL << 20), true));
}

void TestTiling::attentionScratchFollowsThePath() {
    // GIVEN the stream options of each attention path
    ModelOptions cpu;
    ModelOptions cuda;
    cuda.dtype = torch::kBFloat16;
    cuda.device = torch::Device(torch::kCUDA);
    StreamOptions stream;
    stream.gatherBudgetBytes = 2LL << 30;
    // THEN the CPU counts its fp32 score steps, CUDA's gather path its gathered K/V budget plus
    // the kernel's scratch, the runs path (nothing gathered) only the scratch
    QCOMPARE(attentionScratchBytes(cpu, stream), 3 * (256LL << 20));
    stream.attention = AttentionPath::Gather;
    QCOMPARE(attentionScratchBytes(cuda, stream), (2LL << 30) + (512LL << 20));
    stream.attention = AttentionPath::Runs;
    QCOMPARE(attentionScratchBytes(cuda, stream), 512LL << 20);
    // AND Auto is the gather path wherever cuDNN's paged attention does not run (this build),
    // the scratch alone where it does (K/V read in place from the page pool)
    stream.attention = AttentionPath::Auto;
    const bool paged = pagedCudnnAttentionRuns(AttentionPath::Auto, cuda.device, cuda.dtype);
    QCOMPARE(attentionScratchBytes(cuda, stream),
             paged ? (512LL << 20) : (2LL << 30) + (512LL << 20));
    // AND a budget on CUDA leaves the CUDA runtime its share, none on the CPU
    TilingOptions tiling;
    tiling.memoryBudgetBytes = 16LL << 30;
    const MemoryBudget onCpu = memoryBudget(tiling, cpu.device, 3LL << 30, false);
    QCOMPARE(onCpu.runtimeBytes, int64_t{0});
    QCOMPARE(onCpu.availableBytes, 13LL << 30);
}

void TestTiling::plannerParksIdleTilesWhenNothingElseFits() {
    // GIVEN the full-size model's estimate at 1920x1080 on CUDA in bf16 (arithmetic only)
    ModelOptions model;
    model.dtype = torch::kBFloat16;
    model.device = torch::Device(torch::kCUDA);
    StreamOptions stream;
    stream.attention = AttentionPath::Runs;  // the scratch of the paged path: nothing gathered
    PlanRequest request;
    request.width = 1920;
    request.height = 1080;
    request.memory = sessionMemoryModel(WanConfig{}, model, stream);
    auto two = makeTileGrid(1920, 1080, 1024, 640, kDefaultTileOverlap);
    QVERIFY(two.ok());
    const int64_t parked = gridBytes(*two, request.memory, true);
    const int64_t resident = gridBytes(*two, request.memory);
    qInfo("1920x1080 as 2x2 tiles: %s resident, %s with idle tiles parked",
          formatGiB(resident).c_str(), formatGiB(parked).c_str());
    // THEN parking keeps one tile's state on the device instead of four
    const SessionBytes tile = request.memory(640, 1024);
    QVERIFY(parked < resident);
    QCOMPARE(parked, tile.persistent + tile.transient + int64_t{29} * 3 * 1920 * 1080 * 4);
    // WHEN the budget is what 2x2 parked tiles need, less than any grid with every tile resident
    request.availableBytes = static_cast<int64_t>(parked / 0.9) + (1 << 20);
    auto plan = planTiles(request);
    // THEN a parked tiling that fits, said in its summary
    QVERIFY(plan.ok());
    QCOMPARE(plan->kind, PlanKind::Tiles);
    QVERIFY(plan->parked);
    QVERIFY(plan->grid.tiles.size() >= 2 && plan->grid.tiles.size() <= 4);
    QVERIFY(plan->neededBytes <= request.availableBytes * 0.9);
    QCOMPARE(plan->neededBytes, gridBytes(plan->grid, request.memory, true));
    QVERIFY2(plan->summary().find("idle tiles parked in host memory") != std::string::npos,
             plan->summary().c_str());
    // WHEN parking is not allowed THEN the frame does not fit
    request.tiling.allowParking = false;
    plan = planTiles(request);
    QCOMPARE(plan->kind, PlanKind::TooLarge);
    QVERIFY(!plan->parked);
    // WHEN the budget fits a resident tiling THEN it is not parked (parking costs bus time)
    request.tiling.allowParking = true;
    request.availableBytes = static_cast<int64_t>(resident / 0.9) + (1 << 20);
    plan = planTiles(request);
    QCOMPARE(plan->kind, PlanKind::Tiles);
    QVERIFY(!plan->parked);
}

void TestTiling::oneTileEqualsTheWholeFrameStream() {
    // GIVEN a clip at a size that is not a multiple of 128
    auto clip = randomFrames(30, 72, 136, 3);
    FlashVsrStream whole(m_model, m_options);
    QVERIFY(whole.configure(72, 136).ok());
    const auto expected = runAll(whole, clip);
    // WHEN it runs through a TiledStream of one tile (the whole frame, or a tile side larger
    // than the frame)
    auto larger = makeTileGrid(136, 72, 256, 256, kDefaultTileOverlap);
    QVERIFY(larger.ok());
    for (const auto& grid : {wholeFrameGrid(136, 72), larger.value()}) {
        TiledStream tiled(m_model, m_options);
        QVERIFY(tiled.configure(grid).ok());
        const auto got = runAll(tiled, clip);
        // THEN bit-identical output, frame for frame
        QCOMPARE(got.sizes(), expected.sizes());
        QVERIFY(torch::equal(got, expected));
    }
}

void TestTiling::twoByTwoTilesAreFrameExactAndSeamFree() {
    // GIVEN 2x2 tiles of 128 with a 32-pixel overlap over a 224x224 clip of 30 frames
    const int64_t size = 224, frames = 30;
    auto grid = makeTileGrid(size, size, 128, 128, 32);
    QVERIFY(grid.ok());
    QCOMPARE(grid->tiles.size(), size_t{4});
    auto clip = randomFrames(frames, size, size, 11);
    TiledStream tiled(m_model, m_options);
    QVERIFY(tiled.configure(*grid).ok());
    // WHEN it is pushed frame by frame, outputs taken as they come
    const auto [video, firstAfter] = runTaking(tiled, clip);  // (N, 3, H, W)
    // THEN every frame out once, whole-frame sized, with the whole stream's latency
    QCOMPARE(video.size(0), frames);
    QCOMPARE(video.size(2), size);
    QCOMPARE(video.size(3), size);
    QCOMPARE(tiled.framesEmitted(), frames);
    QCOMPARE(firstAfter, int64_t{25});
    QVERIFY(torch::isfinite(video).all().item<bool>());
    // AND deterministic: a reset run gives the same frames
    tiled.reset();
    QVERIFY(torch::equal(runAll(tiled, clip), video));
    // AND the seams do not show, where the same tiles cut hard in the middle of the overlap do.
    // The tiles disagree in their overlap (each saw other context); a hard cut puts the whole
    // disagreement into one pixel step, the 32-pixel raised cosine spreads it (at most pi/64 of it
    // per step) and the tiles' own edges get weight 0. So at every border the blended step energy
    // stays within 1.5x of the mean away from the overlaps (the content's own variation between
    // columns is about ±20 % here), and the hard cut's is clearly above the blended one.
    auto cut = makeTileGrid(size, size, 128, 128, 32, 0, 0, /*rampWidth=*/0);
    TiledStream hard(m_model, m_options);
    QVERIFY(hard.configure(*cut).ok());
    const auto hardVideo = runAll(hard, clip);
    const double vBlend = seamRatio(video, grid->columns);
    const double hBlend = seamRatio(video.transpose(2, 3), grid->rows);
    const double vCut = seamRatio(hardVideo, cut->columns);
    const double hCut = seamRatio(hardVideo.transpose(2, 3), cut->rows);
    qInfo(
        "border/elsewhere gradient energy: blended %.3f (vertical) %.3f (horizontal), hard cut "
        "%.3f %.3f",
        vBlend, hBlend, vCut, hCut);
    QVERIFY2(vBlend <= 1.5 && hBlend <= 1.5, "a visible tile seam");
    QVERIFY2(vCut > 1.5 * vBlend && hCut > 1.5 * hBlend, "the metric does not see a hard cut");
}

void TestTiling::parkedTilesGiveTheSameFrames() {
    // GIVEN 2x2 tiles of a 224x224 clip, run once with every tile's state resident
    const int64_t size = 224, frames = 30;
    auto grid = makeTileGrid(size, size, 128, 128, 32);
    QVERIFY(grid.ok());
    auto clip = randomFrames(frames, size, size, 5);
    TiledStream resident(m_model, m_options);
    QVERIFY(resident.configure(*grid).ok());
    const auto expected = runAll(resident, clip);
    QCOMPARE(resident.parkedBytes(), int64_t{0});
    // WHEN the same tiles park their idle state in host memory between their chunks
    TiledStream parked(m_model, m_options);
    QVERIFY(parked.configure(*grid, /*parkIdleTiles=*/true).ok());
    QVERIFY(parked.parksIdleTiles());
    const auto got = runAll(parked, clip);
    // THEN bit-identical frames, and the state did wait outside the stream's device tensors
    QCOMPARE(got.sizes(), expected.sizes());
    QVERIFY(torch::equal(got, expected));
    QVERIFY(parked.parkedBytes() > 0);
    // AND after a reset the parked stream runs the clip again to the same frames
    parked.reset();
    QVERIFY(torch::equal(runAll(parked, clip), expected));
    // AND a one-tile grid never parks
    TiledStream one(m_model, m_options);
    QVERIFY(one.configure(wholeFrameGrid(size, size), true).ok());
    QVERIFY(!one.parksIdleTiles());
}

void TestTiling::processorTilesWhenTheBudgetIsSmall() {
    // GIVEN a processor whose memory budget the whole 224x224 output misses (but tiles fit)
    const int w = 56, h = 56;  // ×4 → 224x224
    PlanRequest probe;
    probe.width = probe.height = 224;
    probe.memory = sessionMemoryModel(m_model->dit()->config(), m_model->options(), m_options);
    const int64_t whole = gridBytes(wholeFrameGrid(224, 224), probe.memory);
    TilingOptions tiling;
    tiling.overlap = 32;
    tiling.memoryBudgetBytes =
        modelDeviceBytes(*m_model) + static_cast<int64_t>(whole / 0.9) - (1 << 20);
    auto processor =
        makeFlashVsrProcessor(core::ScaleRequest{}, m_model, m_options, tiling,
                              std::make_shared<ComputeExecutor>(), ComputeRole::Export);
    core::StreamInfo info;
    info.width = w;
    info.height = h;
    auto plan = processor->configure(info);
    // THEN it runs tiled instead of refusing, and says so in the output's metadata
    QVERIFY2(plan.ok(), plan.ok() ? "" : plan.error().message.c_str());
    QCOMPARE(plan->output.width, 224);
    QCOMPARE(plan->output.height, 224);
    QVERIFY2(plan->engineDescription.find(" tiles=") != std::string::npos,
             plan->engineDescription.c_str());
    // AND every frame comes out once, in order, with its index and timestamps
    const int frames = 23;
    std::vector<core::Frame> out;
    for (int i = 0; i < frames; ++i) {
        QVERIFY(processor->push(rgbFrame(w, h, i)).ok());
        while (auto f = processor->pull()) {
            out.push_back(std::move(*f));
        }
    }
    QVERIFY(processor->finish().ok());
    while (auto f = processor->pull()) {
        out.push_back(std::move(*f));
    }
    QCOMPARE(static_cast<int>(out.size()), frames);
    for (int i = 0; i < frames; ++i) {
        QCOMPARE(out[i].index, int64_t{i});
        QCOMPARE(out[i].ptsUs, int64_t{40000} * i + 7);
        QCOMPARE(out[i].av->pts, int64_t{1000 + 2 * i});
        QCOMPARE(out[i].av->width, 224);
        QCOMPARE(out[i].av->height, 224);
    }
    // AND a budget below the weights is refused with OutOfMemory, naming the budget
    tiling.memoryBudgetBytes = 1 << 10;
    auto tooSmall = makeFlashVsrProcessor(core::ScaleRequest{}, m_model, m_options, tiling,
                                          std::make_shared<ComputeExecutor>(), ComputeRole::Export);
    auto refused = tooSmall->configure(info);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, core::ErrorCode::OutOfMemory);
    QVERIFY2(refused.error().message.find("--memory-budget") != std::string::npos,
             refused.error().message.c_str());
}

QTEST_GUILESS_MAIN(TestTiling)
#include "test_tiling.moc"
