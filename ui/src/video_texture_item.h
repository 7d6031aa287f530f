#pragma once
// VideoTextureItem: shows one video frame with a shared zoom and pan. CPU frames (QImage) are
// uploaded to a QSGTexture on the render thread; in CUDA builds a frame that lives on the GPU
// (`deviceFrame`, a core::DeviceImage) goes through fvs_interop's CudaGlTexture instead: a GL
// texture registered with CUDA once per size, mapped per frame, filled device to device and
// wrapped for the scene graph, so the pixels never pass through host memory (docs/ui.md, "GPU
// display").
//
// Geometry: the frame is drawn as a contentWidth x contentHeight picture (the upscaled output size,
// so original and upscaled line up). zoom 0 fits the item; zoom 1.0 maps one content pixel to one
// device pixel (pixel-exact, nearest filtering); pan is the content point shown at the item centre,
// relative to the content centre, in content pixels.
//
// Thread contract: properties live on the GUI thread; updatePaintNode runs on the render thread
// while the GUI thread is blocked (sync), which is where the counters are written. The interop
// texture belongs to the node and is created, used and destroyed on the render thread with the
// scene graph's GL context current.

#include <QtQml/qqmlregistration.h>
#include <QImage>
#include <QQuickItem>
#include <QVariant>
#include <memory>

#include "fvs/core/device_image.h"

namespace fvs::ui {

using DeviceImagePtr = std::shared_ptr<const core::DeviceImage>;

class VideoTextureItem : public QQuickItem {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QImage image READ image WRITE setImage NOTIFY imageChanged)
    // A DeviceImagePtr in a QVariant (PreviewController::upscaledDeviceFrame); shown instead of
    // `image` while set.
    Q_PROPERTY(QVariant deviceFrame READ deviceFrame WRITE setDeviceFrame NOTIFY deviceFrameChanged)
    Q_PROPERTY(int contentWidth READ contentWidth WRITE setContentWidth NOTIFY geometryChanged)
    Q_PROPERTY(int contentHeight READ contentHeight WRITE setContentHeight NOTIFY geometryChanged)
    Q_PROPERTY(double zoom READ zoom WRITE setZoom NOTIFY geometryChanged)
    Q_PROPERTY(double panX READ panX WRITE setPanX NOTIFY geometryChanged)
    Q_PROPERTY(double panY READ panY WRITE setPanY NOTIFY geometryChanged)
    Q_PROPERTY(double fitZoom READ fitZoom NOTIFY geometryChanged)
    Q_PROPERTY(QRectF paintedRect READ paintedRect NOTIFY geometryChanged)
    Q_PROPERTY(int uploadCount READ uploadCount NOTIFY uploaded)
    Q_PROPERTY(int deviceUploads READ deviceUploads NOTIFY uploaded)
    Q_PROPERTY(int hostUploads READ hostUploads NOTIFY uploaded)
    Q_PROPERTY(bool lastUploadFromDevice READ lastUploadFromDevice NOTIFY uploaded)
    Q_PROPERTY(QString displayError READ displayError NOTIFY displayFailed)

public:
    explicit VideoTextureItem(QQuickItem* parent = nullptr);

    QImage image() const { return m_image; }
    QVariant deviceFrame() const;
    int contentWidth() const { return m_contentWidth; }
    int contentHeight() const { return m_contentHeight; }
    double zoom() const { return m_zoom; }
    double panX() const { return m_panX; }
    double panY() const { return m_panY; }
    // The zoom (in the same units as `zoom`) at which the content fits the item.
    double fitZoom() const;
    // Where the content is drawn, in item coordinates.
    QRectF paintedRect() const;
    int uploadCount() const { return m_hostUploads + m_deviceUploads; }
    int deviceUploads() const { return m_deviceUploads; }  // frames shown through interop
    int hostUploads() const { return m_hostUploads; }      // frames uploaded from host memory
    bool lastUploadFromDevice() const { return m_lastUploadFromDevice; }
    QString displayError() const { return m_displayError; }
    // "12 device frames shown, 0 host copies (texture 1408x768, registered 1x)"
    Q_INVOKABLE QString interopSummary() const;

    void setImage(const QImage& image);
    void setDeviceFrame(const QVariant& frame);
    void setContentWidth(int w);
    void setContentHeight(int h);
    void setZoom(double zoom);
    void setPanX(double x);
    void setPanY(double y);

    // Maps an item point to content pixel coordinates (for zoom-at-cursor and pixel readouts).
    Q_INVOKABLE QPointF toContent(QPointF itemPoint) const;

    // Whether this build can show device frames (fvs_interop compiled in).
    static bool interopCompiledIn();
    // Process-wide uploads through interop whose source was host memory (0 without interop).
    static quint64 hostCopies();
    // Log one `interop:` line every this many device frames (and at the first).
    static constexpr int kLogEvery = 100;

Q_SIGNALS:
    void imageChanged();
    void deviceFrameChanged();
    void geometryChanged();
    void uploaded();
    // Device frames cannot be shown (no interop in this build, a scene graph that is not OpenGL,
    // or a CUDA-GL failure); the item then shows host frames only.
    void displayFailed(const QString& message);

protected:
    QSGNode* updatePaintNode(QSGNode* old, UpdatePaintNodeData* data) override;
    void geometryChange(const QRectF& newGeometry, const QRectF& oldGeometry) override;

private:
    class Node;
    double devicePixelRatio() const;
    double scale() const;                      // item pixels per content pixel
    bool uploadDevice(Node& node);             // render thread
    void failDisplay(const QString& message);  // render thread

    QImage m_image;
    DeviceImagePtr m_device;
    bool m_contentDirty = false;
    int m_contentWidth = 0;
    int m_contentHeight = 0;
    double m_zoom = 0.0;
    double m_panX = 0.0;
    double m_panY = 0.0;
    // Written on the render thread during sync (GUI thread blocked), read on the GUI thread.
    int m_hostUploads = 0;
    int m_deviceUploads = 0;
    bool m_lastUploadFromDevice = false;
    int m_registrations = 0;
    QSize m_interopSize;
    bool m_interopBroken = false;
    QString m_displayError;
};

}  // namespace fvs::ui
