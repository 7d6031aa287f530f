#include "video_texture_item.h"

#include <QQuickWindow>
#include <QSGImageNode>
#include <algorithm>

namespace fvs::ui {

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
    m_imageDirty = true;
    Q_EMIT imageChanged();
    update();
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

// Render thread (GUI thread blocked in sync): the texture is made and owned by the node.
QSGNode* VideoTextureItem::updatePaintNode(QSGNode* old, UpdatePaintNodeData*) {
    auto* node = static_cast<QSGImageNode*>(old);
    if (m_image.isNull() || m_contentWidth <= 0 || m_contentHeight <= 0) {
        delete node;
        return nullptr;
    }
    if (!node) {
        node = window()->createImageNode();
        node->setOwnsTexture(true);
        m_imageDirty = true;
    }
    if (m_imageDirty) {
        node->setTexture(window()->createTextureFromImage(m_image));
        m_imageDirty = false;
        ++m_uploadCount;
        QMetaObject::invokeMethod(this, &VideoTextureItem::uploaded, Qt::QueuedConnection);
    }
    // Pixel-exact from 100 % up; smooth when the content is shrunk to fit.
    node->setFiltering(scale() * devicePixelRatio() >= 1.0 && m_zoom > 0 ? QSGTexture::Nearest
                                                                         : QSGTexture::Linear);
    node->setRect(paintedRect());
    return node;
}

}  // namespace fvs::ui
