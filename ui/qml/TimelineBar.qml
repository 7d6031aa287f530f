pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlashVsr.Ui

// Qt 6.4's qmllint cannot type qint64 (qlonglong), QImage, QUrl methods, QVariantMap keys or JS
// array methods on QStringList/QVariantList: lines using them say `qmllint disable type`.

// Timeline: thumbnails, scrubbing, in/out markers, the frames already upscaled, transport.
Pane {
    id: root

    required property PreviewController preview
    readonly property real lastFrame: Math.max(1, preview.frameCount - 1) // qmllint disable type

    function frameAt(x) {
        return Math.round(Math.max(0, Math.min(1, x / track.width)) * lastFrame);
    }

    function xOf(frame) {
        return frame / lastFrame * track.width;
    }

    padding: 6

    ColumnLayout {
        anchors.fill: parent
        spacing: 4

        Item {
            id: track

            objectName: "timelineTrack"
            Layout.fillWidth: true
            Layout.preferredHeight: 56
            enabled: root.preview.hasSource

            Rectangle {
                anchors.fill: parent
                color: root.palette.base
                border.color: root.palette.mid
            }

            // Thumbnails, decoded off the GUI thread by the "thumbnails" image provider.
            Row {
                anchors.fill: parent
                anchors.margins: 1
                clip: true
                visible: root.preview.hasSource

                Repeater {
                    model: root.preview.hasSource ? Math.max(1, Math.floor(track.width / 90)) : 0

                    Image {
                        required property int index

                        objectName: "thumbnail"
                        width: track.width / Math.max(1, Math.floor(track.width / 90))
                        height: track.height - 2
                        fillMode: Image.PreserveAspectCrop
                        asynchronous: true
                        cache: true
                        sourceSize.height: 64
                        source: "image://thumbnails/" + Math.min(root.lastFrame, Math.round((index + 0.5) / Math.max(1, Math.floor(track.width / 90)) * root.lastFrame)) + "?" + encodeURIComponent(root.preview.sourcePath)
                        opacity: 0.75
                    }
                }
            }

            // In/out range.
            Rectangle {
                readonly property real from: root.preview.inFrame >= 0 ? root.xOf(root.preview.inFrame) : 0 // qmllint disable type
                readonly property real to: root.preview.outFrame >= 0 ? root.xOf(root.preview.outFrame) : track.width // qmllint disable type

                visible: root.preview.inFrame >= 0 || root.preview.outFrame >= 0 // qmllint disable type
                x: from
                width: Math.max(2, to - from)
                height: parent.height
                color: "transparent"
                border.color: "#f0b400"
                border.width: 2
            }

            // Frames already upscaled (a green band under the thumbnails).
            Repeater {
                model: root.preview.upscaledRanges

                Rectangle {
                    required property var modelData

                    objectName: "upscaledMark"
                    x: root.xOf(modelData.from)
                    width: Math.max(2, root.xOf(modelData.to + 1) - root.xOf(modelData.from))
                    y: parent.height - 6
                    height: 6
                    color: "#2ecc71"
                }
            }

            Rectangle {
                objectName: "playhead"
                x: root.xOf(root.preview.frameIndex) - 1 // qmllint disable type
                width: 2
                height: parent.height
                color: "#ff4040"
                visible: root.preview.hasSource
            }

            MouseArea {
                anchors.fill: parent
                preventStealing: true
                onPressed: mouse => root.preview.seek(root.frameAt(mouse.x))
                onPositionChanged: mouse => root.preview.seek(root.frameAt(mouse.x))
            }
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: 4

            ToolButton {
                text: "|◀"
                enabled: root.preview.hasSource
                onClicked: root.preview.step(-1)
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Previous frame (←)")
            }

            ToolButton {
                objectName: "playButton"
                text: root.preview.playing ? "❚❚" : "▶"
                enabled: root.preview.hasSource
                onClicked: root.preview.togglePlay()
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Play or pause (Space)")
            }

            ToolButton {
                text: "▶|"
                enabled: root.preview.hasSource
                onClicked: root.preview.step(1)
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Next frame (→)")
            }

            Label {
                objectName: "timecode"
                font.family: "DejaVu Sans Mono"
                text: qsTr("%1  frame %2 / %3").arg(root.preview.timecode).arg(root.preview.frameIndex + 1).arg(root.preview.frameCount) // qmllint disable type
            }

            Item {
                Layout.fillWidth: true
            }

            Button {
                text: qsTr("In (I)")
                flat: true
                enabled: root.preview.hasSource
                onClicked: root.preview.markIn()
            }

            Button {
                text: qsTr("Out (O)")
                flat: true
                enabled: root.preview.hasSource
                onClicked: root.preview.markOut()
            }

            Button {
                text: qsTr("Clear in/out")
                flat: true
                enabled: root.preview.inFrame >= 0 || root.preview.outFrame >= 0 // qmllint disable type
                onClicked: root.preview.clearInOut()
            }
        }
    }
}
