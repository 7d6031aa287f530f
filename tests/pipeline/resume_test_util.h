#pragma once
// Helpers for the resume tests: the queue_run_helper process, and what two outputs must share
// (decoded frames, pts, colour tags, the packets of every other stream).

#include <QProcess>
#include <QProcessEnvironment>
#include <QTest>

#include <filesystem>
#include <string>
#include <vector>

#include "fvs/core/av_ptr.h"
#include "fvs/core/job_queue.h"
#include "pipeline_test_util.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/crc.h>
}

namespace fvs::test {

struct HelperRun {
    int exitCode = -1;
    bool killed = false;  // ended by a signal (SIGKILL)
    QString out;
    QString err;
};

// Runs queue_run_helper on a queue file; `signalAt` (PHASE:FRAME:SIGNAL) makes it signal itself.
inline HelperRun runHelper(const std::filesystem::path& queue, const QString& signalAt = {}) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("FVS_TEST_SIGNAL_AT");
    if (!signalAt.isEmpty())
        env.insert("FVS_TEST_SIGNAL_AT", signalAt);
    p.setProcessEnvironment(env);
    p.start(QUEUE_RUN_HELPER, {QString::fromStdString(queue.string())});
    HelperRun r;
    if (!p.waitForFinished(180000)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.killed = p.exitStatus() != QProcess::NormalExit;
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// "stream kind codec pts duration size crc" for every packet that is not the main video.
inline std::vector<std::string> otherPackets(const std::filesystem::path& path) {
    std::vector<std::string> out;
    AVFormatContext* raw = nullptr;
    if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0)
        return {"cannot open"};
    core::AvInputFormatPtr fmt(raw);
    if (avformat_find_stream_info(raw, nullptr) < 0)
        return {"cannot read"};
    const int video = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    core::AvPacketPtr pkt = core::makePacket();
    const AVCRC* table = av_crc_get_table(AV_CRC_32_IEEE);
    while (av_read_frame(raw, pkt.get()) >= 0) {
        if (pkt->stream_index != video) {
            const AVStream* st = raw->streams[pkt->stream_index];
            const int64_t ptsUs = av_rescale_q(pkt->pts, st->time_base, AVRational{1, 1000000});
            out.push_back(std::string(av_get_media_type_string(st->codecpar->codec_type)) + " " +
                          avcodec_get_name(st->codecpar->codec_id) + " " + std::to_string(ptsUs) +
                          " " + std::to_string(pkt->duration) + " " + std::to_string(pkt->size) +
                          " " + std::to_string(av_crc(table, 0, pkt->data, size_t(pkt->size))));
        }
        av_packet_unref(pkt.get());
    }
    return out;
}

inline QString describeJob(const core::Job& j) {
    return QString("state %1 (%2), %3 segments")
        .arg(core::toString(j.state))
        .arg(QString::fromStdString(j.reason))
        .arg(j.segments.size());
}

// The lowest per-frame PSNR (dB) between two decoded clips of the same size.
inline double minPsnr(const DecodedClip& a, const DecodedClip& b) {
    double worst = 1e9;
    for (size_t i = 0; i < std::min(a.rgb.size(), b.rgb.size()); ++i) {
        double se = 0;
        for (size_t k = 0; k < a.rgb[i].size(); ++k) {
            const double d = double(a.rgb[i][k]) - double(b.rgb[i][k]);
            se += d * d;
        }
        const double mse = se / double(std::max<size_t>(1, a.rgb[i].size()));
        worst = std::min(worst, mse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 / mse));
    }
    return worst;
}

}  // namespace fvs::test
