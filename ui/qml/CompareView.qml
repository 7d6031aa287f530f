import QtQuick
import QtQuick.Controls
import FlashVsr.Ui

// Qt 6.4's qmllint cannot type qint64 (qlonglong), QImage, QUrl methods, QVariantMap keys or JS
// array methods on QStringList/QVariantList: lines using them say `qmllint disable type`.

// The comparison player: side by side, split slider or A/B toggle, all sharing one zoom and pan
// (PreviewController.zoom/panX/panY), so both pictures always show the same spot.
Item {
    id: root

    required property PreviewController preview
    readonly property real fitZoom: mode === PreviewController.SideBySide ? leftView.fitZoom : fullOriginal.fitZoom
    readonly property int mode: preview.compareMode
    readonly property string engineLabel: preview.engineName === "" ? qsTr("Upscaled") : EngineNames.title(preview.engineName)

    signal openRequested

    function zoomIn() {
        preview.zoomIn(fitZoom);
    }

    function zoomOut() {
        preview.zoomOut(fitZoom);
    }

    // Zooms by `factor` keeping the content point under (x, y) of `view` in place.
    function zoomAt(view, x, y, factor) {
        const before = view.toContent(Qt.point(x, y));
        const current = preview.zoom > 0 ? preview.zoom : view.fitZoom;
        preview.zoom = Math.max(0.05, Math.min(8, current * factor));
        const s = preview.zoom / Screen.devicePixelRatio;
        preview.panX = before.x - preview.contentWidth / 2 - (x - view.width / 2) / s;
        preview.panY = before.y - preview.contentHeight / 2 - (y - view.height / 2) / s;
    }

    function panBy(view, dx, dy) {
        const s = (preview.zoom > 0 ? preview.zoom : view.fitZoom) / Screen.devicePixelRatio;
        preview.panX -= dx / s;
        preview.panY -= dy / s;
    }

    clip: true

    Rectangle {
        anchors.fill: parent
        color: "#101010"
    }

    // Side by side: two panes, original left, upscaled right.
    Row {
        anchors.fill: parent
        visible: root.mode === PreviewController.SideBySide && root.preview.hasSource

        Item {
            width: parent.width / 2
            height: parent.height
            clip: true

            VideoTextureItem {
                id: leftView

                objectName: "leftView"
                anchors.fill: parent
                image: root.preview.originalImage // qmllint disable type
                contentWidth: root.preview.contentWidth
                contentHeight: root.preview.contentHeight
                zoom: root.preview.zoom
                panX: root.preview.panX
                panY: root.preview.panY
            }
        }

        Item {
            width: parent.width / 2
            height: parent.height
            clip: true

            VideoTextureItem {
                id: rightView

                objectName: "rightView"
                anchors.fill: parent
                image: root.preview.upscaledImage // qmllint disable type
                // GPU frames (CUDA builds): shown through CUDA-OpenGL interop instead of `image`.
                deviceFrame: root.preview.upscaledDeviceFrame
                onDisplayFailed: message => root.preview.reportDisplayError(message)
                contentWidth: root.preview.contentWidth
                contentHeight: root.preview.contentHeight
                zoom: root.preview.zoom
                panX: root.preview.panX
                panY: root.preview.panY
            }
        }
    }

    // Split and A/B: one pane; the upscaled picture covers the part right of the divider.
    Item {
        id: single

        anchors.fill: parent
        visible: root.mode !== PreviewController.SideBySide && root.preview.hasSource

        VideoTextureItem {
            id: fullOriginal

            objectName: "originalView"
            anchors.fill: parent
            visible: root.mode === PreviewController.Split || !root.preview.showUpscaled
            image: root.preview.originalImage // qmllint disable type
            contentWidth: root.preview.contentWidth
            contentHeight: root.preview.contentHeight
            zoom: root.preview.zoom
            panX: root.preview.panX
            panY: root.preview.panY
        }

        Item {
            id: upscaledClip

            x: root.mode === PreviewController.Split ? Math.round(parent.width * root.preview.splitRatio) : 0
            width: parent.width - x
            height: parent.height
            clip: true
            visible: root.mode === PreviewController.Split || root.preview.showUpscaled

            VideoTextureItem {
                objectName: "upscaledView"
                x: -upscaledClip.x
                width: single.width
                height: single.height
                image: root.preview.upscaledImage // qmllint disable type
                // GPU frames (CUDA builds): shown through CUDA-OpenGL interop instead of `image`.
                deviceFrame: root.preview.upscaledDeviceFrame
                onDisplayFailed: message => root.preview.reportDisplayError(message)
                contentWidth: root.preview.contentWidth
                contentHeight: root.preview.contentHeight
                zoom: root.preview.zoom
                panX: root.preview.panX
                panY: root.preview.panY
            }
        }
    }

    // Wheel zooms at the cursor; dragging pans (both views follow, they share the controller).
    MouseArea {
        id: panArea

        property point last

        anchors.fill: parent
        enabled: root.preview.hasSource
        acceptedButtons: Qt.LeftButton
        cursorShape: pressed ? Qt.ClosedHandCursor : Qt.OpenHandCursor
        onPressed: mouse => last = Qt.point(mouse.x, mouse.y)
        onPositionChanged: mouse => {
            const view = root.mode === PreviewController.SideBySide ? leftView : fullOriginal;
            root.panBy(view, mouse.x - last.x, mouse.y - last.y);
            last = Qt.point(mouse.x, mouse.y);
        }
        onWheel: wheel => {
            const sideBySide = root.mode === PreviewController.SideBySide;
            const view = sideBySide ? leftView : fullOriginal;
            const x = sideBySide ? wheel.x % (root.width / 2) : wheel.x;
            root.zoomAt(view, x, wheel.y, wheel.angleDelta.y > 0 ? 1.25 : 0.8);
        }
        onDoubleClicked: root.preview.zoom > 0 ? root.preview.zoomToFit() : (root.preview.zoom = 1)
    }

    // The split divider: drag it, or focus it and use the arrow keys.
    Item {
        id: divider

        objectName: "splitHandle"
        x: Math.round(root.width * root.preview.splitRatio) - width / 2
        width: 24
        height: root.height
        visible: root.mode === PreviewController.Split && root.preview.hasSource
        activeFocusOnTab: true
        // While focused, the arrows move the divider instead of stepping frames.
        Keys.onShortcutOverride: event => event.accepted = (event.key === Qt.Key_Left || event.key === Qt.Key_Right)
        Keys.onLeftPressed: event => {
            root.preview.splitRatio -= event.modifiers & Qt.ShiftModifier ? 0.1 : 0.01;
        }
        Keys.onRightPressed: event => {
            root.preview.splitRatio += event.modifiers & Qt.ShiftModifier ? 0.1 : 0.01;
        }
        Accessible.role: Accessible.Slider
        Accessible.name: qsTr("Comparison divider")

        Rectangle {
            anchors.horizontalCenter: parent.horizontalCenter
            width: divider.activeFocus ? 3 : 2
            height: parent.height
            color: "white"
            opacity: 0.9
        }

        Rectangle {
            anchors.centerIn: parent
            width: 22
            height: 22
            radius: 11
            color: "white"
            border.color: "#202020"

            Text {
                anchors.centerIn: parent
                text: "⇔"
                color: "#202020"
                font.pixelSize: 14
            }
        }

        MouseArea {
            anchors.fill: parent
            cursorShape: Qt.SplitHCursor
            preventStealing: true
            onPressed: divider.forceActiveFocus()
            onPositionChanged: mouse => {
                const p = mapToItem(root, mouse.x, mouse.y);
                root.preview.splitRatio = p.x / root.width;
            }
        }
    }

    // Labels: which side is which.
    Label {
        anchors.left: parent.left
        anchors.top: parent.top
        anchors.margins: 8
        visible: root.preview.hasSource && (root.mode !== PreviewController.Toggle || !root.preview.showUpscaled)
        text: qsTr("Original")
        color: "white"
        padding: 4

        background: Rectangle {
            color: "#80000000"
            radius: 3
        }
    }

    Label {
        objectName: "upscaledLabel"
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 8
        visible: root.preview.hasSource && (root.mode !== PreviewController.Toggle || root.preview.showUpscaled)
        text: root.preview.upscaledReady ? root.engineLabel : root.preview.modelLoading ? qsTr("Loading the model…") : root.preview.engineName.length === 0 ? qsTr("Not upscaled") : root.preview.exportRunning ? qsTr("Upscaled preview paused while an export runs") : qsTr("%1 — upscaling…").arg(root.engineLabel)
        color: "white"
        padding: 4

        background: Rectangle {
            color: "#80000000"
            radius: 3
        }
    }

    // Model loading: progress of the file being read, Cancel; after a cancel, Retry.
    Pane {
        id: loadPane

        objectName: "modelLoadPane"
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 16
        width: Math.min(420, root.width - 32)
        visible: root.preview.hasSource && (root.preview.modelLoading || root.preview.loadCancelled)
        opacity: 0.95

        background: Rectangle {
            color: "#e0202020"
            radius: 6
        }

        Column {
            width: parent.width
            spacing: 6

            Label {
                objectName: "modelLoadLabel"
                width: parent.width
                color: "white"
                elide: Text.ElideMiddle
                text: root.preview.loadCancelled ? qsTr("Model loading cancelled") : root.preview.loadingFile.length > 0 ? qsTr("Loading the FlashVSR model: %1 (%2 %)").arg(root.preview.loadingFile).arg(Math.round(root.preview.loadProgress * 100)) : qsTr("Loading the FlashVSR model…")
            }

            Row {
                width: parent.width
                spacing: 8

                ProgressBar {
                    objectName: "modelLoadProgress"
                    width: parent.width - loadButton.width - parent.spacing
                    anchors.verticalCenter: parent.verticalCenter
                    visible: root.preview.modelLoading
                    from: 0
                    to: 1
                    value: root.preview.loadProgress
                }

                Item {
                    width: parent.width - loadButton.width - parent.spacing
                    height: 1
                    visible: !root.preview.modelLoading
                }

                Button {
                    id: loadButton

                    objectName: "modelLoadButton"
                    text: root.preview.modelLoading ? qsTr("Cancel") : qsTr("Retry")
                    onClicked: root.preview.modelLoading ? root.preview.cancelLoading() : root.preview.retryLoading()
                }
            }
        }
    }

    // Empty state.
    Column {
        anchors.centerIn: parent
        spacing: 12
        visible: !root.preview.hasSource

        Label {
            anchors.horizontalCenter: parent.horizontalCenter
            text: root.preview.loading ? qsTr("Opening…") : qsTr("Drop a video, several videos or a folder anywhere")
            color: "#d0d0d0"
            font.pixelSize: 18
        }

        Button {
            anchors.horizontalCenter: parent.horizontalCenter
            objectName: "openVideoButton"
            visible: !root.preview.loading
            text: qsTr("Open a video…")
            onClicked: root.openRequested()
        }

        Label {
            anchors.horizontalCenter: parent.horizontalCenter
            visible: root.preview.errorText.length > 0
            text: root.preview.errorText
            color: "#ff8080"
            wrapMode: Text.Wrap
            width: Math.min(implicitWidth, root.width - 40)
        }
    }
}
