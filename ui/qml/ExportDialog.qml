import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlashVsr.Ui

// Qt 6.4's qmllint cannot type qint64 (qlonglong), QImage, QUrl methods, QVariantMap keys or JS
// array methods on QStringList/QVariantList: lines using them say `qmllint disable type`.

// The export dialog: a preset fills codec, container, pixel format and quality; everything can
// be changed before the job goes to the queue.
Dialog {
    id: root

    required property PreviewController preview
    required property ExportQueueModel queue
    required property AppSettings settings
    property string chooserMessage: "" // why a file dialog could not be shown
    readonly property var presets: queue.presets
    readonly property var currentPreset: presets[presetBox.currentIndex] || {}
    // What would make the job fail at once (no encoder, too large, no weights): shown, and the
    // job is not queued.
    readonly property var problems: visible && preview.hasSource ? queue.problems(spec()) : []

    signal queued(var jobId)

    function spec() {
        const s = {
            "input": preview.sourcePath,
            "sourceWidth": preview.sourceInfo.width || 0, // qmllint disable type
            "sourceHeight": preview.sourceInfo.height || 0, // qmllint disable type
            "folder": folderField.text,
            "pattern": patternField.text,
            "preset": currentPreset.id,
            "codec": codecField.text,
            "container": containerField.text,
            "pixelFormat": pixelFormatField.text,
            "extension": currentPreset.extension,
            "engine": engineBox.currentText,
            "modelsFolder": settings.modelsFolder,
            "inFrame": useRange.checked ? preview.inFrame : -1,
            "outFrame": useRange.checked ? preview.outFrame : -1,
            "decoder": decoderBox.currentIndex === 0 ? "tiny" : "full",
            "modelVersion": engineBox.currentText !== "flashvsr" || versionBox.currentIndex === 0 ? "" : versionBox.currentText,
            "sparseRatio": sparseSpin.value / 10
        };
        if (rateMode.currentIndex === 0)
            s.crf = crfSpin.value;
        else
            s.bitrate = bitrateSpin.value * 1000000;
        if (sizeMode.currentIndex === 0) {
            s.scale = scaleBox.currentIndex === 0 ? 2 : scaleBox.currentIndex === 1 ? 3 : 4;
        } else {
            s.targetWidth = widthSpin.value;
            s.targetHeight = heightSpin.value;
        }
        return s;
    }

    function applyPreset() {
        codecField.text = currentPreset.codec || "";
        containerField.text = currentPreset.container || "";
        pixelFormatField.text = currentPreset.pixelFormat || "";
        if ((currentPreset.crf || -1) >= 0) {
            rateMode.currentIndex = 0;
            crfSpin.value = currentPreset.crf;
        }
    }

    title: qsTr("Export")
    modal: true
    width: 620
    // Our own button, not standardButtons: Qt's texts would need Qt's own translations.
    footer: DialogButtonBox {
        Button {
            objectName: "exportCancelButton"
            text: qsTr("Cancel")
            onClicked: root.reject()
        }
    }
    onOpened: {
        const wanted = settings.defaultPreset;
        for (let i = 0; i < presets.length; ++i)
            if (presets[i].id === wanted)
                presetBox.currentIndex = i;
        applyPreset();
        const engines = settings.engines;
        // Without FlashVSR's weights the default is Real-ESRGAN (installed by the setup).
        const fallback = engines.indexOf("realesrgan") >= 0 ? "realesrgan" : "lanczos";
        engineBox.currentIndex = Math.max(0, engines.indexOf(settings.modelStatus.usable ? "flashvsr" : fallback));
        useRange.checked = preview.inFrame >= 0 || preview.outFrame >= 0;
    }

    FileChooser {
        id: folderDialog

        objectName: "outputFolderDialog"
        title: qsTr("Output folder")
        mode: FileChooser.Folder
        onAccepted: urls => folderField.text = decodeURIComponent(urls[0].toString().replace("file://", "")) // qmllint disable type
        onFailed: message => root.chooserMessage = message
    }

    GridLayout {
        anchors.fill: parent
        columns: 2
        columnSpacing: 10
        rowSpacing: 6

        Label {
            text: qsTr("Preset")
        }

        ComboBox {
            id: presetBox

            objectName: "presetBox"
            Layout.fillWidth: true
            model: root.presets
            textRole: "name"
            onActivated: root.applyPreset()
        }

        Item {
            width: 1
            height: 1
        }

        Label {
            Layout.fillWidth: true
            text: root.currentPreset.hint || ""
            opacity: 0.7
            wrapMode: Text.Wrap
        }

        Label {
            text: qsTr("Codec / container")
        }

        RowLayout {
            Layout.fillWidth: true

            TextField {
                id: codecField

                Layout.fillWidth: true
                placeholderText: qsTr("codec, e.g. libx264")
            }

            TextField {
                id: containerField

                Layout.preferredWidth: 90
                placeholderText: qsTr("container")
            }
        }

        Label {
            text: qsTr("Pixel format")
        }

        TextField {
            id: pixelFormatField

            Layout.fillWidth: true
            placeholderText: qsTr("automatic")
        }

        Label {
            text: qsTr("Quality")
        }

        RowLayout {
            ComboBox {
                id: rateMode

                model: [qsTr("CRF"), qsTr("Bitrate")]
            }

            SpinBox {
                id: crfSpin

                visible: rateMode.currentIndex === 0
                from: 0
                to: 63
                value: 18
            }

            SpinBox {
                id: bitrateSpin

                visible: rateMode.currentIndex === 1
                from: 1
                to: 1000
                value: 40
            }

            Label {
                visible: rateMode.currentIndex === 1
                text: qsTr("Mbit/s")
            }
        }

        Label {
            text: qsTr("Size")
        }

        RowLayout {
            ComboBox {
                id: sizeMode

                model: [qsTr("Scale factor"), qsTr("Target size")]
            }

            ComboBox {
                id: scaleBox

                visible: sizeMode.currentIndex === 0
                model: ["×2", "×3", "×4"]
                currentIndex: 2
            }

            SpinBox {
                id: widthSpin

                visible: sizeMode.currentIndex === 1
                from: 16
                to: 16384
                value: 3840
                editable: true
            }

            Label {
                visible: sizeMode.currentIndex === 1
                text: "×"
            }

            SpinBox {
                id: heightSpin

                visible: sizeMode.currentIndex === 1
                from: 16
                to: 16384
                value: 2160
                editable: true
            }
        }

        Label {
            text: qsTr("Range")
        }

        CheckBox {
            id: useRange

            enabled: root.preview.inFrame >= 0 || root.preview.outFrame >= 0 // qmllint disable type
            text: enabled ? qsTr("Only in/out: frames %1 to %2").arg(Math.max(0, root.preview.inFrame) + 1).arg(root.preview.outFrame >= 0 ? root.preview.outFrame + 1 : root.preview.frameCount) : qsTr("Whole clip (set in/out with I and O)") // qmllint disable type
        }

        Label {
            text: qsTr("Engine")
        }

        ColumnLayout {
            Layout.fillWidth: true
            spacing: 2

            ComboBox {
                id: engineBox

                objectName: "exportEngineBox"
                Layout.fillWidth: true
                model: root.settings.engines
                displayText: EngineNames.title(currentText)
                delegate: ItemDelegate {
                    required property string modelData

                    width: ListView.view ? ListView.view.width : implicitWidth
                    text: EngineNames.title(modelData)
                }
            }

            Label {
                objectName: "exportEngineHelp"
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                opacity: 0.7
                text: EngineNames.help(engineBox.currentText)
            }
        }

        Label {
            text: qsTr("Model")
            enabled: engineBox.currentText === "flashvsr"
        }

        RowLayout {
            enabled: engineBox.currentText === "flashvsr"

            ComboBox {
                id: versionBox

                model: [qsTr("Detect version"), "v1", "v1.1"]
            }

            ComboBox {
                id: decoderBox

                model: [qsTr("Tiny decoder"), qsTr("Full VAE decoder")]
            }

            Label {
                text: qsTr("Sparse ratio")
            }

            SpinBox {
                id: sparseSpin

                from: 10
                to: 40
                value: 20
                stepSize: 1
                textFromValue: value => (value / 10).toFixed(1)
                valueFromText: text => Math.round(parseFloat(text) * 10)
            }
        }

        Label {
            text: qsTr("Output folder")
        }

        RowLayout {
            Layout.fillWidth: true

            TextField {
                id: folderField

                Layout.fillWidth: true
                placeholderText: qsTr("next to the source")
            }

            Button {
                objectName: "outputFolderChooseButton"
                text: qsTr("Choose…")
                onClicked: folderDialog.open()
            }
        }

        Label {
            Layout.columnSpan: 2
            Layout.fillWidth: true
            visible: root.chooserMessage.length > 0
            text: root.chooserMessage
            color: "#e05050"
            wrapMode: Text.Wrap
        }

        Label {
            text: qsTr("File name")
        }

        TextField {
            id: patternField

            Layout.fillWidth: true
            text: "{name}_{engine}_{scale}"
            ToolTip.visible: activeFocus
            ToolTip.text: qsTr("Tokens: {name} {engine} {scale} {preset} {date}")
        }

        Label {
            text: qsTr("Writes")
        }

        Label {
            objectName: "outputPreview"
            Layout.fillWidth: true
            text: root.visible && root.preview.hasSource ? root.queue.previewOutputPath(root.spec()) : ""
            elide: Text.ElideMiddle
            opacity: 0.8
        }

        Label {
            Layout.columnSpan: 2
            Layout.fillWidth: true
            visible: root.queue.errorText.length > 0
            text: root.queue.errorText
            color: "#e05050"
            wrapMode: Text.Wrap
        }

        Label {
            objectName: "problemsLabel"
            Layout.columnSpan: 2
            Layout.fillWidth: true
            visible: root.problems.length > 0 // qmllint disable type
            text: qsTr("Cannot run: %1").arg(root.problems.join("\n")) // qmllint disable type
            color: "#e05050"
            wrapMode: Text.Wrap
        }

        Button {
            objectName: "queueButton"
            Layout.columnSpan: 2
            Layout.alignment: Qt.AlignRight
            enabled: root.problems.length === 0 // qmllint disable type
            text: qsTr("Add to queue")
            highlighted: true
            onClicked: {
                const id = root.queue.enqueue(root.spec());
                if (id > 0) {
                    root.queued(id);
                    root.close();
                }
            }
        }
    }
}
