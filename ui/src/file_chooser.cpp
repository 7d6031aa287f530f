#include "file_chooser.h"

#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QQmlComponent>
#include <QQmlContext>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickWindow>

#include "qml_module_check.h"

namespace fvs::ui {
namespace {

constexpr const char* kCacheProperty = "_fvsMissingQuickDialogModules";
constexpr const char* kCheckedProperty = "_fvsQuickDialogModulesChecked";

QQuickWindow* windowOf(QObject* object) {
    for (QObject* o = object; o; o = o->parent()) {
        if (auto* item = qobject_cast<QQuickItem*>(o); item && item->window())
            return item->window();
        if (auto* window = qobject_cast<QQuickWindow*>(o))
            return window;
    }
    return nullptr;
}

}  // namespace

FileChooser::FileChooser(QObject* parent) : QObject(parent) {}

FileChooser::~FileChooser() {
    delete m_widgets.data();  // a top-level widget: not a child of this QObject
}

void FileChooser::setTitle(const QString& title) {
    if (title == m_title)
        return;
    m_title = title;
    Q_EMIT titleChanged();
}

void FileChooser::setMode(Mode mode) {
    if (mode == m_mode)
        return;
    m_mode = mode;
    Q_EMIT modeChanged();
}

void FileChooser::setNameFilters(const QStringList& filters) {
    if (filters == m_nameFilters)
        return;
    m_nameFilters = filters;
    Q_EMIT nameFiltersChanged();
}

void FileChooser::setBackend(Backend backend) {
    if (backend == m_backend)
        return;
    m_backend = backend;
    Q_EMIT backendChanged();
}

QStringList FileChooser::missingQuickDialogModules(QQmlEngine* engine) {
    if (!engine)
        return {QStringLiteral("no QML engine")};
    if (engine->property(kCheckedProperty).toBool())
        return engine->property(kCacheProperty).toStringList();
    const QStringList missing = missingQmlModules(*engine, quickDialogModules());
    engine->setProperty(kCheckedProperty, true);
    engine->setProperty(kCacheProperty, missing);
    return missing;
}

bool FileChooser::open() {
    if (m_showing)
        return true;
    QQmlEngine* engine = qmlEngine(this);
    Backend use = m_backend;
    if (use == Auto)
        use = missingQuickDialogModules(engine).isEmpty() ? QuickDialog : WidgetsDialog;
    if (use == QuickDialog && !missingQuickDialogModules(engine).isEmpty()) {
        Q_EMIT failed(tr("The file dialog cannot be shown: %1")
                          .arg(missingQuickDialogModules(engine).join(QLatin1String("; "))));
        return false;
    }
    m_used = use;
    return use == QuickDialog ? openQuick(engine) : openWidgets();
}

bool FileChooser::openQuick(QQmlEngine* engine) {
    if (m_quick && m_madeFor != m_mode)
        delete m_quick.data();
    if (!m_quick) {
        QQmlComponent component(engine);
        component.setData(m_mode == Folder
                              ? QByteArrayLiteral("import QtQuick.Dialogs\nFolderDialog {}\n")
                              : QByteArrayLiteral("import QtQuick.Dialogs\nFileDialog {}\n"),
                          QUrl(QStringLiteral("qrc:/FlashVsr/Ui/FileChooserDialog.qml")));
        QQmlContext* context = qmlContext(this) ? qmlContext(this) : engine->rootContext();
        QObject* dialog = component.beginCreate(context);
        if (!dialog) {
            Q_EMIT failed(tr("The file dialog cannot be shown: %1").arg(component.errorString()));
            return false;
        }
        dialog->setParent(this);
        if (QQuickWindow* window = windowOf(parent()))
            dialog->setProperty("parentWindow", QVariant::fromValue<QWindow*>(window));
        component.completeCreate();
        m_quick = dialog;
        m_madeFor = m_mode;
        QObject::connect(dialog, &QObject::destroyed, this, [this] { setShowing(false); });
        // QtQuick.Dialogs' signals are not visible to the compiler here: connect by name.
        const int acceptedIndex = dialog->metaObject()->indexOfSignal("accepted()");
        const int rejectedIndex = dialog->metaObject()->indexOfSignal("rejected()");
        if (acceptedIndex < 0 || rejectedIndex < 0) {
            Q_EMIT failed(tr("The file dialog cannot be shown: unexpected dialog type"));
            return false;
        }
        QObject::connect(dialog, dialog->metaObject()->method(acceptedIndex), this,
                         metaObject()->method(metaObject()->indexOfSlot("onQuickAccepted()")));
        QObject::connect(dialog, dialog->metaObject()->method(rejectedIndex), this,
                         metaObject()->method(metaObject()->indexOfSlot("onQuickRejected()")));
    }
    m_quick->setProperty("title", m_title);
    if (m_mode == OpenFiles) {
        m_quick->setProperty("nameFilters", m_nameFilters);
        m_quick->setProperty("fileMode", 1);  // FileDialog.OpenFiles
    }
    if (!QMetaObject::invokeMethod(m_quick, "open")) {
        Q_EMIT failed(tr("The file dialog cannot be shown."));
        return false;
    }
    setShowing(true);
    return true;
}

bool FileChooser::openWidgets() {
    if (!qobject_cast<QApplication*>(QCoreApplication::instance())) {
        Q_EMIT failed(
            tr("The file dialog cannot be shown: Qt Quick's dialog is missing modules "
               "(%1) and this process has no widgets application for the fallback. "
               "Drop the files onto the window instead.")
                .arg(missingQuickDialogModules(qmlEngine(this)).join(QLatin1String("; "))));
        return false;
    }
    if (!m_widgets) {
        m_widgets = new QFileDialog;
        m_widgets->setWindowModality(Qt::ApplicationModal);
        connect(m_widgets, &QDialog::accepted, this, [this] {
            const QList<QUrl> urls = m_widgets->selectedUrls();
            setShowing(false);
            Q_EMIT accepted(urls);
        });
        connect(m_widgets, &QDialog::rejected, this, [this] {
            setShowing(false);
            Q_EMIT rejected();
        });
    }
    m_widgets->setWindowTitle(m_title);
    if (m_mode == Folder) {
        m_widgets->setFileMode(QFileDialog::Directory);
        m_widgets->setOption(QFileDialog::ShowDirsOnly, true);
        m_widgets->setNameFilters({});
    } else {
        m_widgets->setFileMode(QFileDialog::ExistingFiles);
        m_widgets->setOption(QFileDialog::ShowDirsOnly, false);
        m_widgets->setNameFilters(m_nameFilters);
    }
    m_widgets->show();
    setShowing(true);
    return true;
}

void FileChooser::onQuickAccepted() {
    QList<QUrl> urls;
    if (m_quick) {
        if (m_madeFor == Folder)
            urls << m_quick->property("selectedFolder").toUrl();
        else
            urls = m_quick->property("selectedFiles").value<QList<QUrl>>();
        // selectedFiles follows a selectedFile set from code only once the dialog syncs it.
        if (urls.isEmpty() && m_madeFor == OpenFiles &&
            !m_quick->property("selectedFile").toUrl().isEmpty())
            urls << m_quick->property("selectedFile").toUrl();
    }
    setShowing(false);
    Q_EMIT accepted(urls);
}

void FileChooser::onQuickRejected() {
    setShowing(false);
    Q_EMIT rejected();
}

void FileChooser::cancel() {
    if (!m_showing)
        return;
    if (m_used == QuickDialog && m_quick)
        QMetaObject::invokeMethod(m_quick, "reject");
    else if (m_widgets)
        m_widgets->reject();
}

QObject* FileChooser::dialogObject() const {
    if (m_used == QuickDialog)
        return m_quick.data();
    if (m_used == WidgetsDialog)
        return m_widgets.data();
    return nullptr;
}

void FileChooser::setShowing(bool showing) {
    if (showing == m_showing)
        return;
    m_showing = showing;
    Q_EMIT showingChanged();
}

}  // namespace fvs::ui
