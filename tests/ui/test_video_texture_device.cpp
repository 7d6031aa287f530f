// VideoTextureItem with a device frame where it cannot be shown (this CPU build has no CUDA-OpenGL
// interop): the frame reaches the item through a QML binding intact, the item reports the failure
// once (displayFailed) without crashing and keeps showing host frames; PreviewController turns the
// report into the engine note and stops asking for device frames. The interop path itself is
// proved on the GPU machine (packaging/gpu/interop_proof.sh).
#include <QQmlApplicationEngine>
#include <QQmlComponent>
#include <QQuickItem>
#include <QQuickWindow>
#include <QSignalSpy>
#include <QtQml/QQmlExtensionPlugin>
#include <QtTest>
#include <vector>

#include "preview_controller.h"
#include "video_texture_item.h"

Q_IMPORT_QML_PLUGIN(FlashVsr_UiPlugin)

using namespace fvs::ui;

class TestVideoTextureDevice : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void deviceFrameWithoutInteropFailsCleanly() {
        if (VideoTextureItem::interopCompiledIn())
            QSKIP("a CUDA build shows device frames; the proof script covers it");
        // GIVEN a window with a view bound to a QML property, as CompareView binds it
        QQmlEngine engine;
        engine.addImportPath(QStringLiteral("qrc:/"));
        QQmlComponent component(&engine);
        component.setData(R"(
            import QtQuick
            import FlashVsr.Ui
            Window {
                id: win
                property var frame
                width: 200; height: 150; visible: true
                VideoTextureItem {
                    objectName: "view"
                    anchors.fill: parent
                    contentWidth: 128; contentHeight: 96
                    deviceFrame: win.frame
                }
            })",
                          QUrl());
        std::unique_ptr<QObject> root(component.create());
        QVERIFY2(root, qPrintable(component.errorString()));
        auto* window = qobject_cast<QQuickWindow*>(root.get());
        QVERIFY(window);
        // (a Window's items are children of its contentItem in the visual tree, not as QObjects)
        const auto children = window->contentItem()->childItems();
        QCOMPARE(children.size(), qsizetype(1));
        auto* view = qobject_cast<VideoTextureItem*>(children.first());
        QVERIFY(view);
        QVERIFY(QTest::qWaitForWindowExposed(window));
        QSignalSpy failed(view, &VideoTextureItem::displayFailed);
        QSignalSpy uploaded(view, &VideoTextureItem::uploaded);

        // WHEN a device frame arrives (core treats its pointer as opaque; nothing reads it here)
        auto pixels = std::make_shared<std::vector<uint8_t>>(128 * 4 * 96);
        auto image = std::make_shared<fvs::core::DeviceImage>();
        image->data = pixels->data();
        image->pitchBytes = 128 * 4;
        image->width = 128;
        image->height = 96;
        image->owner = pixels;
        const DeviceImagePtr frame = image;
        root->setProperty("frame", QVariant::fromValue(frame));

        // THEN the binding hands the same frame to the view
        QCOMPARE(view->deviceFrame().value<DeviceImagePtr>(), frame);
        // AND the view reports once that it cannot show it, showing nothing in its place
        QTRY_COMPARE(failed.count(), 1);
        QVERIFY(failed.first().first().toString().contains(QStringLiteral("interop")));
        QVERIFY(!view->displayError().isEmpty());
        QCOMPARE(view->deviceUploads(), 0);
        QCOMPARE(view->hostUploads(), 0);

        // WHEN the next frame is a host frame (the preview after the fallback)
        root->setProperty("frame", QVariant());
        QImage host(128, 96, QImage::Format_RGBA8888);
        host.fill(Qt::red);
        view->setImage(host);
        // THEN it is uploaded and shown; the failure is not repeated
        QTRY_VERIFY(uploaded.count() >= 1);
        QCOMPARE(view->hostUploads(), 1);
        QVERIFY(!view->lastUploadFromDevice());
        QCOMPARE(failed.count(), 1);
        const QImage shot = window->grabWindow();
        QCOMPARE(shot.pixelColor(shot.width() / 2, shot.height() / 2), QColor(Qt::red));
    }

    void controllerTurnsADisplayFailureIntoANote() {
        // GIVEN a controller that asks for device frames
        PreviewController preview(nullptr);
        preview.setDeviceFrames(true);
        QSignalSpy failed(&preview, &PreviewController::displayFailed);
        QSignalSpy engine(&preview, &PreviewController::engineChanged);
        // WHEN every view reports the same failure
        preview.reportDisplayError(QStringLiteral("CUDA-OpenGL interop failed (test)"));
        preview.reportDisplayError(QStringLiteral("CUDA-OpenGL interop failed (test)"));
        // THEN it is said once, next to the engine, and later files get host frames
        QCOMPARE(failed.count(), 1);
        QCOMPARE(engine.count(), 1);
        QVERIFY(preview.engineNote().contains(QStringLiteral("interop failed (test)")));
        QVERIFY(!preview.deviceFrames());
        QVERIFY(!preview.upscaledDeviceFrame().isValid());
    }
};

QTEST_MAIN(TestVideoTextureDevice)
#include "test_video_texture_device.moc"
