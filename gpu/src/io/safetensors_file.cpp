// safetensors reader/writer: 8-byte little-endian header length, JSON header, raw little-endian
// data. Everything in the header is untrusted: lengths, offsets and shapes are checked before any
// byte of the data section is touched.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "io/mapped_file.h"
#include "io/tensor_io.h"

namespace fvs::gpu {

namespace {

using core::ErrorCode;
using core::makeError;

// The safetensors format itself caps the header at 100 MB; anything larger is corrupt.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

struct DtypeSpec {
    const char* name;
    torch::ScalarType type;
    int64_t elementSize;
};

constexpr DtypeSpec kDtypes[] = {
    {"F64", torch::kFloat64, 8},   {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

std::optional<DtypeSpec> dtypeByName(const std::string& name) {
    for (const auto& d : kDtypes)
        if (name == d.name)
            return d;
    return std::nullopt;
}

std::optional<DtypeSpec> dtypeByType(torch::ScalarType type) {
    for (const auto& d : kDtypes)
        if (type == d.type)
            return d;
    return std::nullopt;
}

core::Error modelError(const std::filesystem::path& path, const std::string& what) {
    return makeError(ErrorCode::ModelError, path.string() + ": " + what);
}

core::Error keyError(const std::filesystem::path& path, const std::string& key,
                     const std::string& what) {
    return modelError(path, "tensor '" + key + "': " + what);
}

uint64_t readLe64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

// Reads exactly n bytes at offset; false on a short read.
bool readAt(int fd, uint64_t offset, void* out, uint64_t n) {
    auto* dst = static_cast<uint8_t*>(out);
    while (n > 0) {
        const ssize_t got =
            ::pread(fd, dst, std::min<uint64_t>(n, 1u << 30), static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        dst += got;
        offset += static_cast<uint64_t>(got);
        n -= static_cast<uint64_t>(got);
    }
    return true;
}

struct ParsedHeader {
    uint64_t dataStart = 0;  // file offset of the data section
    std::map<std::string, TensorHeaderEntry> entries;
    std::map<std::string, std::string> metadata;  // __metadata__'s string values
};

// Validates the JSON header against the file size: known dtypes, non-negative shapes, offsets
// inside the data section, byte count = numel × element size, no two tensors sharing bytes.
core::Result<ParsedHeader> parseHeader(const std::filesystem::path& path, const std::string& json,
                                       uint64_t fileSize) {
    ParsedHeader out;
    out.dataStart = 8 + json.size();
    const uint64_t dataSize = fileSize - out.dataStart;
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(json);
    } catch (const std::exception& e) {
        return modelError(path, std::string("the safetensors header is not valid JSON (") +
                                    e.what() + "); the file is corrupt or not a safetensors file");
    }
    if (!header.is_object())
        return modelError(path, "the safetensors header is not a JSON object");

    for (const auto& [key, info] : header.items()) {
        if (key == "__metadata__") {
            if (info.is_object())
                for (const auto& [name, value] : info.items())
                    if (value.is_string())
                        out.metadata[name] = value.get<std::string>();
            continue;
        }
        if (!info.is_object())
            return keyError(path, key, "header entry is not an object");
        const auto dt = info.find("dtype");
        const auto sh = info.find("shape");
        const auto off = info.find("data_offsets");
        if (dt == info.end() || !dt->is_string() || sh == info.end() || !sh->is_array() ||
            off == info.end() || !off->is_array() || off->size() != 2)
            return keyError(path, key, "header entry needs dtype, shape and two data_offsets");
        TensorHeaderEntry entry;
        entry.dtype = dt->get<std::string>();
        const auto spec = dtypeByName(entry.dtype);
        if (!spec)
            return keyError(path, key, "unsupported dtype '" + entry.dtype + "'");
        uint64_t numel = 1;
        for (const auto& d : *sh) {
            if (!d.is_number_unsigned())
                return keyError(path, key, "shape has a non-integer or negative size");
            const uint64_t v = d.get<uint64_t>();
            if (v != 0 && numel > std::numeric_limits<int64_t>::max() / v)
                return keyError(path, key, "shape is too large");
            numel *= v;
            entry.shape.push_back(static_cast<int64_t>(v));
        }
        for (const auto& o : *off)
            if (!o.is_number_unsigned())
                return keyError(path, key, "data_offsets must be non-negative integers");
        entry.dataBegin = (*off)[0].get<uint64_t>();
        entry.dataEnd = (*off)[1].get<uint64_t>();
        if (entry.dataBegin > entry.dataEnd)
            return keyError(path, key, "data_offsets are reversed");
        if (entry.dataEnd > dataSize)
            return keyError(path, key,
                            "data [" + std::to_string(entry.dataBegin) + ", " +
                                std::to_string(entry.dataEnd) +
                                ") lies beyond the end of the file (" + std::to_string(dataSize) +
                                " data bytes); the file is truncated");
        if (numel >
                std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(spec->elementSize) ||
            numel * static_cast<uint64_t>(spec->elementSize) != entry.dataEnd - entry.dataBegin)
            return keyError(path, key,
                            "shape " + shapeString(entry.shape) + " × " + entry.dtype + " needs " +
                                std::to_string(numel * static_cast<uint64_t>(spec->elementSize)) +
                                " bytes but data_offsets give " +
                                std::to_string(entry.dataEnd - entry.dataBegin));
        out.entries.emplace(key, std::move(entry));
    }

    std::vector<std::pair<const std::string*, const TensorHeaderEntry*>> byOffset;
    for (const auto& [key, e] : out.entries)
        if (e.dataEnd > e.dataBegin)
            byOffset.emplace_back(&key, &e);
    std::sort(byOffset.begin(), byOffset.end(), [](const auto& a, const auto& b) {
        return a.second->dataBegin < b.second->dataBegin;
    });
    for (size_t i = 1; i < byOffset.size(); ++i)
        if (byOffset[i].second->dataBegin < byOffset[i - 1].second->dataEnd)
            return keyError(path, *byOffset[i].first,
                            "its data overlaps tensor '" + *byOffset[i - 1].first + "'");
    return out;
}

struct FdHolder {
    int fd = -1;
    ~FdHolder() {
        if (fd >= 0)
            ::close(fd);
    }
};

// Reads the length prefix and the JSON text with plain reads (no mapping needed).
core::Result<ParsedHeader> loadHeader(const std::filesystem::path& path, int fd,
                                      uint64_t fileSize) {
    if (fileSize < 8)
        return modelError(path,
                          "file has " + std::to_string(fileSize) +
                              " bytes, too short for a safetensors header; the file is truncated");
    uint8_t lenBytes[8];
    if (!readAt(fd, 0, lenBytes, 8))
        return modelError(path, "cannot read the header length");
    const uint64_t headerLen = readLe64(lenBytes);
    if (headerLen > kMaxHeaderBytes || headerLen > fileSize - 8)
        return modelError(path, "header length " + std::to_string(headerLen) +
                                    " exceeds the file size (" + std::to_string(fileSize) +
                                    " bytes); the file is truncated or not a safetensors file");
    std::string json(headerLen, '\0');
    if (!readAt(fd, 8, json.data(), headerLen))
        return modelError(path, "cannot read the header");
    return parseHeader(path, json, fileSize);
}

core::Result<uint64_t> openForRead(const std::filesystem::path& path, FdHolder& fd) {
    fd.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd.fd < 0) {
        const int err = errno;
        return makeError(err == ENOENT ? ErrorCode::NotFound : ErrorCode::IoError,
                         "cannot open " + path.string() + ": " + std::strerror(err));
    }
    const off_t end = ::lseek(fd.fd, 0, SEEK_END);
    if (end < 0)
        return makeError(ErrorCode::IoError, "cannot seek in " + path.string());
    return static_cast<uint64_t>(end);
}

}  // namespace

std::string shapeString(c10::IntArrayRef shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i)
            s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + ")";
}

core::Result<std::map<std::string, TensorHeaderEntry>> readSafeTensorsHeader(
    const std::filesystem::path& path) {
    FdHolder fd;
    auto size = openForRead(path, fd);
    if (!size)
        return size.error();
    auto header = loadHeader(path, fd.fd, *size);
    if (!header)
        return header.error();
    return std::move(header.value().entries);
}

core::Result<std::map<std::string, std::string>> readSafeTensorsMetadata(
    const std::filesystem::path& path) {
    FdHolder fd;
    auto size = openForRead(path, fd);
    if (!size)
        return size.error();
    auto header = loadHeader(path, fd.fd, *size);
    if (!header)
        return header.error();
    return std::move(header.value().metadata);
}

core::Result<TensorMap> readSafeTensors(const std::filesystem::path& path,
                                        const ReadOptions& options) {
    FdHolder fd;
    auto size = openForRead(path, fd);
    if (!size)
        return size.error();
    auto parsed = loadHeader(path, fd.fd, *size);
    if (!parsed)
        return parsed.error();
    const ParsedHeader& header = parsed.value();

    std::shared_ptr<MappedFile> mapping;
    if (options.memoryMap) {
        auto mapped = MappedFile::open(path);
        if (!mapped)
            return mapped.error();
        mapping = std::move(mapped.value());
        if (mapping->size() != *size)
            return modelError(path, "the file changed while being opened");
    }

    int64_t total = 0;
    for (const auto& [key, e] : header.entries)
        total += static_cast<int64_t>(e.dataEnd - e.dataBegin);
    int64_t done = 0;
    if (options.onProgress)
        options.onProgress(0, total);

    TensorMap tensors;
    for (const auto& [key, e] : header.entries) {
        const DtypeSpec spec = *dtypeByName(e.dtype);
        const auto opts = torch::TensorOptions().dtype(spec.type);
        const uint64_t bytes = e.dataEnd - e.dataBegin;
        const uint64_t fileOffset = header.dataStart + e.dataBegin;
        torch::Tensor t;
        if (mapping && bytes > 0 &&
            reinterpret_cast<uintptr_t>(mapping->data() + fileOffset) % spec.elementSize == 0) {
            if (options.prefetch)
                mapping->prefetch(fileOffset, bytes);
            // The deleter owns a reference to the mapping: the bytes stay valid while any view
            // lives.
            t = torch::from_blob(
                mapping->mutableData() + fileOffset, e.shape, [keep = mapping](void*) {}, opts);
        } else {
            t = torch::empty(e.shape, opts);
            if (bytes > 0) {
                const bool ok =
                    mapping ? (std::memcpy(t.data_ptr(), mapping->data() + fileOffset, bytes), true)
                            : readAt(fd.fd, fileOffset, t.data_ptr(), bytes);
                if (!ok)
                    return keyError(path, key, "cannot read its data; the file is truncated");
            }
        }
        if (spec.type == torch::kBool && bytes > 0) {
            const auto* p = static_cast<const uint8_t*>(t.data_ptr());
            if (std::any_of(p, p + bytes, [](uint8_t b) { return b > 1; }))
                return keyError(path, key, "BOOL data holds bytes other than 0 and 1");
        }
        tensors.emplace(key, std::move(t));
        done += static_cast<int64_t>(bytes);
        if (options.onProgress)
            options.onProgress(done, total);
    }
    return tensors;
}

core::Status writeSafeTensors(const std::filesystem::path& path, const TensorMap& tensors) {
    nlohmann::json header = nlohmann::json::object();
    std::vector<torch::Tensor> data;
    uint64_t offset = 0;
    for (const auto& [key, tensor] : tensors) {
        if (key == "__metadata__")
            return makeError(ErrorCode::InvalidArgument,
                             "'__metadata__' is reserved in safetensors");
        if (!tensor.defined())
            return makeError(ErrorCode::InvalidArgument, "tensor '" + key + "' is undefined");
        const auto spec = dtypeByType(tensor.scalar_type());
        if (!spec)
            return makeError(ErrorCode::InvalidArgument,
                             "tensor '" + key + "' has dtype " +
                                 std::string(c10::toString(tensor.scalar_type())) +
                                 ", which safetensors writing does not support");
        torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
        const uint64_t bytes = static_cast<uint64_t>(cpu.numel()) * spec->elementSize;
        header[key] = {{"dtype", spec->name},
                       {"shape", cpu.sizes().vec()},
                       {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        data.push_back(std::move(cpu));
    }
    std::string json = header.dump();
    json.append((8 - json.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned for mmap

    std::filesystem::path tmp = path;
    tmp += ".tmp-" + std::to_string(std::random_device{}());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            return makeError(ErrorCode::IoError,
                             "cannot create " + tmp.string() + ": " + std::strerror(errno));
        uint8_t len[8];
        for (int i = 0; i < 8; ++i)
            len[i] = static_cast<uint8_t>(json.size() >> (8 * i));
        out.write(reinterpret_cast<const char*>(len), 8);
        out.write(json.data(), static_cast<std::streamsize>(json.size()));
        for (const auto& t : data)
            out.write(static_cast<const char*>(t.data_ptr()),
                      static_cast<std::streamsize>(t.numel() * t.element_size()));
        out.flush();
        if (!out) {
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            return makeError(errno == ENOSPC ? ErrorCode::DiskFull : ErrorCode::IoError,
                             "cannot write " + path.string());
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        return makeError(ErrorCode::IoError, "cannot rename the written file to " + path.string());
    }
    return {};
}

}  // namespace fvs::gpu
