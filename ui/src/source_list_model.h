#pragma once
// SourceListModel: the clips the user brought in (drop, open dialog, command line, recent files).
// Drops are checked here so an unusable drop is explained rather than ignored: folders are
// expanded (one level of sub-folders), non-video files and unreadable paths come back as reasons.
// GUI thread only; the check touches only the file system (no decoding).

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QStringList>
#include <QUrl>
#include <QVariantMap>

namespace fvs::ui {

class SourceListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

public:
    enum Role { PathRole = Qt::UserRole + 1, FileNameRole, FolderRole, UrlRole };
    Q_ENUM(Role)

    explicit SourceListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Adds the usable files among urls. Returns {added: [paths], rejected: [{path, reason}],
    // message: one translated sentence for the UI (empty when everything was added)}.
    Q_INVOKABLE QVariantMap addUrls(const QList<QUrl>& urls);
    Q_INVOKABLE QVariantMap addPaths(const QStringList& paths);
    Q_INVOKABLE void remove(int row);
    Q_INVOKABLE QString pathAt(int row) const;
    Q_INVOKABLE int indexOf(const QString& path) const;

    static bool looksLikeVideo(const QString& path);

Q_SIGNALS:
    void countChanged();

private:
    void addFile(const QString& path, QStringList& added);

    QStringList m_paths;
};

}  // namespace fvs::ui
