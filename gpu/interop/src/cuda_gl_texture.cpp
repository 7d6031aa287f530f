#include "fvs/interop/cuda_gl_texture.h"

#include <GL/gl.h>
#include <cuda_gl_interop.h>
#include <cuda_runtime_api.h>

#include <atomic>

namespace fvs::interop {
namespace {

std::atomic<std::uint64_t> g_hostCopies{0};

bool check(cudaError_t status, const char* what, std::string* error) {
    if (status == cudaSuccess)
        return true;
    if (error)
        *error = std::string(what) + ": " + cudaGetErrorString(status);
    return false;
}

}  // namespace

std::uint64_t CudaGlTexture::hostCopies() {
    return g_hostCopies.load();
}

CudaGlTexture::~CudaGlTexture() {
    release();
    if (m_stream)
        cudaStreamDestroy(static_cast<cudaStream_t>(m_stream));
}

bool CudaGlTexture::ensureStream(int deviceIndex, std::string* error) {
    if (m_stream && m_streamDevice == deviceIndex)
        return true;
    if (m_stream)
        cudaStreamDestroy(static_cast<cudaStream_t>(m_stream));
    m_stream = nullptr;
    cudaStream_t created = nullptr;
    if (!check(cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking),
               "cudaStreamCreateWithFlags", error))
        return false;
    m_stream = created;
    m_streamDevice = deviceIndex;
    return true;
}

void CudaGlTexture::release() {
    if (m_resource) {
        cudaGraphicsUnregisterResource(static_cast<cudaGraphicsResource_t>(m_resource));
        m_resource = nullptr;
    }
    if (m_texture) {
        glDeleteTextures(1, &m_texture);
        m_texture = 0;
    }
    m_width = m_height = 0;
}

bool CudaGlTexture::recreate(int width, int height, std::string* error) {
    release();
    // Errors left by earlier GL work (the scene graph's) must not read as ours below; the cap
    // guards against a context that reports an error on every call.
    for (int i = 0; i < 16 && glGetError() != GL_NO_ERROR; ++i) {
    }
    glGenTextures(1, &m_texture);
    glBindTexture(GL_TEXTURE_2D, m_texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    glBindTexture(GL_TEXTURE_2D, 0);
    if (glGetError() != GL_NO_ERROR) {
        if (error)
            *error = "cannot allocate the GL texture";
        release();
        return false;
    }
    cudaGraphicsResource_t resource = nullptr;
    // Write-discard: CUDA overwrites the whole texture each frame.
    if (!check(cudaGraphicsGLRegisterImage(&resource, m_texture, GL_TEXTURE_2D,
                                           cudaGraphicsRegisterFlagsWriteDiscard),
               "cudaGraphicsGLRegisterImage", error)) {
        release();
        return false;
    }
    m_resource = resource;
    m_width = width;
    m_height = height;
    ++m_registrations;
    return true;
}

bool CudaGlTexture::upload(const void* source, std::size_t pitchBytes, int width, int height,
                           int deviceIndex, void* stream, std::string* error) {
    if (!source || width <= 0 || height <= 0 || pitchBytes < std::size_t(width) * 4) {
        if (error)
            *error = "invalid frame for upload";
        return false;
    }
    // The render thread has no CUDA device of its own choosing: use the frame's.
    int current = -1;
    if (!check(cudaGetDevice(&current), "cudaGetDevice", error))
        return false;
    if (current != deviceIndex && !check(cudaSetDevice(deviceIndex), "cudaSetDevice", error))
        return false;
    if ((width != m_width || height != m_height || !m_resource) && !recreate(width, height, error))
        return false;

    cudaPointerAttributes attributes{};
    const bool onDevice =
        cudaPointerGetAttributes(&attributes, source) == cudaSuccess &&
        (attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged);
    cudaGetLastError();  // a host pointer may leave a sticky "invalid value" from the query
    if (!onDevice)
        ++g_hostCopies;

    if (!stream && !ensureStream(deviceIndex, error))
        return false;
    auto cudaStream = static_cast<cudaStream_t>(stream ? stream : m_stream);
    auto resource = static_cast<cudaGraphicsResource_t>(m_resource);
    if (!check(cudaGraphicsMapResources(1, &resource, cudaStream), "cudaGraphicsMapResources",
               error))
        return false;
    cudaArray_t array = nullptr;
    bool ok = check(cudaGraphicsSubResourceGetMappedArray(&array, resource, 0, 0),
                    "cudaGraphicsSubResourceGetMappedArray", error);
    if (ok) {
        ok = check(cudaMemcpy2DToArrayAsync(
                       array, 0, 0, source, pitchBytes, std::size_t(width) * 4, height,
                       onDevice ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice, cudaStream),
                   "cudaMemcpy2DToArrayAsync", error);
    }
    // Unmapping orders the copy before GL uses the texture.
    ok = check(cudaGraphicsUnmapResources(1, &resource, cudaStream), "cudaGraphicsUnmapResources",
               error) &&
         ok;
    // The caller releases the frame (its memory may be reused at once): wait for the copy. A
    // device-to-device copy of one frame takes well under a millisecond.
    ok = ok && check(cudaStreamSynchronize(cudaStream), "cudaStreamSynchronize", error);
    if (ok)
        ++m_uploads;
    return ok;
}

}  // namespace fvs::interop
