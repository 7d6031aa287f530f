import QtQuick
import QtTest
import FlashVsr.Ui
import FlashVsr.Test

// The model-loading panel of the comparison view with the real FlashVSR engine on the CPU (the
// reduced test model), and the dialogs' own Close/Cancel buttons. The cancel is requested in the
// same turn as the open, before the engine thread starts loading, so the outcome does not depend on
// timing.
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
        win.show();
        tryCompare(win, "visible", true);
    }

    function cleanupTestCase() {
        const p = TestEnv.preview;
        p.close();
        p.preferredEngine = "lanczos";
        p.modelsFolder = "";
        win.destroy();
    }

    function test_1_cancelledLoadOffersRetry() {
        if (!TestEnv.hasFlashVsr)
            skip("this build has no FlashVSR engine");
        const p = TestEnv.preview;
        p.preferredEngine = "flashvsr";
        p.modelsFolder = TestEnv.testModelsPath;
        const pane = findChild(win.contentItem, "modelLoadPane");
        const label = findChild(win.contentItem, "modelLoadLabel");
        const button = findChild(win.contentItem, "modelLoadButton");
        verify(pane !== null && label !== null && button !== null);
        verify(!pane.visible);
        // WHEN a clip opens and the load is cancelled at once
        p.open("file://" + TestEnv.clipPath);
        p.cancelLoading();
        // THEN the panel says so, offers Retry, and the original is shown without upscaling
        tryCompare(p, "loadCancelled", true, 60000);
        tryCompare(p, "hasSource", true, 20000);
        verify(pane.visible);
        compare(label.text, "Model loading cancelled");
        compare(button.text, "Retry");
        tryVerify(() => p.engineNote.indexOf("cancelled") >= 0, 10000);
        compare(p.engineName, "");
        const status = findChild(win.contentItem, "engineStatus");
        compare(status.text, "Preview engine: none");
        // WHEN Retry is clicked THEN the model loads and the panel goes away
        mouseClick(button);
        tryCompare(p, "engineName", "flashvsr", 120000);
        tryCompare(p, "modelLoading", false, 10000);
        compare(p.loadCancelled, false);
        compare(p.loadProgress, 1);
        verify(!pane.visible);
        compare(status.text, "Preview engine: flashvsr");
    }

    function test_2_dialogButtonsClose() {
        const p = TestEnv.preview;
        if (!p.hasSource) {
            p.open("file://" + TestEnv.clipPath);
            tryCompare(p, "hasSource", true, 20000);
        }
        const settingsPage = findChild(win, "settingsPage");
        const exportDialog = findChild(win, "exportDialog");
        verify(settingsPage !== null && exportDialog !== null);
        settingsPage.open();
        tryCompare(settingsPage, "opened", true, 5000);
        const close = findChild(settingsPage.footer, "settingsCloseButton");
        verify(close !== null);
        mouseClick(close);
        tryCompare(settingsPage, "visible", false, 5000);
        win.showExport();
        tryCompare(exportDialog, "opened", true, 5000);
        const cancel = findChild(exportDialog.footer, "exportCancelButton");
        verify(cancel !== null);
        mouseClick(cancel);
        tryCompare(exportDialog, "visible", false, 5000);
    }

    name: "ModelLoad"
    when: windowShown

    Component {
        id: mainComponent

        Main {
        }
    }
}
