pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlashVsr.Ui

// Qt 6.4's qmllint cannot type qint64 (qlonglong), QImage, QUrl methods, QVariantMap keys or JS
// array methods on QStringList/QVariantList: lines using them say `qmllint disable type`.

// Left panel: the opened clips, the current source's properties, engine/model status, device.
Pane {
    id: root

    required property PreviewController preview
    required property SourceListModel sources
    required property AppSettings settings
    readonly property var info: preview.sourceInfo

    signal openRequested(string path)

    function formatDuration(ms) {
        const s = Math.floor(ms / 1000);
        return "%1:%2:%3".arg(Math.floor(s / 3600)).arg(("0" + Math.floor(s / 60) % 60).slice(-2)).arg(("0" + s % 60).slice(-2));
    }

    function formatBytes(bytes) {
        return bytes > 0 ? qsTr("%1 GiB").arg((bytes / 1073741824).toFixed(1)) : qsTr("unknown");
    }

    padding: 8

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

        Label {
            text: qsTr("Clips")
            font.bold: true
        }

        ListView {
            id: clipList

            objectName: "clipList"
            Layout.fillWidth: true
            Layout.preferredHeight: Math.min(contentHeight, 160)
            clip: true
            model: root.sources

            delegate: ItemDelegate {
                required property string fileName
                required property string path
                required property int index

                width: ListView.view.width
                text: fileName
                highlighted: path === root.preview.sourcePath
                onClicked: root.openRequested(path)
            }
        }

        Label {
            visible: root.sources.count === 0
            text: qsTr("No clips yet.")
            opacity: 0.7
        }

        MenuSeparator {
            Layout.fillWidth: true
        }

        Label {
            text: qsTr("Source")
            font.bold: true
        }

        GridLayout {
            objectName: "sourceProperties"
            Layout.fillWidth: true
            columns: 2
            columnSpacing: 8
            rowSpacing: 2
            visible: root.preview.hasSource

            Label {
                text: qsTr("File")
                opacity: 0.7
            }

            Label {
                Layout.fillWidth: true
                text: root.preview.sourceName
                elide: Text.ElideMiddle
            }

            Label {
                text: qsTr("Video")
                opacity: 0.7
            }

            Label {
                Layout.fillWidth: true
                text: qsTr("%1, %2×%3").arg(root.info.codec || "").arg(root.info.width || 0).arg(root.info.height || 0)
                elide: Text.ElideRight
            }

            Label {
                text: qsTr("Frame rate")
                opacity: 0.7
            }

            Label {
                text: (root.info.fps || 0).toFixed(3) + (root.info.variableFrameRate ? qsTr(" (variable)") : "")
            }

            Label {
                text: qsTr("Frames")
                opacity: 0.7
            }

            Label {
                text: root.info.frameCountExact ? String(root.info.frameCount) : qsTr("≈ %1").arg(root.info.frameCount)
            }

            Label {
                text: qsTr("Duration")
                opacity: 0.7
            }

            Label {
                text: root.formatDuration(root.info.durationMs || 0)
            }

            Label {
                text: qsTr("Pixels")
                opacity: 0.7
            }

            Label {
                text: qsTr("%1, %2-bit").arg(root.info.pixelFormat || "").arg(root.info.bitDepth || 8)
            }

            Label {
                text: qsTr("Other streams")
                opacity: 0.7
            }

            Label {
                Layout.fillWidth: true
                text: (root.info.otherStreams || []).length > 0 ? root.info.otherStreams.join("\n") : qsTr("none")
                wrapMode: Text.Wrap
            }
        }

        Label {
            visible: !root.preview.hasSource
            text: qsTr("Nothing open.")
            opacity: 0.7
        }

        MenuSeparator {
            Layout.fillWidth: true
        }

        Label {
            text: qsTr("Engine")
            font.bold: true
        }

        Label {
            objectName: "engineStatus"
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: root.preview.engineName.length > 0 ? qsTr("Preview engine: %1").arg(root.preview.engineName) : root.preview.modelLoading ? qsTr("Preview engine: loading the FlashVSR model…") : root.preview.hasSource && root.preview.engineNote.length > 0 ? qsTr("Preview engine: none") : root.preview.hasSource ? qsTr("Preview engine: starting…") : qsTr("Preview engine: %1").arg(root.settings.preferredEngine)
        }

        Label {
            objectName: "engineNote"
            Layout.fillWidth: true
            visible: root.preview.engineNote.length > 0
            wrapMode: Text.Wrap
            text: root.preview.engineNote
            color: "#e0a000"
        }

        Label {
            objectName: "modelStatus"
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: root.settings.modelStatus.usable ? qsTr("FlashVSR %1 weights found in %2").arg(root.settings.modelStatus.version).arg(root.settings.modelStatus.folder) : qsTr("FlashVSR weights: not found (see Settings)") // qmllint disable type
        }

        Label {
            objectName: "deviceStatus"
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: root.settings.device.cuda ? qsTr("GPU: %1, %2 free of %3").arg(root.settings.device.name).arg(root.formatBytes(root.settings.device.freeMemoryBytes)).arg(root.formatBytes(root.settings.device.totalMemoryBytes)) : qsTr("Device: %1 (no CUDA GPU)").arg(root.settings.device.name) // qmllint disable type
        }

        Item {
            Layout.fillHeight: true
        }
    }
}
