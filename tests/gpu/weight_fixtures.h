#pragma once
// Shared by the gpu loader tests: generates the fixture files with the project's real Python torch
// (make_weight_fixtures.py) and reads the independently written expected values.

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace fvs::test {

// Runs make_weight_fixtures.py into `dir`; returns the error text, empty on success.
inline QString generateWeightFixtures(const QString& dir) {
    QProcess python;
    python.start(QStringLiteral(FVS_PYTHON),
                 {QStringLiteral(FVS_SOURCE_DIR "/tests/gpu/make_weight_fixtures.py"), dir});
    if (!python.waitForFinished(120000))
        return "python did not finish: " + python.errorString();
    if (python.exitStatus() != QProcess::NormalExit || python.exitCode() != 0)
        return "python failed: " + QString::fromUtf8(python.readAllStandardError());
    return {};
}

struct ExpectedTensor {
    std::string dtype;
    std::vector<int64_t> shape;
    std::vector<char> bytes;  // contiguous little-endian values
};

// Reads FILE.expected/index.json and the raw value files next to it.
inline std::map<std::string, ExpectedTensor> readExpected(const QString& file) {
    std::map<std::string, ExpectedTensor> out;
    const QString dir = file + ".expected";
    QFile index(dir + "/index.json");
    if (!index.open(QIODevice::ReadOnly))
        return out;
    const QJsonObject obj = QJsonDocument::fromJson(index.readAll()).object();
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        const QJsonObject e = it.value().toObject();
        ExpectedTensor t;
        t.dtype = e["dtype"].toString().toStdString();
        for (const auto& d : e["shape"].toArray())
            t.shape.push_back(d.toInteger());
        QFile raw(dir + "/" + e["file"].toString());
        if (raw.open(QIODevice::ReadOnly)) {
            const QByteArray b = raw.readAll();
            t.bytes.assign(b.begin(), b.end());
        }
        out.emplace(it.key().toStdString(), std::move(t));
    }
    return out;
}

inline torch::ScalarType scalarTypeOf(const std::string& dtype) {
    static const std::map<std::string, torch::ScalarType> types = {
        {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
        {"F64", torch::kFloat64}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
        {"I16", torch::kInt16},   {"I8", torch::kInt8},     {"U8", torch::kUInt8},
        {"BOOL", torch::kBool}};
    return types.at(dtype);
}

// Empty when `actual` holds exactly the expected dtype, shape and bytes; else what differs.
inline std::string compareWithExpected(const std::string& key, const torch::Tensor& actual,
                                       const ExpectedTensor& expected) {
    if (!actual.defined())
        return key + ": undefined tensor";
    if (actual.scalar_type() != scalarTypeOf(expected.dtype))
        return key + ": dtype " + std::string(c10::toString(actual.scalar_type())) +
               " != " + expected.dtype;
    if (actual.sizes().vec() != expected.shape)
        return key + ": shape differs";
    const torch::Tensor c = actual.contiguous();
    const size_t n = static_cast<size_t>(c.numel() * c.element_size());
    if (n != expected.bytes.size())
        return key + ": byte count differs";
    if (n && std::memcmp(c.data_ptr(), expected.bytes.data(), n) != 0)
        return key + ": values differ";
    return {};
}

// The C++ twin of make_weight_fixtures.py's SmallNet: same parameter and buffer names.
struct SmallNetImpl : torch::nn::Module {
    SmallNetImpl() {
        conv =
            register_module("conv", torch::nn::Conv3d(torch::nn::Conv3dOptions(3, 4, {2, 3, 3})));
        blocks = register_module(
            "blocks",
            torch::nn::Sequential(torch::nn::Linear(4, 5), torch::nn::SiLU(),
                                  torch::nn::Linear(torch::nn::LinearOptions(5, 2).bias(false))));
        norm = register_module("norm", torch::nn::BatchNorm1d(2));
        gamma = register_parameter("gamma", torch::zeros({2, 1, 1}));
    }
    torch::nn::Conv3d conv{nullptr};
    torch::nn::Sequential blocks{nullptr};
    torch::nn::BatchNorm1d norm{nullptr};
    torch::Tensor gamma;
};

inline bool writeBytes(const std::filesystem::path& path, const std::vector<char>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
}

inline std::vector<char> readBytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace fvs::test
