#pragma once
// CudaGlTexture: an OpenGL RGBA8 texture that CUDA writes into directly (CUDA-GL interop), so a
// frame that lives on the GPU reaches the screen without a trip through host memory.
// The texture is created and registered with cudaGraphicsGLRegisterImage once per size; each
// frame is map -> cudaMemcpy2DToArrayAsync (device to array) -> unmap.
//
// Thread contract: every call, including the destructor, happens on the thread whose OpenGL
// context is current (the Qt scene graph's render thread), as CUDA-GL interop requires.
// No Qt, no LibTorch: plain CUDA runtime + OpenGL.

#include <cstddef>
#include <cstdint>
#include <string>

namespace fvs::interop {

class CudaGlTexture {
public:
    CudaGlTexture() = default;
    ~CudaGlTexture();
    CudaGlTexture(const CudaGlTexture&) = delete;
    CudaGlTexture& operator=(const CudaGlTexture&) = delete;

    // Copies a width x height RGBA8 image at `source` (row pitch `pitchBytes`, memory of CUDA
    // device `deviceIndex`) into the texture, (re)creating and registering the texture when the
    // size changed. `stream` is a cudaStream_t; nullptr: the texture's own non-blocking stream,
    // so the copy does not wait behind other work on the legacy default stream (an engine's, which
    // would stall the render thread and with it the GUI). The copy has finished when upload()
    // returns, so the caller may release `source` at once; the producer must have finished
    // writing it before the call.
    // Returns false with `error` set on failure (the texture then keeps its last content).
    bool upload(const void* source, std::size_t pitchBytes, int width, int height, int deviceIndex,
                void* stream, std::string* error);

    unsigned int textureId() const { return m_texture; }
    int width() const { return m_width; }
    int height() const { return m_height; }
    std::uint64_t uploads() const { return m_uploads; }
    std::uint64_t registrations() const { return m_registrations; }

    // Process-wide count of uploads whose source was host memory (a staging copy through the host).
    // Device frames never add to it; the interop proof checks it stays 0.
    static std::uint64_t hostCopies();

private:
    bool recreate(int width, int height, std::string* error);
    void release();
    bool ensureStream(int deviceIndex, std::string* error);

    unsigned int m_texture = 0;
    void* m_resource = nullptr;  // cudaGraphicsResource_t
    void* m_stream = nullptr;    // cudaStream_t, non-blocking, on device m_streamDevice
    int m_streamDevice = -1;
    int m_width = 0;
    int m_height = 0;
    std::uint64_t m_uploads = 0;
    std::uint64_t m_registrations = 0;
};

}  // namespace fvs::interop
