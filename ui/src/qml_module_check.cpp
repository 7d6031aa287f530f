#include "qml_module_check.h"

#include <QQmlComponent>
#include <QQmlEngine>
#include <QUrl>

namespace fvs::ui {

const QList<QmlModule>& requiredQmlModules() {
    static const QList<QmlModule> modules{
        {QStringLiteral("QtQml"), QStringLiteral("qml6-module-qtqml")},
        {QStringLiteral("QtQml.Models"), QStringLiteral("qml6-module-qtqml-models")},
        {QStringLiteral("QtQml.WorkerScript"), QStringLiteral("qml6-module-qtqml-workerscript")},
        {QStringLiteral("QtQuick"), QStringLiteral("qml6-module-qtquick")},
        {QStringLiteral("QtQuick.Window"), QStringLiteral("qml6-module-qtquick-window")},
        {QStringLiteral("QtQuick.Layouts"), QStringLiteral("qml6-module-qtquick-layouts")},
        {QStringLiteral("QtQuick.Templates"), QStringLiteral("qml6-module-qtquick-templates")},
        {QStringLiteral("QtQuick.Controls"), QStringLiteral("qml6-module-qtquick-controls")},
        {QStringLiteral("QtQuick.Controls.Fusion"), QStringLiteral("qml6-module-qtquick-controls")},
    };
    return modules;
}

const QList<QmlModule>& quickDialogModules() {
    static const QList<QmlModule> modules{
        {QStringLiteral("QtQuick.Dialogs"), QStringLiteral("qml6-module-qtquick-dialogs")},
        {QStringLiteral("QtQuick.Dialogs.quickimpl"),
         QStringLiteral("qml6-module-qtquick-dialogs")},
        {QStringLiteral("QtQuick.Controls.impl"), QStringLiteral("qml6-module-qtquick-controls")},
        {QStringLiteral("Qt.labs.folderlistmodel"),
         QStringLiteral("qml6-module-qt-labs-folderlistmodel")},
    };
    return modules;
}

QStringList missingQmlModules(QQmlEngine& engine, const QList<QmlModule>& modules) {
    QStringList missing;
    for (const QmlModule& module : modules) {
        QQmlComponent component(&engine);
        component.setData(
            QStringLiteral("import QtQml\nimport %1\nQtObject {}\n").arg(module.uri).toUtf8(),
            QUrl(QStringLiteral("qrc:/FlashVsr/Ui/ModuleCheck.qml")));
        if (component.isError()) {
            QStringList reasons;
            for (const QQmlError& e : component.errors())
                reasons << e.description();
            missing << QStringLiteral("%1 (Debian package %2): %3")
                           .arg(module.uri, module.debPackage, reasons.join(QLatin1String(" ")));
            continue;
        }
        delete component.create();
    }
    return missing;
}

}  // namespace fvs::ui
