#include "source_list_model.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QVariantList>

namespace fvs::ui {
namespace {

const QStringList& videoSuffixes() {
    static const QStringList suffixes{
        QStringLiteral("mp4"),  QStringLiteral("mov"), QStringLiteral("mkv"),
        QStringLiteral("webm"), QStringLiteral("avi"), QStringLiteral("m4v"),
        QStringLiteral("mxf"),  QStringLiteral("ts"),  QStringLiteral("m2ts"),
        QStringLiteral("mts"),  QStringLiteral("mpg"), QStringLiteral("mpeg"),
        QStringLiteral("wmv"),  QStringLiteral("flv"), QStringLiteral("y4m"),
        QStringLiteral("gif"),  QStringLiteral("3gp"), QStringLiteral("ogv"),
        QStringLiteral("nut"),  QStringLiteral("vob")};
    return suffixes;
}

QVariantMap rejection(const QString& path, const QString& reason) {
    return {{QStringLiteral("path"), path}, {QStringLiteral("reason"), reason}};
}

}  // namespace

SourceListModel::SourceListModel(QObject* parent) : QAbstractListModel(parent) {}

int SourceListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_paths.size());
}

QVariant SourceListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QString& path = m_paths.at(index.row());
    switch (role) {
        case Qt::DisplayRole:
        case FileNameRole:
            return QFileInfo(path).fileName();
        case PathRole:
            return path;
        case FolderRole:
            return QFileInfo(path).absolutePath();
        case UrlRole:
            return QUrl::fromLocalFile(path);
        default:
            return {};
    }
}

QHash<int, QByteArray> SourceListModel::roleNames() const {
    return {
        {PathRole, "path"}, {FileNameRole, "fileName"}, {FolderRole, "folder"}, {UrlRole, "url"}};
}

bool SourceListModel::looksLikeVideo(const QString& path) {
    return videoSuffixes().contains(QFileInfo(path).suffix().toLower());
}

void SourceListModel::addFile(const QString& path, QStringList& added) {
    const QString canonical = QFileInfo(path).canonicalFilePath();
    if (m_paths.contains(canonical)) {
        added << canonical;  // already listed: count it as usable, do not duplicate
        return;
    }
    const int row = static_cast<int>(m_paths.size());
    beginInsertRows({}, row, row);
    m_paths << canonical;
    endInsertRows();
    added << canonical;
}

QVariantMap SourceListModel::addUrls(const QList<QUrl>& urls) {
    QStringList paths;
    QVariantList rejected;
    for (const QUrl& url : urls) {
        if (!url.isLocalFile()) {
            rejected << rejection(url.toString(), tr("only local files can be opened"));
            continue;
        }
        paths << url.toLocalFile();
    }
    QVariantMap result = addPaths(paths);
    if (!rejected.isEmpty()) {
        rejected += result.value(QStringLiteral("rejected")).toList();
        result[QStringLiteral("rejected")] = rejected;
    }
    const QVariantList all = result.value(QStringLiteral("rejected")).toList();
    if (!all.isEmpty()) {
        const QVariantMap first = all.first().toMap();
        const QString name = QFileInfo(first.value(QStringLiteral("path")).toString()).fileName();
        QString message =
            tr("%1: %2").arg(name.isEmpty() ? first.value(QStringLiteral("path")).toString() : name,
                             first.value(QStringLiteral("reason")).toString());
        if (all.size() > 1)
            message +=
                QLatin1Char(' ') + tr("(and %n more not opened)", nullptr, int(all.size() - 1));
        result[QStringLiteral("message")] = message;
    }
    return result;
}

QVariantMap SourceListModel::addPaths(const QStringList& paths) {
    QStringList added;
    QVariantList rejected;
    const int before = rowCount();
    for (const QString& path : paths) {
        const QFileInfo info(path);
        if (!info.exists()) {
            rejected << rejection(path, tr("the file does not exist"));
        } else if (info.isDir()) {
            // A folder: its videos and those of its direct sub-folders, sorted by name.
            QStringList found;
            const QDir dir(path);
            for (const QFileInfo& entry :
                 dir.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
                if (entry.isFile() && looksLikeVideo(entry.filePath())) {
                    found << entry.filePath();
                } else if (entry.isDir()) {
                    for (const QFileInfo& sub :
                         QDir(entry.filePath()).entryInfoList(QDir::Files, QDir::Name))
                        if (looksLikeVideo(sub.filePath()))
                            found << sub.filePath();
                }
            }
            if (found.isEmpty())
                rejected << rejection(path, tr("the folder contains no video files"));
            for (const QString& file : found)
                addFile(file, added);
        } else if (!info.isReadable()) {
            rejected << rejection(path, tr("the file cannot be read (permissions)"));
        } else if (info.size() == 0) {
            rejected << rejection(path, tr("the file is empty"));
        } else if (!looksLikeVideo(path)) {
            rejected << rejection(path, tr("not a video file this application opens"));
        } else {
            addFile(path, added);
        }
    }
    if (rowCount() != before)
        Q_EMIT countChanged();
    QVariantMap result{{QStringLiteral("added"), added},
                       {QStringLiteral("rejected"), rejected},
                       {QStringLiteral("message"), QString()}};
    return result;
}

void SourceListModel::remove(int row) {
    if (row < 0 || row >= rowCount())
        return;
    beginRemoveRows({}, row, row);
    m_paths.removeAt(row);
    endRemoveRows();
    Q_EMIT countChanged();
}

QString SourceListModel::pathAt(int row) const {
    return row >= 0 && row < rowCount() ? m_paths.at(row) : QString();
}

int SourceListModel::indexOf(const QString& path) const {
    return static_cast<int>(m_paths.indexOf(QFileInfo(path).canonicalFilePath()));
}

}  // namespace fvs::ui
