#pragma once
// Export presets: named encoder settings an editor recognises ("ProRes 422 HQ for editing", ...)
// and the output name pattern. Plain data + translation-ready names; GUI thread only.

#include <QSet>
#include <QString>
#include <QVariantList>
#include <QVariantMap>
#include <vector>

#include "fvs/core/media_sink.h"

namespace fvs::ui {

struct ExportPreset {
    QString id;         // stable key stored in settings: "prores-hq", "h265-10bit", ...
    const char* name;   // QT_TRANSLATE_NOOP("ExportPresets", ...)
    const char* hint;   // one line on what it is for
    QString extension;  // "mov", "mp4", "mkv", "png"
    core::EncodeSettings encode;
};

const std::vector<ExportPreset>& exportPresets();
const ExportPreset* findPreset(const QString& id);

// Presets as maps for QML: id, name (translated), hint, codec, container, pixelFormat, crf,
// bitrate, extension.
QVariantList presetsForQml();

// Expands an output name pattern. Tokens: {name} (source file name without extension),
// {engine}, {scale} (e.g. "x4" or "1920x1080"), {preset}, {date} (yyyyMMdd). Image sequences get
// "_%06d" before the extension. Never returns the source path and never an existing file: a
// counter (" (2)", " (3)", ...) is added instead of overwriting. `taken`: absolute paths that
// are spoken for although nothing exists there yet (the outputs of jobs in the queue).
QString expandOutputPath(const QString& sourcePath, const QString& folder, const QString& pattern,
                         const QVariantMap& tokens, const QString& extension, bool imageSequence,
                         const QSet<QString>& taken = {});

}  // namespace fvs::ui
