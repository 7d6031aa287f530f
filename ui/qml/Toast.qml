import QtQuick
import QtQuick.Controls

// A short message at the bottom of the window (errors stay longer than news).
Pane {
    id: root

    property string text
    property bool isError: false

    function show(message, error) {
        text = message;
        isError = error;
        visible = true;
        hideTimer.interval = error ? 8000 : 4000;
        hideTimer.restart();
    }

    visible: false
    padding: 10
    width: Math.min(label.implicitWidth + 2 * padding, parent ? parent.width - 40 : 600)

    background: Rectangle {
        radius: 6
        color: root.isError ? "#b03a2e" : "#2d6a4f"
    }

    Label {
        id: label

        objectName: "toastText"
        width: parent.width
        text: root.text
        color: "white"
        wrapMode: Text.Wrap
    }

    MouseArea {
        anchors.fill: parent
        onClicked: root.visible = false
    }

    Timer {
        id: hideTimer

        onTriggered: root.visible = false
    }
}
