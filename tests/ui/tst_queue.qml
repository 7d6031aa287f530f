import QtQuick
import QtTest
import FlashVsr.Ui
import FlashVsr.Test

// The export queue panel: pause/resume/cancel/retry/restart/remove buttons and drag to reorder.
TestCase {
    id: tc

    property var win: null
    property var panel: null

    function initTestCase() {
        win = mainComponent.createObject(null, {
                "preview": TestEnv.preview,
                "sources": TestEnv.sources,
                "settings": TestEnv.settings,
                "exportQueue": TestEnv.exportQueue
            });
        win.show();
        for (const preset of ["h264-web", "h265-10bit"]) {
            const id = TestEnv.exportQueue.enqueue({
                    "input": TestEnv.clipPath,
                    "folder": TestEnv.tempPath,
                    "preset": preset,
                    "pattern": "{name}_" + preset,
                    "engine": "lanczos",
                    "scale": 2
                });
            verify(id > 0, TestEnv.exportQueue.errorText);
        }
        panel = findChild(win.contentItem, "queuePanel");
        tryCompare(panel, "visible", true);
    }

    function cleanupTestCase() {
        win.destroy();
    }

    // The live delegate of a row (delegates of a reset model linger until deleted).
    function jobCard(row) {
        const list = findChild(panel, "queueList");
        list.forceLayout();
        const children = list.contentItem.children;
        for (let i = 0; i < children.length; ++i) {
            const c = children[i];
            if (c.objectName === "job" + row && c.visible && c.index === row)
                return c;
        }
        return null;
    }

    function button(row, name) {
        return findChild(jobCard(row), name);
    }

    function test_1_actions() {
        tryVerify(() => jobCard(0) !== null);
        tryVerify(() => panel.mapToItem(null, 0, 0).x > win.width / 2); // laid out at the right
        mouseClick(button(0, "pauseButton"));
        tryCompare(findChild(jobCard(0), "stateLabel"), "text", "Paused");
        mouseClick(button(0, "resumeButton"));
        tryCompare(findChild(jobCard(0), "stateLabel"), "text", "Queued");
        mouseClick(button(0, "cancelButton"));
        tryCompare(findChild(jobCard(0), "stateLabel"), "text", "Cancelled");
        verify(!button(1, "restartButton").visible); // a queued job: nothing to restart
        mouseClick(button(0, "restartButton"));
        tryCompare(findChild(jobCard(0), "stateLabel"), "text", "Queued");
        tryCompare(button(0, "restartButton"), "visible", false);
        mouseClick(button(0, "cancelButton"));
        tryCompare(findChild(jobCard(0), "stateLabel"), "text", "Cancelled");
        mouseClick(button(0, "retryButton"));
        tryCompare(findChild(jobCard(0), "stateLabel"), "text", "Queued");
    }

    function test_2_dragReorders() {
        const second = jobCard(1).output;
        const handle = button(0, "dragHandle");
        const target = jobCard(1);
        const to = handle.mapFromItem(target, 20, target.height / 2);
        mouseDrag(handle, handle.width / 2, handle.height / 2, to.x - handle.width / 2, to.y - handle.height / 2);
        tryCompare(jobCard(0), "output", second);
    }

    function test_3_remove() {
        const before = TestEnv.exportQueue.count;
        mouseClick(button(0, "removeButton"));
        tryCompare(TestEnv.exportQueue, "count", before - 1);
    }

    name: "Queue"
    when: windowShown

    Component {
        id: mainComponent

        Main {
        }
    }
}
