#pragma once
// VideoTextureItem: shows one video frame with a shared zoom and pan. CPU frames (QImage) are
// uploaded to a QSGTexture on the render thread; in CUDA builds a frame that lives on the GPU goes
// through fvs_interop's CudaGlTexture instead (no host copy), see docs/ui.md.
//
// Geometry: the frame is drawn as a contentWidth x contentHeight picture (the upscaled output size,
// so original and upscaled line up). zoom 0 fits the item; zoom 1.0 maps one content pixel to one
// device pixel (pixel-exact, nearest filtering); pan is the content point shown at the item centre,
// relative to the content centre, in content pixels.

#include <QtQml/qqmlregistration.h>
#include <QImage>
#include <QQuickItem>

namespace fvs::ui {

class VideoTextureItem : public QQuickItem {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QImage image READ image WRITE setImage NOTIFY imageChanged)
    Q_PROPERTY(int contentWidth READ contentWidth WRITE setContentWidth NOTIFY geometryChanged)
    Q_PROPERTY(int contentHeight READ contentHeight WRITE setContentHeight NOTIFY geometryChanged)
    Q_PROPERTY(double zoom READ zoom WRITE setZoom NOTIFY geometryChanged)
    Q_PROPERTY(double panX READ panX WRITE setPanX NOTIFY geometryChanged)
    Q_PROPERTY(double panY READ panY WRITE setPanY NOTIFY geometryChanged)
    Q_PROPERTY(double fitZoom READ fitZoom NOTIFY geometryChanged)
    Q_PROPERTY(QRectF paintedRect READ paintedRect NOTIFY geometryChanged)
    Q_PROPERTY(int uploadCount READ uploadCount NOTIFY uploaded)

public:
    explicit VideoTextureItem(QQuickItem* parent = nullptr);

    QImage image() const { return m_image; }
    int contentWidth() const { return m_contentWidth; }
    int contentHeight() const { return m_contentHeight; }
    double zoom() const { return m_zoom; }
    double panX() const { return m_panX; }
    double panY() const { return m_panY; }
    // The zoom (in the same units as `zoom`) at which the content fits the item.
    double fitZoom() const;
    // Where the content is drawn, in item coordinates.
    QRectF paintedRect() const;
    int uploadCount() const { return m_uploadCount; }

    void setImage(const QImage& image);
    void setContentWidth(int w);
    void setContentHeight(int h);
    void setZoom(double zoom);
    void setPanX(double x);
    void setPanY(double y);

    // Maps an item point to content pixel coordinates (for zoom-at-cursor and pixel readouts).
    Q_INVOKABLE QPointF toContent(QPointF itemPoint) const;

Q_SIGNALS:
    void imageChanged();
    void geometryChanged();
    void uploaded();

protected:
    QSGNode* updatePaintNode(QSGNode* old, UpdatePaintNodeData* data) override;
    void geometryChange(const QRectF& newGeometry, const QRectF& oldGeometry) override;

private:
    double devicePixelRatio() const;
    double scale() const;  // item pixels per content pixel

    QImage m_image;
    bool m_imageDirty = false;
    int m_contentWidth = 0;
    int m_contentHeight = 0;
    double m_zoom = 0.0;
    double m_panX = 0.0;
    double m_panY = 0.0;
    int m_uploadCount = 0;
};

}  // namespace fvs::ui
