import QtQuick
import QtTest
import FlashVsr.Ui
import FlashVsr.Test

// The comparison view: split slider by mouse and keyboard, synchronised zoom and pan, 100 %.
TestCase {
    id: tc

    property var win: null
    property var compareView: null

    function initTestCase() {
        win = mainComponent.createObject(null, {
                "preview": TestEnv.preview,
                "sources": TestEnv.sources,
                "settings": TestEnv.settings,
                "exportQueue": TestEnv.exportQueue
            });
        win.show();
        TestEnv.preview.open("file://" + TestEnv.clipPath);
        tryCompare(TestEnv.preview, "upscaledReady", true, 20000);
        compareView = findChild(win.contentItem, "compareView");
        verify(compareView !== null);
    }

    function cleanupTestCase() {
        win.destroy();
    }

    function test_splitSliderDrags() {
        const p = TestEnv.preview;
        p.compareMode = PreviewController.Split;
        p.splitRatio = 0.5;
        const handle = findChild(compareView, "splitHandle");
        verify(handle.visible);
        // WHEN the divider is dragged 100 px to the left (coordinates of the still view: the
        // handle itself moves while it is dragged)
        const grab = handle.mapToItem(compareView, handle.width / 2, handle.height / 2);
        mouseDrag(compareView, grab.x, grab.y, -100, 0);
        // THEN the split follows the pointer
        fuzzyCompare(p.splitRatio, (compareView.width / 2 - 100) / compareView.width, 0.01);
        // AND the keyboard moves it too
        const before = p.splitRatio;
        handle.forceActiveFocus();
        verify(TestEnv.key(handle, Qt.Key_Right, Qt.NoModifier));
        fuzzyCompare(p.splitRatio, before + 0.01, 0.0001);
        TestEnv.key(handle, Qt.Key_Left, Qt.ShiftModifier);
        fuzzyCompare(p.splitRatio, before - 0.09, 0.0001);
    }

    function test_wheelZoomKeepsThePointUnderTheCursor() {
        const p = TestEnv.preview;
        p.compareMode = PreviewController.Split;
        p.zoomToFit();
        const view = findChild(compareView, "originalView");
        const at = Qt.point(view.width * 0.3, view.height * 0.4);
        const before = view.toContent(at);
        mouseWheel(compareView, at.x, at.y, 0, 120);
        verify(p.zoom > view.fitZoom);
        const after = view.toContent(at);
        fuzzyCompare(after.x, before.x, 1.0);
        fuzzyCompare(after.y, before.y, 1.0);
        // Both pictures follow: the upscaled view draws at the same place.
        const up = findChild(compareView, "upscaledView");
        compare(up.zoom, view.zoom);
        compare(up.paintedRect.x, view.paintedRect.x);
        compare(up.paintedRect.width, view.paintedRect.width);
    }

    function test_zoomTo800AndPixelExact100() {
        const p = TestEnv.preview;
        p.compareMode = PreviewController.SideBySide;
        const left = findChild(compareView, "leftView");
        const right = findChild(compareView, "rightView");
        for (let i = 0; i < 20; ++i)
            p.zoomIn(left.fitZoom);
        compare(p.zoom, 8);
        compare(left.paintedRect.width, p.contentWidth * 8 / Screen.devicePixelRatio);
        // 100 %: one upscaled pixel per device pixel, on whole pixels
        p.zoom = 1;
        compare(right.paintedRect.width * Screen.devicePixelRatio, p.contentWidth);
        compare(right.paintedRect.height * Screen.devicePixelRatio, p.contentHeight);
        compare(Math.round(right.paintedRect.x * Screen.devicePixelRatio), right.paintedRect.x * Screen.devicePixelRatio);
        compare(left.paintedRect, right.paintedRect); // side by side: identical placement
        // Dragging pans both
        const x0 = left.paintedRect.x;
        mouseDrag(compareView, 100, 100, 30, 0);
        fuzzyCompare(left.paintedRect.x, x0 + 30, 1);
        compare(right.paintedRect.x, left.paintedRect.x);
        p.zoomToFit();
        compare(p.zoom, 0);
    }

    function test_abToggle() {
        const p = TestEnv.preview;
        p.compareMode = PreviewController.Toggle;
        p.showUpscaled = true;
        const label = findChild(compareView, "upscaledLabel");
        verify(label.visible);
        p.toggleAB();
        verify(!label.visible);
        p.toggleAB();
        verify(label.visible);
    }

    function test_timelineScrubs() {
        const p = TestEnv.preview;
        const track = findChild(win.contentItem, "timelineTrack");
        mouseClick(track, track.width * 0.5, track.height / 2);
        compare(p.frameIndex, Math.round(0.5 * (p.frameCount - 1)));
        mouseDrag(track, track.width * 0.5, track.height / 2, track.width * 0.25, 0);
        verify(p.frameIndex > Math.round(0.5 * (p.frameCount - 1)));
        tryVerify(() => p.shownIndex === p.frameIndex && p.upscaledReady, 20000);
        tryVerify(() => findChild(track, "upscaledMark") !== null, 20000);
    }

    name: "Compare"
    when: windowShown

    Component {
        id: mainComponent

        Main {
        }
    }
}
