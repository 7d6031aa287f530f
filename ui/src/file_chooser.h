#pragma once
// FileChooser: the one way the UI asks for files or a folder. It shows Qt Quick's FileDialog /
// FolderDialog when every QML module their non-native implementation needs loads (checked once
// per engine: Qt.labs.folderlistmodel is the one Debian splits off, and without it Qt 6.4
// segfaults on open()), and otherwise a QFileDialog, which is the desktop portal's or the
// platform theme's native dialog where there is one and Qt Widgets' own otherwise (needs a
// QApplication). Where neither can be shown, open() returns false and failed() says why: no
// button crashes the app.
//
// GUI thread only. The dialog object is made on the first open() and reused.

#include <QtQml/qqmlregistration.h>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QUrl>

class QQmlEngine;
class QFileDialog;

namespace fvs::ui {

class FileChooser : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QString title READ title WRITE setTitle NOTIFY titleChanged)
    Q_PROPERTY(Mode mode READ mode WRITE setMode NOTIFY modeChanged)
    Q_PROPERTY(
        QStringList nameFilters READ nameFilters WRITE setNameFilters NOTIFY nameFiltersChanged)
    Q_PROPERTY(Backend backend READ backend WRITE setBackend NOTIFY backendChanged)
    // The implementation the last open() used (Auto before the first).
    Q_PROPERTY(Backend usedBackend READ usedBackend NOTIFY showingChanged)
    Q_PROPERTY(bool showing READ showing NOTIFY showingChanged)

public:
    enum Mode { OpenFiles, Folder };
    Q_ENUM(Mode)
    enum Backend { Auto, QuickDialog, WidgetsDialog };
    Q_ENUM(Backend)

    explicit FileChooser(QObject* parent = nullptr);
    ~FileChooser() override;

    QString title() const { return m_title; }
    void setTitle(const QString& title);
    Mode mode() const { return m_mode; }
    void setMode(Mode mode);
    QStringList nameFilters() const { return m_nameFilters; }
    void setNameFilters(const QStringList& filters);
    Backend backend() const { return m_backend; }
    void setBackend(Backend backend);  // Auto: Qt Quick's where its modules load
    Backend usedBackend() const { return m_used; }
    bool showing() const { return m_showing; }

    // Shows the dialog; false (and failed()) when no dialog can be shown here.
    Q_INVOKABLE bool open();
    // Closes a showing dialog as cancelled (rejected()).
    Q_INVOKABLE void cancel();
    // The dialog object of the last open(): Qt Quick's FileDialog/FolderDialog or a QFileDialog.
    Q_INVOKABLE QObject* dialogObject() const;

    // The QML modules Qt Quick's non-native file dialogs import that do not load in `engine`,
    // each with the loader's reason (empty: they can be used). Cached per engine.
    static QStringList missingQuickDialogModules(QQmlEngine* engine);

Q_SIGNALS:
    void titleChanged();
    void modeChanged();
    void nameFiltersChanged();
    void backendChanged();
    void showingChanged();
    void accepted(const QList<QUrl>& urls);  // the files, or the one folder
    void rejected();
    void failed(const QString& message);

private Q_SLOTS:
    void onQuickAccepted();
    void onQuickRejected();

private:
    bool openQuick(QQmlEngine* engine);
    bool openWidgets();
    void setShowing(bool showing);

    QString m_title;
    Mode m_mode = OpenFiles;
    QStringList m_nameFilters;
    Backend m_backend = Auto;
    Backend m_used = Auto;
    bool m_showing = false;
    QPointer<QObject> m_quick;        // owned (child of this)
    QPointer<QFileDialog> m_widgets;  // owned (deleted in the destructor)
    Mode m_madeFor = OpenFiles;       // the mode m_quick was made for
};

}  // namespace fvs::ui
