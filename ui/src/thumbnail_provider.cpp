#include "thumbnail_provider.h"

#include <QImage>
#include <QRunnable>
#include <QThreadPool>
#include <QUrl>

#include "fvs/core/preview_session.h"

namespace fvs::ui {
namespace {

class ThumbnailResponse : public QQuickImageResponse, public QRunnable {
public:
    ThumbnailResponse(QString path, qint64 frame, int maxHeight)
        : m_path(std::move(path)), m_frame(frame), m_maxHeight(maxHeight) {
        setAutoDelete(false);  // the QML engine owns the response
    }

    QQuickTextureFactory* textureFactory() const override {
        return QQuickTextureFactory::textureFactoryForImage(m_image);
    }

    QString errorString() const override { return m_error; }

    void run() override {
        auto thumb = core::decodeThumbnail(m_path.toStdString(), m_frame, m_maxHeight);
        if (thumb) {
            const core::RgbaImage& rgba = thumb.value();
            m_image = QImage(rgba.pixels->data(), rgba.width, rgba.height, rgba.width * 4,
                             QImage::Format_RGBA8888)
                          .copy();  // own the pixels beyond this scope
        } else {
            m_error = QString::fromStdString(thumb.error().message);
        }
        Q_EMIT finished();
    }

private:
    QString m_path;
    qint64 m_frame;
    int m_maxHeight;
    QImage m_image;
    QString m_error;
};

}  // namespace

QQuickImageResponse* ThumbnailProvider::requestImageResponse(const QString& id,
                                                             const QSize& requestedSize) {
    const qsizetype q = id.indexOf(QLatin1Char('?'));
    const qint64 frame = id.left(q).toLongLong();
    const QString path = q >= 0 ? QUrl::fromPercentEncoding(id.mid(q + 1).toUtf8()) : QString();
    auto* response = new ThumbnailResponse(
        path, frame, requestedSize.height() > 0 ? requestedSize.height() : 64);
    QThreadPool::globalInstance()->start(response);
    return response;
}

}  // namespace fvs::ui
