#pragma once
// The QML modules the UI imports, checked before the main window loads: a module that is not
// installed gives a clear message naming the Debian package instead of a blank window or a
// crash (Qt 6.4 segfaults when the non-native file dialog's Qt.labs.folderlistmodel is missing).

#include <QString>
#include <QStringList>

class QQmlEngine;

namespace fvs::ui {

struct QmlModule {
    QString uri;         // "QtQuick.Controls"
    QString debPackage;  // "qml6-module-qtquick-controls"
};

// What Main.qml and its files import; the window cannot work without any of them.
const QList<QmlModule>& requiredQmlModules();
// What Qt Quick's non-native FileDialog/FolderDialog import (FileChooser falls back without).
const QList<QmlModule>& quickDialogModules();

// Each module of `modules` that does not load in `engine`: "URI (Debian package PKG): reason".
QStringList missingQmlModules(QQmlEngine& engine, const QList<QmlModule>& modules);

}  // namespace fvs::ui
