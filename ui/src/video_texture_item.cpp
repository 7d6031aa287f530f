#include "video_texture_item.h"

#include <QtQuick/qsgtexture_platform.h>
#include <QQuickWindow>
#include <QSGImageNode>
#include <QSGRendererInterface>
#include <algorithm>

#ifdef FVS_HAVE_CUDA
#include "fvs/interop/cuda_gl_texture.h"
#endif

namespace fvs::ui {

// The item's scene-graph node: an image node (host textures, or the wrapper of the interop GL
// texture) and, in CUDA builds, the CudaGlTexture it shows. Destroyed on the render thread with
// the GL context current, which the interop texture's release needs.
class VideoTextureItem::Node : public QSGNode {
public:
    explicit Node(QSGImageNode* imageNode) : image(imageNode) {
        image->setOwnsTexture(true);
        appendChildNode(image);
    }
    ~Node() override {
        // The image node (and the wrapper texture it owns) goes before the GL texture it wraps.
        removeChildNode(image);
        delete image;
    }
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    QSGImageNode* image;
    bool hasTexture = false;
#ifdef FVS_HAVE_CUDA
    std::unique_ptr<interop::CudaGlTexture> interop;
    // The image node's texture wraps the interop texture of this registration (0: it does not).
    std::uint64_t wrappedRegistration = 0;
#endif
};

bool VideoTextureItem::interopCompiledIn() {
#ifdef FVS_HAVE_CUDA
    return true;
#else
    return false;
#endif
}

quint64 VideoTextureItem::hostCopies() {
#ifdef FVS_HAVE_CUDA
    return interop::CudaGlTexture::hostCopies();
#else
    return 0;
#endif
}

VideoTextureItem::VideoTextureItem(QQuickItem* parent) : QQuickItem(parent) {
    setFlag(ItemHasContents, true);
}

double VideoTextureItem::devicePixelRatio() const {
    return window() ? window()->effectiveDevicePixelRatio() : 1.0;
}

double VideoTextureItem::fitZoom() const {
    if (m_contentWidth <= 0 || m_contentHeight <= 0 || width() <= 0 || height() <= 0)
        return 1.0;
    const double fit = std::min(width() / m_contentWidth, height() / m_contentHeight);
    return fit * devicePixelRatio();
}

double VideoTextureItem::scale() const {
    return (m_zoom > 0 ? m_zoom : fitZoom()) / devicePixelRatio();
}

QRectF VideoTextureItem::paintedRect() const {
    if (m_contentWidth <= 0 || m_contentHeight <= 0)
        return {};
    const double s = scale();
    const double w = m_contentWidth * s;
    const double h = m_contentHeight * s;
    double x = width() / 2 - (m_contentWidth / 2.0 + m_panX) * s;
    double y = height() / 2 - (m_contentHeight / 2.0 + m_panY) * s;
    if (m_zoom > 0) {
        // Whole device pixels keep 100 % pixel-exact (no half-pixel blur).
        const double dpr = devicePixelRatio();
        x = std::round(x * dpr) / dpr;
        y = std::round(y * dpr) / dpr;
    }
    return {x, y, w, h};
}

QPointF VideoTextureItem::toContent(QPointF itemPoint) const {
    const QRectF r = paintedRect();
    if (r.isEmpty())
        return {};
    const double s = scale();
    return {(itemPoint.x() - r.x()) / s, (itemPoint.y() - r.y()) / s};
}

void VideoTextureItem::setImage(const QImage& image) {
    m_image = image;
    m_contentDirty = true;
    Q_EMIT imageChanged();
    update();
}

QVariant VideoTextureItem::deviceFrame() const {
    return m_device ? QVariant::fromValue(m_device) : QVariant();
}

void VideoTextureItem::setDeviceFrame(const QVariant& frame) {
    DeviceImagePtr device = frame.value<DeviceImagePtr>();
    if (device == m_device)
        return;
    m_device = std::move(device);
    m_contentDirty = true;
    Q_EMIT deviceFrameChanged();
    update();
}

QString VideoTextureItem::interopSummary() const {
    const QString texture = m_interopSize.isValid()
                                ? QStringLiteral("texture %1x%2, registered %3x")
                                      .arg(m_interopSize.width())
                                      .arg(m_interopSize.height())
                                      .arg(m_registrations)
                                : QStringLiteral("no interop texture");
    return QStringLiteral("%1 device frames shown, %2 host copies (%3)")
        .arg(m_deviceUploads)
        .arg(hostCopies())
        .arg(texture);
}

void VideoTextureItem::setContentWidth(int w) {
    if (w == m_contentWidth)
        return;
    m_contentWidth = w;
    Q_EMIT geometryChanged();
    update();
}

void VideoTextureItem::setContentHeight(int h) {
    if (h == m_contentHeight)
        return;
    m_contentHeight = h;
    Q_EMIT geometryChanged();
    update();
}

void VideoTextureItem::setZoom(double zoom) {
    if (qFuzzyCompare(zoom + 1.0, m_zoom + 1.0))
        return;
    m_zoom = zoom;
    Q_EMIT geometryChanged();
    update();
}

void VideoTextureItem::setPanX(double x) {
    if (qFuzzyCompare(x + 1.0, m_panX + 1.0))
        return;
    m_panX = x;
    Q_EMIT geometryChanged();
    update();
}

void VideoTextureItem::setPanY(double y) {
    if (qFuzzyCompare(y + 1.0, m_panY + 1.0))
        return;
    m_panY = y;
    Q_EMIT geometryChanged();
    update();
}

void VideoTextureItem::geometryChange(const QRectF& newGeometry, const QRectF& oldGeometry) {
    QQuickItem::geometryChange(newGeometry, oldGeometry);
    if (newGeometry.size() != oldGeometry.size())
        Q_EMIT geometryChanged();
    update();
}

// Render thread, GUI thread blocked (sync). A failure is reported once; the item then shows only
// host frames, so the original stays visible next to (or under) an empty upscaled view.
void VideoTextureItem::failDisplay(const QString& message) {
    m_interopBroken = true;
    m_displayError = message;
    qWarning().noquote() << "interop:" << message;
    QMetaObject::invokeMethod(
        this, [this, message] { Q_EMIT displayFailed(message); }, Qt::QueuedConnection);
}

// Render thread with the scene graph's GL context current: copy the device frame into the
// interop texture (device to device) and make the image node show that texture.
bool VideoTextureItem::uploadDevice(Node& node) {
#ifdef FVS_HAVE_CUDA
    QSGRendererInterface* renderer = window()->rendererInterface();
    if (!renderer || renderer->graphicsApi() != QSGRendererInterface::OpenGL) {
        failDisplay(tr("GPU frames need the OpenGL scene graph; showing the original only"));
        return false;
    }
    if (!node.interop)
        node.interop = std::make_unique<interop::CudaGlTexture>();
    const core::DeviceImage& frame = *m_device;
    std::string error;
    // Raw GL calls among the scene graph's own: let it re-sync its cached GL state afterwards.
    window()->beginExternalCommands();
    const bool ok = node.interop->upload(frame.data, frame.pitchBytes, frame.width, frame.height,
                                         frame.deviceIndex, nullptr, &error);
    window()->endExternalCommands();
    if (!ok) {
        failDisplay(tr("CUDA-OpenGL interop failed (%1); showing the original only")
                        .arg(QString::fromStdString(error)));
        return false;
    }
    if (node.wrappedRegistration != node.interop->registrations()) {
        // A new (or re-registered) GL texture: wrap it once; the node deletes the old wrapper.
        QSGTexture* texture = QNativeInterface::QSGOpenGLTexture::fromNative(
            node.interop->textureId(), window(), QSize(frame.width, frame.height));
        if (!texture) {
            failDisplay(
                tr("The scene graph cannot wrap the interop texture; showing the original only"));
            return false;
        }
        node.image->setTexture(texture);
        node.wrappedRegistration = node.interop->registrations();
    } else {
        node.image->markDirty(QSGNode::DirtyMaterial);  // same texture, new pixels
    }
    ++m_deviceUploads;
    m_lastUploadFromDevice = true;
    m_registrations = static_cast<int>(node.interop->registrations());
    m_interopSize = QSize(frame.width, frame.height);
    if (m_deviceUploads == 1 || m_deviceUploads % kLogEvery == 0)
        qInfo().noquote() << "interop:" << interopSummary();
    return true;
#else
    Q_UNUSED(node);
    failDisplay(tr("This build cannot show GPU frames (no CUDA-OpenGL interop)"));
    return false;
#endif
}

// Render thread (GUI thread blocked in sync): textures are made and owned by the node.
QSGNode* VideoTextureItem::updatePaintNode(QSGNode* old, UpdatePaintNodeData*) {
    auto* node = static_cast<Node*>(old);
    const bool device = m_device && !m_interopBroken;
    if ((!device && m_image.isNull()) || m_contentWidth <= 0 || m_contentHeight <= 0) {
        delete node;
        return nullptr;
    }
    if (!node) {
        node = new Node(window()->createImageNode());
        m_contentDirty = true;
    }
    if (m_contentDirty) {
        m_contentDirty = false;
        bool shown = false;
        if (device) {
            shown = uploadDevice(*node);
        }
        if (!shown && !m_image.isNull()) {
            node->image->setTexture(window()->createTextureFromImage(m_image));
#ifdef FVS_HAVE_CUDA
            node->wrappedRegistration = 0;  // the interop wrapper was just deleted
#endif
            ++m_hostUploads;
            m_lastUploadFromDevice = false;
            shown = true;
        }
        node->hasTexture = node->hasTexture || shown;
        if (shown)
            QMetaObject::invokeMethod(this, &VideoTextureItem::uploaded, Qt::QueuedConnection);
        else if (device)
            node->hasTexture = false;  // do not keep showing an older frame as this one
    }
    if (!node->hasTexture) {
        delete node;
        return nullptr;
    }
    // Pixel-exact from 100 % up; smooth when the content is shrunk to fit.
    node->image->setFiltering(scale() * devicePixelRatio() >= 1.0 && m_zoom > 0
                                  ? QSGTexture::Nearest
                                  : QSGTexture::Linear);
    node->image->setRect(paintedRect());
    return node;
}

}  // namespace fvs::ui
