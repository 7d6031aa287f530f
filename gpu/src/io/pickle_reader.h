#pragma once
// A minimal, safe unpickler for the pickles torch.save writes (protocol 2, plus the protocol-4
// framing opcodes). It never imports or calls anything: GLOBAL is accepted only for the handful of
// names a state dict needs (collections.OrderedDict, torch._utils._rebuild_tensor_v2, storage
// types); anything else is an error.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "fvs/core/result.h"

namespace fvs::gpu {

struct PickleValue;
using PickleRef = std::shared_ptr<PickleValue>;

struct PickleValue {
    enum class Kind {
        None,
        Bool,
        Int,
        Float,
        String,
        Bytes,
        Tuple,
        List,
        Dict,
        Global,
        Storage,
        Tensor
    };

    Kind kind = Kind::None;
    bool boolValue = false;
    int64_t intValue = 0;
    double floatValue = 0.0;
    std::string text;                                      // String/Bytes; Global: "module.name"
    std::vector<PickleRef> items;                          // Tuple, List
    std::vector<std::pair<PickleRef, PickleRef>> entries;  // Dict, in insertion order
    torch::Tensor tensor;                                  // Storage (1-D, whole storage) or Tensor
    int depth = 1;                                         // nesting depth, bounded by the reader
    bool stored = false;  // held by a tuple, list or dict; the reader then refuses to change it

    static const char* kindName(Kind kind);
};

struct PickleHooks {
    // Resolves a persistent id (BINPERSID); torch.save's ids are
    // ('storage', <storage type global>, key, location, numel). Returns a Storage value or an error
    // text.
    std::function<core::Result<PickleRef>(const PickleValue& persistentId)> persistentLoad;
};

// Parses `size` bytes of pickle; `label` names the file in errors. A truncated or malformed pickle,
// a forbidden global or an out-of-bounds tensor view is a ModelError.
core::Result<PickleRef> readPickle(const uint8_t* data, size_t size, const PickleHooks& hooks,
                                   const std::string& label);

// The element type of a torch storage class named by a pickle GLOBAL ("torch.FloatStorage", ...).
std::optional<torch::ScalarType> storageScalarType(const std::string& globalName);

}  // namespace fvs::gpu
