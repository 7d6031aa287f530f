#pragma once
// ThumbnailProvider: "image://thumbnails/<frame>?<url-encoded path>" for the timeline. Decoding
// runs on QThreadPool workers (core::decodeThumbnail), never on the GUI thread.

#include <QQuickAsyncImageProvider>

namespace fvs::ui {

class ThumbnailProvider : public QQuickAsyncImageProvider {
public:
    static constexpr const char* kName = "thumbnails";

    QQuickImageResponse* requestImageResponse(const QString& id,
                                              const QSize& requestedSize) override;
};

}  // namespace fvs::ui
