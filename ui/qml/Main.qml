pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.Window
import FlashVsr.Ui

// Qt 6.4's qmllint cannot type qint64 (qlonglong), QImage, QUrl methods, QVariantMap keys or JS
// array methods on QStringList/QVariantList: lines using them say `qmllint disable type`.
// Qt 6.4's qmllint cannot resolve the StandardKey enum (a value type's enum): those lines say
// `qmllint disable unqualified`.

// The main window: drop anywhere, source panel, comparison player with timeline, export queue.
ApplicationWindow {
    id: window

    required property PreviewController preview
    required property SourceListModel sources
    required property AppSettings settings
    required property ExportQueueModel exportQueue
    property string pendingOpen: "" // the path openPath() asked the preview to open
    property bool quitConfirmed: false // the user chose to quit during an export

    // Theme: "dark"/"light" as chosen; "system" follows the platform palette's lightness.
    readonly property bool darkTheme: settings.theme === "dark" || (settings.theme === "system" && systemPalette.window.hslLightness < 0.5)
    readonly property var colors: darkTheme ? darkColors : lightColors
    readonly property var darkColors: ({
            "window": "#1e1f22",
            "windowText": "#e6e6e6",
            "base": "#17181a",
            "alternateBase": "#24262a",
            "text": "#e6e6e6",
            "button": "#2b2d31",
            "buttonText": "#e6e6e6",
            "highlight": "#3d7eff",
            "highlightedText": "#ffffff",
            "mid": "#3a3c40",
            "dark": "#111214",
            "light": "#44474d",
            "placeholderText": "#8a8d93"
        })
    readonly property var lightColors: ({
            "window": "#f4f5f7",
            "windowText": "#1c1d20",
            "base": "#ffffff",
            "alternateBase": "#eceef1",
            "text": "#1c1d20",
            "button": "#e4e6ea",
            "buttonText": "#1c1d20",
            "highlight": "#2f6fed",
            "highlightedText": "#ffffff",
            "mid": "#c9ccd2",
            "dark": "#9a9ea6",
            "light": "#ffffff",
            "placeholderText": "#7a7e86"
        })

    // Opens dropped/picked files; explains what could not be opened.
    function openUrls(urls) {
        const result = sources.addUrls(urls);
        if (result.message.length > 0) // qmllint disable type
            toast.show(result.message, true);
        if (result.added.length > 0)
            openPath(result.added[0]);
        return result;
    }

    // The file joins Recent once it opened; one that cannot be opened leaves Clips and Recent.
    function openPath(path) {
        pendingOpen = path;
        preview.open("file://" + path);
    }

    function showExport() {
        if (!preview.hasSource) {
            toast.show(qsTr("Open a video first, then export it."), true);
            return;
        }
        exportDialog.open();
    }

    width: 1280
    height: 800
    minimumWidth: 900
    minimumHeight: 600
    visible: true
    title: preview.hasSource ? qsTr("%1 — FlashVSR Studio").arg(preview.sourceName) : qsTr("FlashVSR Studio")
    palette.window: colors.window
    palette.windowText: colors.windowText
    palette.base: colors.base
    palette.alternateBase: colors.alternateBase
    palette.text: colors.text
    palette.button: colors.button
    palette.buttonText: colors.buttonText
    palette.highlight: colors.highlight
    palette.highlightedText: colors.highlightedText
    palette.mid: colors.mid
    palette.dark: colors.dark
    palette.light: colors.light
    palette.placeholderText: colors.placeholderText

    // Closing during an export asks first: the job would stop (and resume at the next start).
    onClosing: close => {
        if (exportQueue.exporting && !quitConfirmed) {
            close.accepted = false;
            quitDialog.open();
        }
    }

    SystemPalette {
        id: systemPalette
    }

    Connections {
        function onOpened(path) {
            if (path === window.pendingOpen)
                window.settings.addRecentFile(path);
            window.pendingOpen = "";
        }

        function onOpenFailed(path, message) {
            toast.show(qsTr("Cannot open %1: %2").arg(path.split("/").pop()).arg(message), true);
            const row = window.sources.indexOf(path);
            if (row >= 0)
                window.sources.remove(row);
            window.settings.removeRecentFile(path);
            window.pendingOpen = "";
        }

        target: window.preview
    }

    Connections {
        function onJobFinished(id, title, success, message) {
            if (success)
                toast.show(qsTr("Export finished: %1").arg(title), false);
            else
                toast.show(qsTr("Export failed: %1 — %2").arg(title).arg(message), true);
            window.alert(0);
        }

        target: window.exportQueue
    }

    // Qt Quick's dialog where its modules load, else the portal's or Qt Widgets' (FileChooser).
    FileChooser {
        id: openDialog

        objectName: "openDialog"
        title: qsTr("Open videos")
        mode: FileChooser.OpenFiles
        nameFilters: [qsTr("Videos (*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.mxf *.ts *.m2ts *.mpg *.y4m)"), qsTr("All files (*)")]
        onAccepted: urls => window.openUrls(urls)
        onFailed: message => toast.show(message, true)
    }

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            spacing: 4

            ToolButton {
                objectName: "openButton"
                text: qsTr("Open…")
                onClicked: openDialog.open()
            }

            ToolButton {
                id: recentButton

                text: qsTr("Recent")
                enabled: window.settings.recentFiles.length > 0
                onClicked: recentMenu.open()

                Menu {
                    id: recentMenu

                    y: recentButton.height

                    Repeater {
                        model: window.settings.recentFiles

                        MenuItem {
                            required property string modelData

                            text: modelData.split("/").pop()
                            onTriggered: window.openUrls(["file://" + modelData])
                        }
                    }

                    MenuSeparator {
                    }

                    MenuItem {
                        text: qsTr("Clear recent files")
                        onTriggered: window.settings.clearRecentFiles()
                    }
                }
            }

            ToolSeparator {
            }

            ButtonGroup {
                id: modeGroup
            }

            ToolButton {
                objectName: "modeSideBySide"
                text: qsTr("Side by side")
                checkable: true
                checked: window.preview.compareMode === PreviewController.SideBySide
                ButtonGroup.group: modeGroup
                onClicked: window.preview.compareMode = PreviewController.SideBySide
            }

            ToolButton {
                objectName: "modeSplit"
                text: qsTr("Split")
                checkable: true
                checked: window.preview.compareMode === PreviewController.Split
                ButtonGroup.group: modeGroup
                onClicked: window.preview.compareMode = PreviewController.Split
            }

            ToolButton {
                objectName: "modeToggle"
                text: qsTr("A/B")
                checkable: true
                checked: window.preview.compareMode === PreviewController.Toggle
                ButtonGroup.group: modeGroup
                onClicked: window.preview.compareMode = PreviewController.Toggle
            }

            ToolSeparator {
            }

            ToolButton {
                text: qsTr("−")
                onClicked: compare.zoomOut()
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Zoom out (−)")
            }

            Label {
                objectName: "zoomLabel"
                Layout.minimumWidth: 56
                horizontalAlignment: Text.AlignHCenter
                // The zoom in use, also when fitted (the Fit button below is the only "Fit").
                text: qsTr("%1 %").arg(Math.round((window.preview.zoom > 0 ? window.preview.zoom : compare.fitZoom) * 100))
            }

            ToolButton {
                text: qsTr("+")
                onClicked: compare.zoomIn()
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Zoom in (+)")
            }

            ToolButton {
                text: qsTr("100 %")
                onClicked: window.preview.zoom = 1
            }

            ToolButton {
                objectName: "fitButton"
                text: qsTr("Fit")
                onClicked: window.preview.zoomToFit()
            }

            Item {
                Layout.fillWidth: true
            }

            ToolButton {
                objectName: "exportButton"
                text: qsTr("Export…")
                onClicked: window.showExport()
            }

            ToolButton {
                text: qsTr("Queue (%1)").arg(window.exportQueue.activeCount)
                checkable: true
                checked: queuePanel.visible
                onToggled: queuePanel.visible = checked
            }

            ToolButton {
                text: qsTr("Settings")
                onClicked: settingsPage.open()
            }
        }
    }

    // Keyboard: the player's shortcuts work wherever the focus is, except in text fields.
    Shortcut {
        sequence: "Space"
        onActivated: window.preview.togglePlay()
    }

    Shortcut {
        sequence: "Left"
        onActivated: window.preview.step(-1)
    }

    Shortcut {
        sequence: "Right"
        onActivated: window.preview.step(1)
    }

    Shortcut {
        sequence: "Shift+Left"
        onActivated: window.preview.step(-10)
    }

    Shortcut {
        sequence: "Shift+Right"
        onActivated: window.preview.step(10)
    }

    Shortcut {
        sequence: "Home"
        onActivated: window.preview.seek(0)
    }

    Shortcut {
        sequence: "End"
        onActivated: window.preview.seek(window.preview.frameCount - 1) // qmllint disable type
    }

    Shortcut {
        sequence: "I"
        onActivated: window.preview.markIn()
    }

    Shortcut {
        sequence: "O"
        onActivated: window.preview.markOut()
    }

    Shortcut {
        sequences: ["+", "=", StandardKey.ZoomIn] // qmllint disable unqualified
        onActivated: compare.zoomIn()
    }

    Shortcut {
        sequences: ["-", StandardKey.ZoomOut] // qmllint disable unqualified
        onActivated: compare.zoomOut()
    }

    Shortcut {
        sequence: "0"
        onActivated: window.preview.zoomToFit()
    }

    Shortcut {
        sequence: "1"
        onActivated: window.preview.zoom = 1
    }

    Shortcut {
        sequence: "A"
        onActivated: window.preview.toggleAB()
    }

    Shortcut {
        sequence: "M"
        onActivated: window.preview.compareMode = (window.preview.compareMode + 1) % 3
    }

    Shortcut {
        sequence: "["
        onActivated: window.preview.splitRatio = window.preview.splitRatio - 0.05
    }

    Shortcut {
        sequence: "]"
        onActivated: window.preview.splitRatio = window.preview.splitRatio + 0.05
    }

    Shortcut {
        sequence: "Ctrl+E"
        onActivated: window.showExport()
    }

    Shortcut {
        sequence: StandardKey.Open // qmllint disable unqualified
        onActivated: openDialog.open()
    }

    Shortcut {
        sequence: "Ctrl+,"
        onActivated: settingsPage.open()
    }

    Shortcut {
        sequence: "F11"
        onActivated: window.visibility = window.visibility === Window.FullScreen ? Window.Windowed : Window.FullScreen
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        SourcePanel {
            Layout.preferredWidth: 260
            Layout.fillHeight: true
            preview: window.preview
            sources: window.sources
            settings: window.settings
            onOpenRequested: path => window.openPath(path)
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            CompareView {
                id: compare

                objectName: "compareView"
                Layout.fillWidth: true
                Layout.fillHeight: true
                preview: window.preview
                onOpenRequested: openDialog.open()
            }

            TimelineBar {
                objectName: "timeline"
                Layout.fillWidth: true
                preview: window.preview
            }
        }

        ExportQueuePanel {
            id: queuePanel

            objectName: "queuePanel"
            Layout.preferredWidth: 320
            Layout.fillHeight: true
            visible: window.exportQueue.count > 0
            queue: window.exportQueue
        }
    }

    // Drop anywhere: the overlay says what will happen before the user lets go.
    DropArea {
        id: dropArea

        objectName: "dropArea"
        anchors.fill: parent
        keys: ["text/uri-list"]
        onDropped: drop => {
            if (!drop.hasUrls) {
                toast.show(qsTr("Only files and folders can be dropped here."), true);
                return;
            }
            window.openUrls(drop.urls);
            drop.accept(Qt.CopyAction);
        }

        Rectangle {
            anchors.fill: parent
            visible: dropArea.containsDrag
            color: Qt.rgba(0.2, 0.45, 1, 0.18)
            border.color: window.palette.highlight
            border.width: 3

            Label {
                anchors.centerIn: parent
                text: qsTr("Drop videos or folders to open them")
                font.pixelSize: 22
            }
        }
    }

    ExportDialog {
        id: exportDialog

        objectName: "exportDialog"
        anchors.centerIn: parent
        preview: window.preview
        queue: window.exportQueue
        settings: window.settings
        onQueued: queuePanel.visible = true
    }

    SettingsPage {
        id: settingsPage

        objectName: "settingsPage"
        anchors.centerIn: parent
        settings: window.settings
    }

    Dialog {
        id: quitDialog

        objectName: "quitDialog"
        anchors.centerIn: parent
        width: 460
        modal: true
        title: qsTr("An export is running")
        footer: DialogButtonBox {
            Button {
                objectName: "quitKeepButton"
                text: qsTr("Keep exporting")
                onClicked: quitDialog.reject()
            }

            Button {
                objectName: "quitAnywayButton"
                text: qsTr("Quit")
                onClicked: {
                    window.quitConfirmed = true;
                    quitDialog.accept();
                    window.close();
                }
            }
        }

        Label {
            width: parent.width
            wrapMode: Text.Wrap
            text: qsTr("Quit now? The export stops and resumes from its last completed segment the next time FlashVSR Studio starts.")
        }
    }

    Toast {
        id: toast

        objectName: "toast"
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 90
    }
}
