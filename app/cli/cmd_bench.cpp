// flashvsr bench: decode -> engine xN -> encode throughput on a generated clip, with the stages
// overlapped (the real pipeline) versus run one after another on one thread. The engine is
// Lanczos unless --engine names another (realesrgan, flashvsr, bicubic).
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "engine_factory.h"
#include "fvs/core/export_pipeline.h"
#include "fvs/core/media_sink.h"
#include "fvs/core/resample_processor.h"

namespace fvs::cli {

namespace fs = std::filesystem;

namespace {

// A moving pattern with fine detail, so neither the decoder nor the encoder has an easy time.
core::Status writeClip(const fs::path& path, int width, int height, int frames) {
    core::StreamInfo info;
    info.width = width;
    info.height = height;
    info.timeBase = {1, 25};
    info.avgFrameRate = info.realFrameRate = {25, 1};
    info.pixelFormat = AV_PIX_FMT_RGB24;
    core::SinkOptions o;
    o.output = path;
    // FFV1: lossless, and native to every FFmpeg build (the GPU machine's has no libx264).
    o.encode.codec = "ffv1";
    o.encode.overwrite = true;
    o.width = width;
    o.height = height;
    auto sink = core::MediaSink::open(info, o);
    if (!sink)
        return sink.error();
    for (int i = 0; i < frames; ++i) {
        core::Frame f;
        f.av = core::makeFrame();
        f.av->format = AV_PIX_FMT_RGB24;
        f.av->width = width;
        f.av->height = height;
        if (av_frame_get_buffer(f.av.get(), 0) < 0)
            return core::makeError(core::ErrorCode::OutOfMemory, "frame");
        for (int y = 0; y < height; ++y) {
            uint8_t* row = f.av->data[0] + y * f.av->linesize[0];
            for (int x = 0; x < width; ++x) {
                const int u = x + 3 * i, v = y + 2 * i;
                row[3 * x + 0] = uint8_t((u * 7) ^ (v * 3));
                row[3 * x + 1] = uint8_t(128 + 127 * std::sin((u + v) * 0.05));
                row[3 * x + 2] = uint8_t((u * v) >> 6);
            }
        }
        f.av->pts = i;
        f.index = i;
        if (auto st = sink.value()->write(f); !st)
            return st;
    }
    return sink.value()->finish();
}

}  // namespace

int runBench(int argc, char** argv) {
    const std::stop_token stop = installSignalStop();
    CLI::App app{"Pipeline throughput: overlapped stages versus serial", "flashvsr bench"};
    std::string size = "960x540";
    int frames = 60;
    double scale = 2.0;
    std::string codec = "libx264";
    std::string preset = "ultrafast";
    std::string workDir;
    std::string engineName = "lanczos";
    std::string model;
    std::string device;
    std::string dtype;
    bool json = false;
    app.add_option("--input-size", size, "generated clip size WxH (default 960x540 -> 1080p)");
    app.add_option("--frames", frames, "frames in the clip")->check(CLI::Range(2, 100000));
    app.add_option("--scale", scale, "scale factor")->check(CLI::Range(1.0, 8.0));
    app.add_option("--engine", engineName, "lanczos (default), bicubic, realesrgan or flashvsr")
        ->check(CLI::IsMember({"lanczos", "bicubic", "realesrgan", "flashvsr"}));
    app.add_option("--model", model, "Real-ESRGAN model (animevideov3, x4plus, x4plus-anime)");
    app.add_option("--device", device, "cuda, cuda:N or cpu (default: CUDA when available)");
    app.add_option("--dtype", dtype,
                   "bf16 or fp32 (default: the engine's; Real-ESRGAN: fp16 on CUDA)")
        ->check(CLI::IsMember({"bf16", "fp32"}));
    app.add_option("--codec", codec, "encoder");
    app.add_option("--preset", preset, "encoder preset");
    app.add_option("--work-dir", workDir, "where the clip and outputs go (default: a temp folder)");
    app.add_flag("--json", json, "print the result as JSON");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    int width = 0, height = 0;
    if (std::sscanf(size.c_str(), "%dx%d", &width, &height) != 2 || width < 16 || height < 16)
        return reportError(core::makeError(core::ErrorCode::InvalidArgument, "bad --input-size"));

    const bool ownDir = workDir.empty();
    const fs::path dir =
        ownDir ? fs::temp_directory_path() / ("flashvsr-bench-" + std::to_string(::getpid()))
               : fs::path(workDir);
    std::error_code ec;
    fs::create_directories(dir, ec);
    const fs::path clip = dir / "bench-input.mkv";
    if (auto st = writeClip(clip, width, height, frames); !st)
        return reportError(st.error());

    core::EngineSettings settings;
    settings.engine = *core::engineKindFromString(engineName);
    settings.scale.factor = scale;
    settings.modelVersion = model;
    settings.device = device;
    if (!dtype.empty())
        settings.dtype = *core::computeDtypeFromString(dtype);
    app::Engines engines(app::readEngineEnvironment());
    nlohmann::json result{{"engine", engineName}, {"model", model},
                          {"inputSize", size},    {"frames", frames},
                          {"scale", scale},       {"codec", codec},
                          {"preset", preset},     {"cores", std::thread::hardware_concurrency()}};
    int code = kExitOk;
    for (auto mode : {core::PipelineMode::Serial, core::PipelineMode::Overlapped}) {
        const char* name = mode == core::PipelineMode::Serial ? "serial" : "overlapped";
        core::ExportRequest req;
        req.input = clip;
        req.output = dir / (std::string("bench-") + name + ".mp4");
        req.encode.codec = codec;
        req.encode.preset = preset;
        req.encode.overwrite = true;
        req.copyOtherStreams = false;
        req.mode = mode;
        auto proc = engines.create(settings);
        if (!proc) {
            code = reportError(proc.error());
            break;
        }
        auto r = core::ExportPipeline(req).run(**proc, stop);
        if (!r) {
            code = reportError(r.error());
            break;
        }
        const double fps = r->framesWritten / r->seconds;
        result[name] = {{"seconds", std::round(r->seconds * 1000) / 1000},
                        {"fps", std::round(fps * 10000) / 10000},  // slow engines: < 0.01
                        {"outputSize", std::to_string(r->plan.output.width) + "x" +
                                           std::to_string(r->plan.output.height)},
                        {"engineDescription", r->plan.engineDescription},
                        {"stageSeconds", stageSecondsJson(*r)},
                        {"encodeQueueFrames", r->encodeQueueCapacity}};
        if (!json)
            std::cout << name << ": " << r->framesWritten << " frames in " << r->seconds
                      << " s = " << fps << " fps (" << r->plan.output.width << "x"
                      << r->plan.output.height << " out; busy s: decode " << r->stages.decode
                      << ", engine " << r->stages.process << " (+" << r->stages.processBlocked
                      << " waiting for the encoder), encode " << r->stages.encode << ")\n";
    }
    if (code == kExitOk) {
        // From the times, not the rounded fps (both runs write the same frames).
        const double speedup = result["serial"]["seconds"].get<double>() /
                               result["overlapped"]["seconds"].get<double>();
        result["speedup"] = std::round(speedup * 100) / 100;
        if (json)
            std::cout << result.dump(2) << "\n";
        else
            std::cout << "overlapped / serial: " << speedup << "x\n";
    }
    if (ownDir)
        fs::remove_all(dir, ec);
    return code;
}

}  // namespace fvs::cli
