#pragma once
// AppSettings: the settings page's view-model and the app's persisted preferences (QSettings):
// models folder (+ its `models check` status through StudioServices), preferred engine, default
// export preset, theme, language (switched live via QTranslator + QQmlEngine::retranslate) and
// the recent files list. GUI thread only.

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QPointer>
#include <QQmlEngine>
#include <QSettings>
#include <QStringList>
#include <QTranslator>
#include <QVariantMap>
#include <memory>

namespace fvs::ui {

class StudioServices;

class AppSettings : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("created by the application")
    Q_PROPERTY(
        QString modelsFolder READ modelsFolder WRITE setModelsFolder NOTIFY modelsFolderChanged)
    Q_PROPERTY(QVariantMap modelStatus READ modelStatus NOTIFY modelStatusChanged)
    Q_PROPERTY(QVariantMap device READ device CONSTANT)
    Q_PROPERTY(QStringList engines READ engines CONSTANT)
    Q_PROPERTY(QString preferredEngine READ preferredEngine WRITE setPreferredEngine NOTIFY
                   preferredEngineChanged)
    Q_PROPERTY(
        QString defaultPreset READ defaultPreset WRITE setDefaultPreset NOTIFY defaultPresetChanged)
    Q_PROPERTY(QString theme READ theme WRITE setTheme NOTIFY themeChanged)
    Q_PROPERTY(QString language READ language WRITE setLanguage NOTIFY languageChanged)
    Q_PROPERTY(QStringList languages READ languages CONSTANT)
    Q_PROPERTY(QVariantList presets READ presets NOTIFY languageChanged)
    Q_PROPERTY(QStringList recentFiles READ recentFiles NOTIFY recentFilesChanged)

public:
    // `settings` may be null (the user's default QSettings); tests pass an INI file.
    explicit AppSettings(StudioServices* services, std::unique_ptr<QSettings> settings = nullptr,
                         QObject* parent = nullptr);
    ~AppSettings() override;

    QString modelsFolder() const;
    QVariantMap modelStatus() const { return m_modelStatus; }
    QVariantMap device() const;
    QStringList engines() const;
    QString preferredEngine() const;
    QString defaultPreset() const;
    QString theme() const;
    QString language() const;
    QStringList languages() const;
    QStringList recentFiles() const;
    QVariantList presets() const;

    void setModelsFolder(const QString& folder);
    // For this run only (flashvsr-studio --models DIR): modelsFolder() and modelStatus report DIR
    // and nothing is saved; a folder the user then sets replaces it (and is saved).
    void setModelsFolderOverride(const QString& folder);
    void setPreferredEngine(const QString& engine);
    void setDefaultPreset(const QString& preset);
    void setTheme(const QString& theme);        // "system", "light", "dark"
    void setLanguage(const QString& language);  // "en", "zh_CN"

    Q_INVOKABLE void refreshModelStatus();
    Q_INVOKABLE void addRecentFile(const QString& path);
    Q_INVOKABLE void removeRecentFile(const QString& path);  // e.g. it no longer opens
    Q_INVOKABLE void clearRecentFiles();
    Q_INVOKABLE QString languageName(const QString& code) const;
    // Installs the translator for the stored language (called once at start-up) and retranslates
    // the QML engine given by setQmlEngine().
    void applyLanguage();
    void setQmlEngine(QQmlEngine* engine) { m_engine = engine; }

    static constexpr int kMaxRecentFiles = 10;

Q_SIGNALS:
    void modelsFolderChanged();
    void modelStatusChanged();
    void preferredEngineChanged();
    void defaultPresetChanged();
    void themeChanged();
    void languageChanged();
    void recentFilesChanged();

private:
    StudioServices* m_services;
    std::unique_ptr<QSettings> m_settings;
    QVariantMap m_modelStatus;
    QString m_modelsOverride;  // empty: the saved folder
    std::unique_ptr<QTranslator> m_translator;
    QPointer<QQmlEngine> m_engine;
};

}  // namespace fvs::ui
