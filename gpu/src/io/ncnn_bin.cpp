#include "io/ncnn_bin.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>

namespace fvs::gpu {
namespace {

// Storage tags in front of a tagged weight: 0 = raw fp32, this one = IEEE fp16.
constexpr uint32_t kTagFloat16 = 0x01306B47;
constexpr uint32_t kTagInt8 = 0x000D4B38;

float halfToFloat(uint16_t h) {
    const uint32_t sign = (h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu;
    uint32_t mantissa = h & 0x3FFu;
    uint32_t bits = 0;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);  // inf / nan
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa != 0) {  // subnormal: normalise
        exponent = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            --exponent;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
    } else {
        bits = sign;
    }
    return std::bit_cast<float>(bits);
}

class BinReader {
public:
    BinReader(const std::filesystem::path& file, std::vector<char> bytes)
        : m_file(file), m_bytes(std::move(bytes)) {}

    size_t remaining() const { return m_bytes.size() - m_pos; }
    size_t position() const { return m_pos; }

    core::Status read(void* out, size_t n, const std::string& what) {
        if (n > remaining())
            return error(what + ": needs " + std::to_string(n) + " bytes at offset " +
                         std::to_string(m_pos) + ", the file has " + std::to_string(remaining()) +
                         " left (truncated, or the .bin does "
                         "not belong to this .param)");
        std::memcpy(out, m_bytes.data() + m_pos, n);
        m_pos += n;
        return {};
    }

    core::Status readRaw(size_t count, NcnnWeight& w, const std::string& what) {
        w.storage = NcnnStorage::Float32;
        w.values.resize(count);
        return read(w.values.data(), count * sizeof(float), what);
    }

    core::Status readTagged(size_t count, NcnnWeight& w, const std::string& what) {
        uint32_t tag = 0;
        if (auto st = read(&tag, sizeof tag, what + " storage tag"); !st)
            return st;
        if (tag == 0)
            return readRaw(count, w, what);
        if (tag == kTagFloat16) {
            std::vector<uint16_t> halves(count);
            if (auto st = read(halves.data(), count * 2, what); !st)
                return st;
            const size_t padding = (4 - (count * 2) % 4) % 4;  // fp16 data is padded to 4 bytes
            char pad[4];
            if (auto st = read(pad, padding, what + " padding"); !st)
                return st;
            w.storage = NcnnStorage::Float16;
            w.values.resize(count);
            for (size_t i = 0; i < count; ++i)
                w.values[i] = halfToFloat(halves[i]);
            return {};
        }
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%08X", tag);
        return error(what + ": unsupported weight storage tag " + hex + " at offset " +
                     std::to_string(m_pos - 4) +
                     (tag == kTagInt8 ? " (int8-quantised weights)" : "") +
                     "; only fp32 and fp16 weights are supported");
    }

    core::Error error(const std::string& what) const {
        return core::makeError(core::ErrorCode::ModelError, m_file.string() + ": " + what);
    }

private:
    std::filesystem::path m_file;
    std::vector<char> m_bytes;
    size_t m_pos = 0;
};

}  // namespace

core::Result<NcnnWeights> readNcnnBin(const std::filesystem::path& file, const NcnnGraph& graph) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return core::makeError(core::ErrorCode::ModelError,
                               "cannot read the ncnn weights file " + file.string());
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    BinReader reader(file, std::move(bytes));
    NcnnWeights weights;
    weights.file = file;
    for (const auto& layer : graph.layers) {
        const std::string where = "layer " + layer.name + " (" + layer.type + ")";
        NcnnLayerWeights lw;
        if (layer.type == "Convolution") {
            const int outputs = layer.intParam(0, 0);
            const int size = layer.intParam(6, 0);
            if (outputs <= 0 || size <= 0)
                return reader.error(where +
                                    ": num_output (0=) and weight_data_size (6=) must "
                                    "be positive");
            if (auto st =
                    reader.readTagged(static_cast<size_t>(size), lw.weight, where + " weight");
                !st)
                return st.error();
            if (layer.intParam(5, 0) != 0) {
                if (auto st =
                        reader.readRaw(static_cast<size_t>(outputs), lw.bias, where + " bias");
                    !st)
                    return st.error();
            }
        } else if (layer.type == "PReLU") {
            const int slopes = layer.intParam(0, 0);
            if (slopes <= 0)
                return reader.error(where + ": num_slope (0=) must be positive");
            if (auto st = reader.readRaw(static_cast<size_t>(slopes), lw.weight, where + " slope");
                !st)
                return st.error();
        } else {
            continue;
        }
        for (const NcnnWeight* w : {&lw.weight, &lw.bias}) {
            if (w->values.empty())
                continue;
            (w->storage == NcnnStorage::Float16 ? weights.fp16Tensors : weights.fp32Tensors) += 1;
        }
        weights.byLayer.emplace(layer.name, std::move(lw));
    }
    if (reader.remaining() != 0)
        return reader.error(std::to_string(reader.remaining()) +
                            " bytes left after the last layer's weights (offset " +
                            std::to_string(reader.position()) + "): the .bin does not belong to " +
                            graph.file.filename().string());
    return weights;
}

}  // namespace fvs::gpu
