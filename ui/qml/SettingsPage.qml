import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlashVsr.Ui

// Qt 6.4's qmllint cannot type qint64 (qlonglong), QImage, QUrl methods, QVariantMap keys or JS
// array methods on QStringList/QVariantList: lines using them say `qmllint disable type`.

// Settings: models folder with its `models check` status, device, preferred engine, default
// export preset, theme and language (switches at once).
Dialog {
    id: root

    required property AppSettings settings
    property string chooserMessage: "" // why a file dialog could not be shown

    title: qsTr("Settings")
    modal: true
    width: 640
    // Our own button, not standardButtons: Qt's texts would need Qt's own translations.
    footer: DialogButtonBox {
        Button {
            objectName: "settingsCloseButton"
            text: qsTr("Close")
            onClicked: root.reject()
        }
    }

    FileChooser {
        id: modelsDialog

        objectName: "modelsFolderDialog"
        title: qsTr("FlashVSR models folder")
        mode: FileChooser.Folder
        onAccepted: urls => root.settings.modelsFolder = decodeURIComponent(urls[0].toString().replace("file://", "")) // qmllint disable type
        onFailed: message => root.chooserMessage = message
    }

    GridLayout {
        anchors.fill: parent
        columns: 2
        columnSpacing: 10
        rowSpacing: 8

        Label {
            text: qsTr("Models folder")
        }

        RowLayout {
            Layout.fillWidth: true

            TextField {
                id: modelsField

                objectName: "modelsFolderField"
                Layout.fillWidth: true
                text: root.settings.modelsFolder
                placeholderText: qsTr("search the default folders")
                onEditingFinished: root.settings.modelsFolder = text
            }

            Button {
                objectName: "modelsChooseButton"
                text: qsTr("Choose…")
                onClicked: modelsDialog.open()
            }

            Button {
                text: qsTr("Check")
                onClicked: root.settings.refreshModelStatus()
            }
        }

        Label {
            objectName: "chooserMessage"
            Layout.columnSpan: 2
            Layout.fillWidth: true
            visible: root.chooserMessage.length > 0
            text: root.chooserMessage
            color: "#e05050"
            wrapMode: Text.Wrap
        }

        Label {
            text: qsTr("Model status")
        }

        Label {
            objectName: "modelCheck"
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: {
                const s = root.settings.modelStatus;
                if (s.usable)
                    return qsTr("Usable: FlashVSR %1 in %2").arg(s.version).arg(s.folder);
                const problems = s.problems || [];
                return qsTr("Not usable — the preview and exports use Lanczos until this is fixed.") + (problems.length > 0 ? "\n" + problems.join("\n") : "");
            }
            color: root.settings.modelStatus.usable ? "#2ecc71" : "#e0a000" // qmllint disable type
        }

        Label {
            text: qsTr("Device")
        }

        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: {
                const d = root.settings.device;
                return d.cuda ? qsTr("%1 (%2 GiB), %3").arg(d.name).arg((d.totalMemoryBytes / 1073741824).toFixed(0)).arg(d.backend || "") : qsTr("%1 — no CUDA GPU found; FlashVSR would run on the CPU (very slow)").arg(d.name);
            }
        }

        Label {
            text: qsTr("Preview engine")
        }

        ComboBox {
            id: previewEngineBox

            objectName: "engineBox"
            model: root.settings.engines
            currentIndex: Math.max(0, root.settings.engines.indexOf(root.settings.preferredEngine)) // qmllint disable type
            displayText: EngineNames.title(currentText)
            onActivated: root.settings.preferredEngine = currentText
            delegate: ItemDelegate {
                required property string modelData

                width: ListView.view ? ListView.view.width : implicitWidth
                text: EngineNames.title(modelData) + " — " + EngineNames.help(modelData)
            }
        }

        Label {
            text: qsTr("Default export preset")
        }

        ComboBox {
            id: presetBox

            Layout.fillWidth: true
            textRole: "name"
            valueRole: "id"
            model: root.settings.presets
            Component.onCompleted: currentIndex = Math.max(0, indexOfValue(root.settings.defaultPreset))
            onActivated: root.settings.defaultPreset = currentValue
        }

        Label {
            text: qsTr("Theme")
        }

        ComboBox {
            objectName: "themeBox"
            model: [qsTr("Follow the system"), qsTr("Light"), qsTr("Dark")]
            currentIndex: ["system", "light", "dark"].indexOf(root.settings.theme) // qmllint disable type
            onActivated: index => root.settings.theme = ["system", "light", "dark"][index]
        }

        Label {
            text: qsTr("Language")
        }

        ComboBox {
            objectName: "languageBox"
            model: root.settings.languages.map(code => root.settings.languageName(code)) // qmllint disable type
            currentIndex: root.settings.languages.indexOf(root.settings.language) // qmllint disable type
            onActivated: index => root.settings.language = root.settings.languages[index]
        }
    }
}
