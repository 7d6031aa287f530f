import QtQuick
import QtTest
import FlashVsr.Ui
import FlashVsr.Test

// A simulated drop of file URLs on the main window (real QDropEvents with QMimeData urls).
TestCase {
    id: tc

    property var win: null

    function initTestCase() {
        win = mainComponent.createObject(null, {
                "preview": TestEnv.preview,
                "sources": TestEnv.sources,
                "settings": TestEnv.settings,
                "exportQueue": TestEnv.exportQueue
            });
        verify(win !== null);
        win.show();
        tryCompare(win, "visible", true);
    }

    function cleanupTestCase() {
        win.destroy();
    }

    function test_1_dropOfAClipOpensIt() {
        // GIVEN the empty main window WHEN a clip is dropped on it
        const area = findChild(win.contentItem, "dropArea");
        verify(area !== null);
        verify(TestEnv.drop(area, [TestEnv.clipPath], Qt.point(600, 400)));
        // THEN it is listed and opened, and the Lanczos preview arrives
        compare(TestEnv.sources.count, 1);
        tryCompare(TestEnv.preview, "hasSource", true, 20000);
        tryCompare(TestEnv.preview, "upscaledReady", true, 20000);
        compare(TestEnv.preview.sourceName, "clip.mp4");
        const props = findChild(win.contentItem, "sourceProperties");
        verify(props.visible);
    }

    function test_2_unusableDropIsExplained() {
        const area = findChild(win.contentItem, "dropArea");
        const text = TestEnv.makeTextFile("notes.txt");
        TestEnv.drop(area, [text], Qt.point(600, 400));
        const toast = findChild(win.contentItem, "toast");
        tryCompare(toast, "visible", true);
        verify(toast.isError);
        verify(toast.text.indexOf("notes.txt") >= 0, toast.text);
        verify(toast.text.indexOf("not a video") >= 0, toast.text);
        compare(TestEnv.sources.count, 1); // nothing added
        compare(TestEnv.preview.sourceName, "clip.mp4"); // the open clip stays
    }

    name: "Drop"
    when: windowShown

    Component {
        id: mainComponent

        Main {
        }
    }
}
