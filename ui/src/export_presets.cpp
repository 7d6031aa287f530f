#include "export_presets.h"

#include <QCoreApplication>
#include <QFileInfo>

#include "fvs/core/job_spec.h"

namespace fvs::ui {
namespace {

core::EncodeSettings encode(const char* codec, const char* container, const char* pixelFormat,
                            int crf, const char* preset = "", const char* prores = "") {
    core::EncodeSettings e;
    e.codec = codec;
    e.container = container;
    e.pixelFormat = pixelFormat;
    e.crf = crf;
    e.preset = preset;
    e.proresProfile = prores;
    return e;
}

}  // namespace

const std::vector<ExportPreset>& exportPresets() {
    static const std::vector<ExportPreset> presets{
        {QStringLiteral("prores-hq"),
         QT_TRANSLATE_NOOP("ExportPresets", "ProRes 422 HQ for editing"),
         QT_TRANSLATE_NOOP("ExportPresets",
                           "Large files, edits smoothly in Premiere, Resolve and Final Cut"),
         QStringLiteral("mov"), encode("prores_ks", "mov", "yuv422p10le", -1, "", "hq")},
        {QStringLiteral("h265-10bit"), QT_TRANSLATE_NOOP("ExportPresets", "H.265 10-bit"),
         QT_TRANSLATE_NOOP("ExportPresets", "Small files, keeps gradients free of banding"),
         QStringLiteral("mp4"), encode("libx265", "mp4", "yuv420p10le", 18, "medium")},
        {QStringLiteral("h264-web"), QT_TRANSLATE_NOOP("ExportPresets", "H.264 for the web"),
         QT_TRANSLATE_NOOP("ExportPresets", "Plays everywhere: browsers, phones, social media"),
         QStringLiteral("mp4"), encode("libx264", "mp4", "yuv420p", 18, "slow")},
        {QStringLiteral("av1"), QT_TRANSLATE_NOOP("ExportPresets", "AV1 (SVT-AV1)"),
         QT_TRANSLATE_NOOP("ExportPresets", "The smallest files for the quality; slower to encode"),
         QStringLiteral("mkv"), encode("libsvtav1", "mkv", "yuv420p10le", 28, "6")},
        {QStringLiteral("ffv1"), QT_TRANSLATE_NOOP("ExportPresets", "FFV1 lossless archive"),
         QT_TRANSLATE_NOOP("ExportPresets", "Mathematically lossless, for archiving"),
         QStringLiteral("mkv"), encode("ffv1", "mkv", "yuv444p10le", -1)},
        {QStringLiteral("png"), QT_TRANSLATE_NOOP("ExportPresets", "PNG sequence"),
         QT_TRANSLATE_NOOP("ExportPresets", "One lossless image per frame, for compositing"),
         QStringLiteral("png"), encode("png", "image2", "rgb24", -1)},
        {QStringLiteral("h265-nvenc"), QT_TRANSLATE_NOOP("ExportPresets", "H.265 10-bit (NVENC)"),
         QT_TRANSLATE_NOOP("ExportPresets", "Hardware encoding on NVIDIA GPUs"),
         QStringLiteral("mp4"), encode("hevc_nvenc", "mp4", "p010le", 20, "p5")},
    };
    return presets;
}

const ExportPreset* findPreset(const QString& id) {
    for (const auto& p : exportPresets())
        if (p.id == id)
            return &p;
    return nullptr;
}

QVariantList presetsForQml() {
    QVariantList list;
    for (const auto& p : exportPresets()) {
        list << QVariantMap{
            {QStringLiteral("id"), p.id},
            {QStringLiteral("name"), QCoreApplication::translate("ExportPresets", p.name)},
            {QStringLiteral("hint"), QCoreApplication::translate("ExportPresets", p.hint)},
            {QStringLiteral("codec"), QString::fromStdString(p.encode.codec)},
            {QStringLiteral("container"), QString::fromStdString(p.encode.container)},
            {QStringLiteral("pixelFormat"), QString::fromStdString(p.encode.pixelFormat)},
            {QStringLiteral("crf"), p.encode.crf},
            {QStringLiteral("bitrate"), static_cast<qint64>(p.encode.bitrate)},
            {QStringLiteral("extension"), p.extension}};
    }
    return list;
}

QString expandOutputPath(const QString& sourcePath, const QString& folder, const QString& pattern,
                         const QVariantMap& tokens, const QString& extension, bool imageSequence) {
    // The one naming rule of the CLI, the dialog and --export (fvs/core/job_spec.h).
    core::OutputNaming naming;
    naming.folder = folder.toStdString();
    naming.pattern = pattern.isEmpty() ? "{name}_{engine}_{scale}" : pattern.toStdString();
    naming.extension = imageSequence && extension != QLatin1String("tiff")
                           ? std::string("png")
                           : extension.toStdString();
    naming.collision = core::OutputCollision::AddCounter;
    const core::OutputTokens values{
        tokens.value(QStringLiteral("engine")).toString().toStdString(),
        tokens.value(QStringLiteral("scale")).toString().toStdString(),
        tokens.value(QStringLiteral("preset")).toString().toStdString()};
    const std::filesystem::path source = QFileInfo(sourcePath).absoluteFilePath().toStdString();
    return QString::fromStdString(core::expandOutputPattern(source, values, naming).string());
}

}  // namespace fvs::ui
