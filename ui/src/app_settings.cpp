#include "app_settings.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QQmlEngine>

#include "export_presets.h"
#include "studio_services.h"

namespace fvs::ui {
namespace {
const QString kModelsFolder = QStringLiteral("models/folder");
const QString kEngine = QStringLiteral("engine/preferred");
const QString kPreset = QStringLiteral("export/defaultPreset");
const QString kTheme = QStringLiteral("ui/theme");
const QString kLanguage = QStringLiteral("ui/language");
const QString kRecent = QStringLiteral("files/recent");
}  // namespace

AppSettings::AppSettings(StudioServices* services, std::unique_ptr<QSettings> settings,
                         QObject* parent)
    : QObject(parent),
      m_services(services),
      m_settings(settings ? std::move(settings) : std::make_unique<QSettings>()) {
    refreshModelStatus();
}

AppSettings::~AppSettings() {
    if (m_translator)
        QCoreApplication::removeTranslator(m_translator.get());
}

QString AppSettings::modelsFolder() const {
    if (!m_modelsOverride.isEmpty())
        return m_modelsOverride;
    return m_settings->value(kModelsFolder).toString();
}

QVariantMap AppSettings::device() const {
    if (!m_services)
        return {{QStringLiteral("name"), tr("CPU")}, {QStringLiteral("cuda"), false}};
    const DeviceSummary d = m_services->device();
    return {{QStringLiteral("name"), d.name},
            {QStringLiteral("cuda"), d.cuda},
            {QStringLiteral("totalMemoryBytes"), d.totalMemoryBytes},
            {QStringLiteral("freeMemoryBytes"), d.freeMemoryBytes},
            {QStringLiteral("backend"), d.backend}};
}

QStringList AppSettings::engines() const {
    return m_services ? m_services->engines() : QStringList{QStringLiteral("lanczos")};
}

QString AppSettings::preferredEngine() const {
    return m_settings->value(kEngine, QStringLiteral("flashvsr")).toString();
}

QString AppSettings::defaultPreset() const {
    return m_settings->value(kPreset, QStringLiteral("h264-web")).toString();
}

QString AppSettings::theme() const {
    return m_settings->value(kTheme, QStringLiteral("system")).toString();
}

QString AppSettings::language() const {
    return m_settings->value(kLanguage, QStringLiteral("en")).toString();
}

QStringList AppSettings::languages() const {
    return {QStringLiteral("en"), QStringLiteral("zh_CN")};
}

QString AppSettings::languageName(const QString& code) const {
    // Each language is named in itself, so a user can find theirs whatever is active.
    if (code == QLatin1String("zh_CN"))
        return QStringLiteral("简体中文");
    return QStringLiteral("English");
}

QVariantList AppSettings::presets() const {
    return presetsForQml();
}

QStringList AppSettings::recentFiles() const {
    return m_settings->value(kRecent).toStringList();
}

void AppSettings::setModelsFolder(const QString& folder) {
    if (folder == modelsFolder())
        return;
    m_modelsOverride.clear();
    m_settings->setValue(kModelsFolder, folder);
    Q_EMIT modelsFolderChanged();
    refreshModelStatus();
}

void AppSettings::setModelsFolderOverride(const QString& folder) {
    if (folder == m_modelsOverride)
        return;
    m_modelsOverride = folder;
    Q_EMIT modelsFolderChanged();
    refreshModelStatus();
}

void AppSettings::setPreferredEngine(const QString& engine) {
    if (engine == preferredEngine())
        return;
    m_settings->setValue(kEngine, engine);
    Q_EMIT preferredEngineChanged();
}

void AppSettings::setDefaultPreset(const QString& preset) {
    if (preset == defaultPreset())
        return;
    m_settings->setValue(kPreset, preset);
    Q_EMIT defaultPresetChanged();
}

void AppSettings::setTheme(const QString& theme) {
    if (theme == this->theme())
        return;
    m_settings->setValue(kTheme, theme);
    Q_EMIT themeChanged();
}

void AppSettings::setLanguage(const QString& language) {
    if (language == this->language() || !languages().contains(language))
        return;
    m_settings->setValue(kLanguage, language);
    applyLanguage();
    Q_EMIT languageChanged();
}

void AppSettings::applyLanguage() {
    if (m_translator) {
        QCoreApplication::removeTranslator(m_translator.get());
        m_translator.reset();
    }
    const QString code = language();
    if (code != QLatin1String("en")) {
        auto translator = std::make_unique<QTranslator>();
        if (translator->load(QStringLiteral(":/i18n/flashvsr_studio_%1.qm").arg(code))) {
            QCoreApplication::installTranslator(translator.get());
            m_translator = std::move(translator);
        }
    }
    if (m_engine)
        m_engine->retranslate();
    refreshModelStatus();  // its problem texts are translated
}

void AppSettings::refreshModelStatus() {
    QVariantMap status;
    if (m_services) {
        const ModelStatus s = m_services->checkModels(modelsFolder());
        status = {{QStringLiteral("folder"), s.folder},
                  {QStringLiteral("version"), s.version},
                  {QStringLiteral("usable"), s.usable},
                  {QStringLiteral("problems"), s.problems},
                  {QStringLiteral("files"), s.files}};
    } else {
        status = {
            {QStringLiteral("usable"), false},
            {QStringLiteral("problems"), QStringList{tr("FlashVSR is not part of this build")}}};
    }
    if (status == m_modelStatus)
        return;
    m_modelStatus = status;
    Q_EMIT modelStatusChanged();
}

void AppSettings::addRecentFile(const QString& path) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList list = recentFiles();
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > kMaxRecentFiles)
        list.removeLast();
    m_settings->setValue(kRecent, list);
    Q_EMIT recentFilesChanged();
}

void AppSettings::removeRecentFile(const QString& path) {
    QStringList list = recentFiles();
    if (list.removeAll(QFileInfo(path).absoluteFilePath()) == 0)
        return;
    m_settings->setValue(kRecent, list);
    Q_EMIT recentFilesChanged();
}

void AppSettings::clearRecentFiles() {
    if (recentFiles().isEmpty())
        return;
    m_settings->remove(kRecent);
    Q_EMIT recentFilesChanged();
}

}  // namespace fvs::ui
