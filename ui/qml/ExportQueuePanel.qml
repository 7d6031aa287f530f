pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlashVsr.Ui

// The export queue: reorder by dragging the handle, pause/resume/cancel/retry/restart/remove, progress
// with fps and ETA, open the output folder. The queue persists (core JobQueue) across restarts.
Pane {
    id: root

    required property ExportQueueModel queue

    function formatEta(seconds) {
        if (seconds < 0)
            return "";
        const m = Math.floor(seconds / 60);
        return m > 0 ? qsTr("%1 min %2 s left").arg(m).arg(seconds % 60) : qsTr("%1 s left").arg(seconds);
    }

    padding: 6

    ColumnLayout {
        anchors.fill: parent
        spacing: 4

        Label {
            text: qsTr("Export queue")
            font.bold: true
        }

        Label {
            visible: root.queue.count === 0
            text: qsTr("No exports yet. Press Ctrl+E to export the open clip.")
            wrapMode: Text.Wrap
            Layout.fillWidth: true
            opacity: 0.7
        }

        ListView {
            id: list

            objectName: "queueList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 4
            model: root.queue

            delegate: Rectangle {
                id: card

                required property int index
                required property string title
                required property string output
                required property string state
                required property string stateText
                required property real progress
                required property real fps
                required property int etaSeconds
                required property string error
                required property bool canPause
                required property bool canResume
                required property bool canCancel
                required property bool canRetry
                required property bool canRestart
                required property bool canRemove

                width: ListView.view.width
                height: column.implicitHeight + 12
                radius: 4
                color: root.palette.alternateBase
                border.color: dragArea.drag.active ? root.palette.highlight : root.palette.mid
                objectName: "job" + index

                ColumnLayout {
                    id: column

                    anchors.fill: parent
                    anchors.margins: 6
                    spacing: 2

                    RowLayout {
                        Layout.fillWidth: true

                        // Drag handle: drop onto another job to move this one there.
                        Label {
                            text: "≡"
                            font.pixelSize: 18

                            MouseArea {
                                id: dragArea

                                objectName: "dragHandle"
                                anchors.fill: parent
                                anchors.margins: -4
                                cursorShape: Qt.SizeVerCursor
                                preventStealing: true
                                onReleased: mouse => {
                                    const p = mapToItem(list.contentItem, mouse.x, mouse.y);
                                    const to = list.indexAt(10, p.y);
                                    if (to >= 0 && to !== card.index)
                                        root.queue.move(card.index, to);
                                }
                            }
                        }

                        Label {
                            Layout.fillWidth: true
                            text: card.title
                            font.bold: true
                            elide: Text.ElideMiddle
                        }

                        Label {
                            objectName: "stateLabel"
                            text: card.stateText
                            color: card.state === "failed" ? "#e05050" : card.state === "done" ? "#2ecc71" : root.palette.text
                        }
                    }

                    ProgressBar {
                        Layout.fillWidth: true
                        value: card.progress
                        visible: card.state !== "done"
                    }

                    Label {
                        Layout.fillWidth: true
                        visible: card.state === "running"
                        text: qsTr("%1 % · %2 fps · %3").arg(Math.round(card.progress * 100)).arg(card.fps.toFixed(1)).arg(root.formatEta(card.etaSeconds))
                        font.pixelSize: 11
                    }

                    Label {
                        Layout.fillWidth: true
                        visible: card.error.length > 0
                        text: card.error
                        color: "#e05050"
                        wrapMode: Text.Wrap
                        font.pixelSize: 11
                    }

                    Label {
                        Layout.fillWidth: true
                        text: card.output.split("/").pop()
                        elide: Text.ElideMiddle
                        opacity: 0.7
                        font.pixelSize: 11
                    }

                    Flow {
                        Layout.fillWidth: true
                        spacing: 2

                        Button {
                            objectName: "pauseButton"
                            visible: card.canPause
                            text: qsTr("Pause")
                            flat: true
                            onClicked: root.queue.pause(card.index)
                        }

                        Button {
                            objectName: "resumeButton"
                            visible: card.canResume
                            text: qsTr("Resume")
                            flat: true
                            onClicked: root.queue.resume(card.index)
                        }

                        Button {
                            objectName: "cancelButton"
                            visible: card.canCancel
                            text: qsTr("Cancel")
                            flat: true
                            onClicked: root.queue.cancel(card.index)
                        }

                        Button {
                            objectName: "retryButton"
                            visible: card.canRetry
                            text: qsTr("Retry")
                            flat: true
                            onClicked: root.queue.retry(card.index)
                        }

                        Button {
                            objectName: "restartButton"
                            visible: card.canRestart
                            text: qsTr("Restart")
                            flat: true
                            ToolTip.visible: hovered
                            ToolTip.delay: 600
                            ToolTip.text: qsTr("Render again from the first frame (its finished segments are deleted)")
                            onClicked: root.queue.restart(card.index)
                        }

                        Button {
                            objectName: "removeButton"
                            visible: card.canRemove
                            text: qsTr("Remove")
                            flat: true
                            onClicked: root.queue.remove(card.index)
                        }

                        Button {
                            visible: card.state === "done"
                            text: qsTr("Open folder")
                            flat: true
                            onClicked: root.queue.openOutputFolder(card.index)
                        }
                    }
                }
            }
        }

        Label {
            Layout.fillWidth: true
            visible: root.queue.errorText.length > 0
            text: root.queue.errorText
            color: "#e05050"
            wrapMode: Text.Wrap
        }
    }
}
