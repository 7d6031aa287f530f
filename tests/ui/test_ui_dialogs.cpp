// The main window's dialogs in a real window under Xvfb: every button that asks for a file or a
// folder opens a dialog (Qt Quick's, and the Qt Widgets fallback FileChooser uses when Qt
// Quick's modules are missing) and cancels it without crashing; a file picked in the Open
// dialog opens; an unopenable file leaves Clips and Recent; closing during an export asks first.
#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QLineEdit>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QtQml/QQmlExtensionPlugin>
#include <QtTest>

#include "app_settings.h"
#include "export_queue_model.h"
#include "file_chooser.h"
#include "fvs/core/job_queue.h"
#include "preview_controller.h"
#include "qml_module_check.h"
#include "source_list_model.h"
#include "studio_services_impl.h"
#include "thumbnail_provider.h"
#include "ui_test_support.h"

Q_IMPORT_QML_PLUGIN(FlashVsr_UiPlugin)

using namespace fvs::ui;

class TestUiDialogs : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QApplication::setQuitOnLastWindowClosed(false);
        qputenv("FLASHVSR_MODELS", m_dir.filePath(QStringLiteral("no-models")).toUtf8());
        m_clip = test::makeClip(QDir(m_dir.path()), QStringLiteral("clip.mp4"), 20, 64, 48);
        QVERIFY(!m_clip.isEmpty());
        m_queuePath = m_dir.filePath(QStringLiteral("queue.json"));
        auto queue = fvs::core::JobQueue::open(m_queuePath.toStdString());
        QVERIFY(queue);
        m_queue = std::make_unique<ExportQueueModel>(std::move(queue.value()));
        m_settings = std::make_unique<AppSettings>(
            &m_services, std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("s.ini")),
                                                     QSettings::IniFormat));
        m_preview = std::make_unique<PreviewController>(&m_services);
        m_preview->setPreferredEngine(QStringLiteral("lanczos"));
        m_settings->setQmlEngine(&m_engine);
        m_engine.addImportPath(QStringLiteral("qrc:/"));
        m_engine.addImageProvider(QLatin1String(ThumbnailProvider::kName), new ThumbnailProvider);
        // What main.cpp checks before it loads the window.
        QCOMPARE(missingQmlModules(m_engine, requiredQmlModules()), QStringList());
        m_engine.setInitialProperties(
            {{QStringLiteral("preview"), QVariant::fromValue(m_preview.get())},
             {QStringLiteral("sources"), QVariant::fromValue(&m_sources)},
             {QStringLiteral("settings"), QVariant::fromValue(m_settings.get())},
             {QStringLiteral("exportQueue"), QVariant::fromValue(m_queue.get())}});
        m_engine.load(QUrl(QStringLiteral("qrc:/FlashVsr/Ui/qml/Main.qml")));
        QVERIFY(!m_engine.rootObjects().isEmpty());
        m_window = qobject_cast<QQuickWindow*>(m_engine.rootObjects().first());
        QVERIFY(m_window);
        m_window->resize(1280, 800);
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
    }

    void quickDialogModulesLoad() {
        // GIVEN the packages packaging/setup-deps.sh installs
        // THEN Qt Quick's own dialog can be used (Qt.labs.folderlistmodel is there)
        QCOMPARE(FileChooser::missingQuickDialogModules(&m_engine), QStringList());
    }

    void eachDialogOpensAndCancels_data() {
        QTest::addColumn<int>("backend");
        QTest::newRow("Qt Quick dialog") << int(FileChooser::QuickDialog);
        QTest::newRow("Qt Widgets fallback") << int(FileChooser::WidgetsDialog);
    }

    void eachDialogOpensAndCancels() {
        QFETCH(int, backend);
        for (FileChooser* chooser : m_window->findChildren<FileChooser*>())
            chooser->setBackend(FileChooser::Backend(backend));
        auto* open = chooser("openDialog");
        QVERIFY(open);
        if (m_preview->hasSource()) {
            m_preview->close();
            QTRY_VERIFY(!m_preview->hasSource());
        }

        // WHEN each way to open a file is used THEN a dialog shows; Escape cancels it
        QVERIFY(clickItem("openButton"));
        QVERIFY(showsAndCancels(open, backend));
        QVERIFY(activate());
        QTest::keyClick(m_window, Qt::Key_O, Qt::ControlModifier);
        QVERIFY(showsAndCancels(open, backend));
        QVERIFY(clickItem("openVideoButton"));  // the empty comparison view's button
        QVERIFY(showsAndCancels(open, backend));

        // Settings › Choose… (models folder)
        QObject* settingsPage = m_window->findChild<QObject*>(QStringLiteral("settingsPage"));
        QVERIFY(settingsPage);
        QMetaObject::invokeMethod(settingsPage, "open");
        QTRY_VERIFY(settingsPage->property("opened").toBool());
        QVERIFY(clickItem("modelsChooseButton"));
        QVERIFY(showsAndCancels(chooser("modelsFolderDialog"), backend));
        QVERIFY(settingsPage->property("visible").toBool());  // only the file dialog closed
        QMetaObject::invokeMethod(settingsPage, "close");
        QTRY_VERIFY(!settingsPage->property("visible").toBool());

        // Export › Choose… (output folder), with a clip open
        QSignalSpy opened(m_preview.get(), &PreviewController::opened);
        openUrls({QUrl::fromLocalFile(m_clip)});
        QVERIFY(opened.wait(20000));
        QObject* exportDialog = m_window->findChild<QObject*>(QStringLiteral("exportDialog"));
        QVERIFY(exportDialog);
        QMetaObject::invokeMethod(exportDialog, "open");
        QTRY_VERIFY(exportDialog->property("opened").toBool());
        QVERIFY(clickItem("outputFolderChooseButton"));
        QVERIFY(showsAndCancels(chooser("outputFolderDialog"), backend));
        QMetaObject::invokeMethod(exportDialog, "close");
        QTRY_VERIFY(!exportDialog->property("visible").toBool());
    }

    void pickedFileOpens_data() {
        QTest::addColumn<int>("backend");
        QTest::newRow("Qt Quick dialog") << int(FileChooser::QuickDialog);
        QTest::newRow("Qt Widgets fallback") << int(FileChooser::WidgetsDialog);
    }

    void pickedFileOpens() {
        QFETCH(int, backend);
        // GIVEN no clip and an empty Recent list
        if (m_preview->hasSource()) {
            m_preview->close();
            QTRY_VERIFY(!m_preview->hasSource());
        }
        m_settings->clearRecentFiles();
        while (m_sources.rowCount() > 0)
            m_sources.remove(0);
        // WHEN the Open dialog is shown and the clip picked
        auto* open = chooser("openDialog");
        open->setBackend(FileChooser::Backend(backend));
        QVERIFY(clickItem("openButton"));
        QTRY_VERIFY(open->showing() && open->dialogObject());
        QSignalSpy chosen(open, &FileChooser::accepted);
        QSignalSpy opened(m_preview.get(), &PreviewController::opened);
        if (backend == FileChooser::WidgetsDialog) {
            auto* dialog = qobject_cast<QFileDialog*>(open->dialogObject());
            QVERIFY(dialog);
            QTRY_VERIFY(dialog->isVisible());
            // as a user does: the clip's path into the file name field, then Return
            auto* nameField = dialog->findChild<QLineEdit*>(QStringLiteral("fileNameEdit"));
            QVERIFY(nameField);
            QTest::keyClicks(nameField, QFileInfo(m_clip).absoluteFilePath());
            QTest::keyClick(nameField, Qt::Key_Return);
        } else {
            // Qt 6.4's own dialog has no path field: go to the clip's folder, then double-click
            // the clip in its list, as a user does
            QObject* dialog = open->dialogObject();
            QTRY_VERIFY(dialog->property("visible").toBool());
            dialog->setProperty("currentFolder",
                                QUrl::fromLocalFile(QFileInfo(m_clip).absolutePath()));
            const QUrl clipUrl = QUrl::fromLocalFile(QFileInfo(m_clip).absoluteFilePath());
            QQuickItem* entry = nullptr;
            QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    // The dialog is a popup: its items are in the window's overlay (visual tree).
                    for (QQuickItem* item : visualTree(m_window->contentItem()))
                        if (item->isVisible() && item->property("file").toUrl() == clipUrl &&
                            item->width() > 0)
                            entry = item;
                    return entry != nullptr;
                }(),
                10000);
            QTest::qWait(100);  // the list's layout settles
            const QPoint at =
                entry->mapToScene(QPointF(entry->width() / 2, entry->height() / 2)).toPoint();
            QTest::mouseDClick(m_window, Qt::LeftButton, {}, at);
        }
        QTRY_COMPARE(chosen.count(), 1);
        // THEN it opens and joins Clips and Recent
        QVERIFY(opened.count() > 0 || opened.wait(20000));
        QCOMPARE(opened.last().first().toString(), QFileInfo(m_clip).absoluteFilePath());
        QVERIFY(m_sources.indexOf(QFileInfo(m_clip).absoluteFilePath()) >= 0);
        QTRY_VERIFY(m_settings->recentFiles().contains(QFileInfo(m_clip).absoluteFilePath()));
        QVERIFY(!open->showing());
    }

    void unopenableFileLeavesClipsAndRecent() {
        // GIVEN a file that looks like a video but is not one
        const QString broken = m_dir.filePath(QStringLiteral("broken.mp4"));
        {
            QFile f(broken);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(4096, 'x'));
        }
        QSignalSpy failed(m_preview.get(), &PreviewController::openFailed);
        // WHEN it is opened
        openUrls({QUrl::fromLocalFile(broken)});
        QVERIFY(failed.wait(20000));
        // THEN it is neither in Clips nor in Recent
        QCOMPARE(m_sources.indexOf(broken), -1);
        QVERIFY(!m_settings->recentFiles().contains(broken));
    }

    void closingDuringAnExportAsks() {
        // GIVEN a job being exported (running in the queue file)
        QVERIFY(m_queue->enqueue({{QStringLiteral("input"), m_clip},
                                  {QStringLiteral("folder"), m_dir.path()},
                                  {QStringLiteral("preset"), QStringLiteral("ffv1")},
                                  {QStringLiteral("engine"), QStringLiteral("lanczos")}}) > 0);
        auto runner = fvs::core::JobQueue::open(m_queuePath.toStdString());
        QVERIFY(runner);
        auto claimed = runner.value().claimNext();
        QVERIFY(claimed && claimed.value().has_value());
        m_queue->reload();
        QVERIFY(m_queue->exporting());
        QVERIFY(m_preview->exportRunning() == false);  // main.cpp connects these; not this test
        QObject* quit = m_window->findChild<QObject*>(QStringLiteral("quitDialog"));
        QVERIFY(quit);

        // WHEN the window is closed THEN it stays and asks
        m_window->close();
        QTRY_VERIFY(quit->property("opened").toBool());
        QVERIFY(m_window->isVisible());
        // WHEN the user keeps exporting THEN nothing closes
        QVERIFY(clickItem("quitKeepButton"));
        QTRY_VERIFY(!quit->property("visible").toBool());
        QVERIFY(m_window->isVisible());
        // WHEN the user quits THEN the window closes
        m_window->close();
        QTRY_VERIFY(quit->property("opened").toBool());
        QVERIFY(clickItem("quitAnywayButton"));
        QTRY_VERIFY(!m_window->isVisible());
    }

private:
    FileChooser* chooser(const char* name) {
        return m_window->findChild<FileChooser*>(QString::fromLatin1(name));
    }

    void openUrls(const QList<QUrl>& urls) {
        QVariant ignored;
        QMetaObject::invokeMethod(m_window, "openUrls", Q_RETURN_ARG(QVariant, ignored),
                                  Q_ARG(QVariant, QVariant::fromValue(urls)));
    }

    static QList<QQuickItem*> visualTree(QQuickItem* root) {
        QList<QQuickItem*> all;
        if (!root)
            return all;
        for (QQuickItem* child : root->childItems()) {
            all << child;
            all << visualTree(child);
        }
        return all;
    }

    // Input goes to the main window again (a closed dialog window may have had the focus).
    bool activate() {
        m_window->requestActivate();
        return QTest::qWaitForWindowActive(m_window);
    }

    // A real click in the middle of the visible item named `name`.
    bool clickItem(const char* name) {
        if (!activate())
            qWarning("the main window is not active");
        QQuickItem* item = nullptr;
        for (QQuickItem* candidate :
             m_window->contentItem()->findChildren<QQuickItem*>(QString::fromLatin1(name))) {
            if (candidate->isVisible())
                item = candidate;
        }
        // Popups' contents live under the window's overlay, outside contentItem.
        if (!item)
            for (QQuickItem* candidate :
                 m_window->findChildren<QQuickItem*>(QString::fromLatin1(name)))
                if (candidate->isVisible() && candidate->window() == m_window)
                    item = candidate;
        if (!item) {
            qWarning("no visible item %s", name);
            return false;
        }
        if (!QTest::qWaitFor([&] { return item->isEnabled() && item->opacity() > 0; }, 5000)) {
            qWarning("item %s is not enabled", name);
            return false;
        }
        const QPointF centre = item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
        QTest::mouseClick(m_window, Qt::LeftButton, {}, centre.toPoint());
        return true;
    }

    // The chooser shows its dialog; Escape (a user's cancel) closes it with rejected().
    bool showsAndCancels(FileChooser* chooser, int backend) {
        if (!chooser)
            return false;
        QSignalSpy rejected(chooser, &FileChooser::rejected);
        if (!QTest::qWaitFor([&] { return chooser->showing(); }, 5000)) {
            qWarning("%s: not showing", qPrintable(chooser->objectName()));
            return false;
        }
        if (chooser->usedBackend() != FileChooser::Backend(backend)) {
            qWarning("%s: used backend %d", qPrintable(chooser->objectName()),
                     int(chooser->usedBackend()));
            return false;
        }
        QObject* dialog = chooser->dialogObject();
        if (!dialog)
            return false;
        if (backend == FileChooser::WidgetsDialog) {
            auto* widget = qobject_cast<QFileDialog*>(dialog);
            if (!widget)
                return false;
            if (!QTest::qWaitFor([&] { return widget->isVisible(); }, 5000))
                return false;
            QTest::keyClick(widget, Qt::Key_Escape);
        } else {
            if (!QTest::qWaitFor([&] { return dialog->property("visible").toBool(); }, 5000))
                return false;
            QTest::qWait(50);  // the popup's enter transition
            QTest::keyClick(m_window, Qt::Key_Escape);
        }
        if (!QTest::qWaitFor([&] { return !chooser->showing(); }, 5000)) {
            qWarning("%s: still showing after Escape", qPrintable(chooser->objectName()));
            return false;
        }
        if (rejected.count() != 1)
            qWarning("%s: rejected %d times", qPrintable(chooser->objectName()),
                     int(rejected.count()));
        return rejected.count() == 1;
    }

    QTemporaryDir m_dir;
    QString m_clip;
    QString m_queuePath;
    fvs::app::StudioServicesImpl m_services;
    std::unique_ptr<ExportQueueModel> m_queue;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<PreviewController> m_preview;
    SourceListModel m_sources;
    QQmlApplicationEngine m_engine;
    QQuickWindow* m_window = nullptr;
};

QTEST_MAIN(TestUiDialogs)
#include "test_ui_dialogs.moc"
