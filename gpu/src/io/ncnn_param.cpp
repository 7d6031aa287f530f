#include "io/ncnn_param.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace fvs::gpu {
namespace {

constexpr int kMagic = 7767517;
constexpr int kArrayKeyBase = -23300;

core::Error paramError(const std::filesystem::path& file, int line, const std::string& what) {
    return core::makeError(core::ErrorCode::ModelError,
                           file.string() + ":" + std::to_string(line) + ": " + what);
}

bool parseInt(const std::string& s, int& out) {
    const char* end = s.data() + s.size();
    auto [p, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && p == end;
}

bool parseNumber(const std::string& s, bool& isFloat, int& i, float& f) {
    isFloat = s.find_first_of(".eE") != std::string::npos;
    if (!isFloat) {
        if (!parseInt(s, i))
            return false;
        f = static_cast<float>(i);
        return true;
    }
    try {
        size_t used = 0;
        f = std::stof(s, &used);
        return used == s.size();
    } catch (const std::exception&) {
        return false;
    }
}

bool parseValue(int key, const std::string& text, NcnnParamValue& v) {
    if (key > kArrayKeyBase) {
        return parseNumber(text, v.isFloat, v.intValue, v.floatValue);
    }
    v.isArray = true;
    std::vector<std::string> items;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');)
        items.push_back(item);
    int count = 0;
    if (items.empty() || !parseInt(items[0], count) || count < 0 ||
        static_cast<size_t>(count) != items.size() - 1)
        return false;
    for (size_t k = 1; k < items.size(); ++k) {
        bool isFloat = false;
        int i = 0;
        float f = 0;
        if (!parseNumber(items[k], isFloat, i, f))
            return false;
        v.isFloat = v.isFloat || isFloat;
        v.array.push_back(f);
    }
    return true;
}

// Inputs and outputs each layer type takes (-1: one or more).
struct Arity {
    int inputs;
    int outputs;
};
const std::unordered_map<std::string, Arity>& arities() {
    static const std::unordered_map<std::string, Arity> table{
        {"Input", {0, 1}},     {"Split", {1, -1}},       {"Convolution", {1, 1}},
        {"PReLU", {1, 1}},     {"PixelShuffle", {1, 1}}, {"Interp", {1, 1}},
        {"BinaryOp", {-1, 1}}, {"Eltwise", {-1, 1}},     {"Concat", {-1, 1}},
    };
    return table;
}

}  // namespace

int NcnnLayer::intParam(int id, int fallback) const {
    auto it = params.find(id);
    return it == params.end() ? fallback : it->second.intValue;
}

float NcnnLayer::floatParam(int id, float fallback) const {
    auto it = params.find(id);
    return it == params.end() ? fallback : it->second.floatValue;
}

std::vector<float> NcnnLayer::arrayParam(int id) const {
    auto it = params.find(kArrayKeyBase - id);
    return it == params.end() ? std::vector<float>{} : it->second.array;
}

const std::vector<std::string>& supportedNcnnLayerTypes() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& [name, arity] : arities())
            n.push_back(name);
        std::sort(n.begin(), n.end());
        return n;
    }();
    return names;
}

core::Result<NcnnGraph> readNcnnParam(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in)
        return core::makeError(core::ErrorCode::ModelError,
                               "cannot read the ncnn model file " + file.string());
    NcnnGraph graph;
    graph.file = file;
    std::string text;
    int lineNo = 0;
    auto nextLine = [&](std::string& out) {
        while (std::getline(in, out)) {
            ++lineNo;
            if (out.find_first_not_of(" \t\r") != std::string::npos)
                return true;
        }
        return false;
    };
    if (!nextLine(text) || text.find_first_not_of(" \t\r") == std::string::npos)
        return paramError(file, lineNo, "empty file, not an ncnn .param");
    int magic = 0;
    {
        std::istringstream ls(text);
        std::string word;
        ls >> word;
        if (!parseInt(word, magic) || magic != kMagic)
            return paramError(file, lineNo,
                              "not an ncnn .param file (magic '" + word + "', expected 7767517)");
    }
    int layerCount = 0, blobCount = 0;
    {
        if (!nextLine(text))
            return paramError(file, lineNo, "missing the layer and blob counts");
        std::istringstream ls(text);
        std::string a, b, extra;
        ls >> a >> b;
        if (!parseInt(a, layerCount) || !parseInt(b, blobCount) || layerCount <= 0 ||
            blobCount <= 0 || (ls >> extra))
            return paramError(file, lineNo, "bad layer and blob counts '" + text + "'");
    }
    std::unordered_map<std::string, int> blobIds;
    std::vector<int> producedBy;  // blob id -> layer index
    std::vector<int> consumers;   // blob id -> number of layers reading it
    std::unordered_map<std::string, int> layerNames;
    for (int l = 0; l < layerCount; ++l) {
        if (!nextLine(text))
            return paramError(file, lineNo,
                              "the file ends after " + std::to_string(l) + " of " +
                                  std::to_string(layerCount) + " layers");
        std::istringstream ls(text);
        NcnnLayer layer;
        layer.line = lineNo;
        std::string nIn, nOut;
        if (!(ls >> layer.type >> layer.name >> nIn >> nOut))
            return paramError(file, lineNo, "incomplete layer line '" + text + "'");
        const std::string where = "layer " + layer.name + " (" + layer.type + ")";
        auto arity = arities().find(layer.type);
        if (arity == arities().end()) {
            std::string known;
            for (const auto& t : supportedNcnnLayerTypes())
                known += (known.empty() ? "" : ", ") + t;
            return paramError(
                file, lineNo,
                where + ": unsupported layer type '" + layer.type + "' (supported: " + known + ")");
        }
        int inputs = 0, outputs = 0;
        if (!parseInt(nIn, inputs) || !parseInt(nOut, outputs) || inputs < 0 || outputs < 0)
            return paramError(file, lineNo, where + ": bad input/output counts");
        const auto [wantIn, wantOut] = arity->second;
        if ((wantIn >= 0 && inputs != wantIn) || (wantIn < 0 && inputs < 1) ||
            (wantOut >= 0 && outputs != wantOut) || (wantOut < 0 && outputs < 1))
            return paramError(file, lineNo,
                              where + ": " + std::to_string(inputs) + " inputs and " +
                                  std::to_string(outputs) + " outputs is not a valid " +
                                  layer.type);
        if (!layerNames.emplace(layer.name, l).second)
            return paramError(file, lineNo, where + ": duplicate layer name");
        for (int k = 0; k < inputs; ++k) {
            std::string blob;
            if (!(ls >> blob))
                return paramError(file, lineNo, where + ": missing input blob names");
            auto it = blobIds.find(blob);
            if (it == blobIds.end())
                return paramError(
                    file, lineNo,
                    where + ": input blob '" + blob + "' is not produced by an earlier layer");
            layer.inputs.push_back(it->second);
            ++consumers[static_cast<size_t>(it->second)];
        }
        for (int k = 0; k < outputs; ++k) {
            std::string blob;
            if (!(ls >> blob))
                return paramError(file, lineNo, where + ": missing output blob names");
            if (blobIds.count(blob))
                return paramError(file, lineNo, where + ": blob '" + blob + "' is produced twice");
            const int id = static_cast<int>(graph.blobNames.size());
            blobIds.emplace(blob, id);
            graph.blobNames.push_back(blob);
            producedBy.push_back(l);
            consumers.push_back(0);
            layer.outputs.push_back(id);
        }
        for (std::string kv; ls >> kv;) {
            const auto eq = kv.find('=');
            int key = 0;
            NcnnParamValue value;
            if (eq == std::string::npos || !parseInt(kv.substr(0, eq), key) ||
                !parseValue(key, kv.substr(eq + 1), value))
                return paramError(file, lineNo, where + ": bad parameter '" + kv + "'");
            if (!layer.params.emplace(key, value).second)
                return paramError(file, lineNo,
                                  where + ": parameter " + std::to_string(key) + " given twice");
        }
        if (layer.type == "Input") {
            if (graph.inputBlob >= 0)
                return paramError(file, lineNo, where + ": a second Input layer");
            graph.inputBlob = layer.outputs[0];
        }
        graph.layers.push_back(std::move(layer));
    }
    if (nextLine(text))
        return paramError(file, lineNo,
                          "more layer lines than the " + std::to_string(layerCount) + " announced");
    if (static_cast<int>(graph.blobNames.size()) != blobCount)
        return paramError(file, 2,
                          std::to_string(blobCount) + " blobs announced, " +
                              std::to_string(graph.blobNames.size()) + " found");
    if (graph.inputBlob < 0)
        return paramError(file, 2, "no Input layer");
    for (size_t b = 0; b < consumers.size(); ++b) {
        if (consumers[b] > 1)
            return paramError(
                file, graph.layers[static_cast<size_t>(producedBy[b])].line,
                "blob '" + graph.blobNames[b] + "' is read by several layers without a Split");
        if (consumers[b] == 0) {
            if (graph.outputBlob >= 0)
                return paramError(file, graph.layers[static_cast<size_t>(producedBy[b])].line,
                                  "two unused output blobs: '" +
                                      graph.blobNames[static_cast<size_t>(graph.outputBlob)] +
                                      "' and '" + graph.blobNames[b] + "'");
            graph.outputBlob = static_cast<int>(b);
        }
    }
    if (graph.outputBlob < 0)
        return paramError(file, 2, "no output blob");
    return graph;
}

}  // namespace fvs::gpu
