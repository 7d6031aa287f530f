// libFuzzer target: the restricted unpickler (gpu/src/io/pickle_reader.cpp) on arbitrary bytes.
// Persistent ids resolve to small zero-filled storages, as torch_archive.cpp's loader would give,
// so that tensor views are rebuilt and their bounds checked against real storages.
#include <cstdint>
#include <unordered_set>

#include "fuzz_tensors.h"
#include "io/pickle_reader.h"

namespace {

using fvs::gpu::PickleRef;
using fvs::gpu::PickleValue;
using Kind = PickleValue::Kind;

// Larger storages add nothing but memory; the reader's own check is what is under test.
constexpr int64_t kMaxStorageElements = 4096;

fvs::core::Result<PickleRef> fakeStorage(const PickleValue& pid) {
    using fvs::core::ErrorCode;
    using fvs::core::makeError;
    if (pid.kind != Kind::Tuple || pid.items.size() < 5 || pid.items[1]->kind != Kind::Global ||
        pid.items[4]->kind != Kind::Int)
        return makeError(ErrorCode::ModelError, "not a storage id");
    const auto dtype = fvs::gpu::storageScalarType(pid.items[1]->text);
    const int64_t numel = pid.items[4]->intValue;
    if (!dtype || numel < 0 || numel > kMaxStorageElements)
        return makeError(ErrorCode::ModelError, "unusable storage id");
    auto storage = std::make_shared<PickleValue>();
    storage->kind = Kind::Storage;
    storage->tensor = torch::zeros({numel}, torch::TensorOptions().dtype(*dtype));
    return storage;
}

// Visits every value once (memo entries share values); the reader bounds the depth.
void walk(const PickleValue& v, int depth, std::unordered_set<const PickleValue*>& seen) {
    if (depth > 1000)
        __builtin_trap();  // far deeper than the reader's own limit
    if (!seen.insert(&v).second)
        return;
    if (v.kind == Kind::Tensor || v.kind == Kind::Storage)
        fvs::fuzz::touchTensor(v.tensor);
    for (const auto& item : v.items)
        walk(*item, depth + 1, seen);
    for (const auto& [key, value] : v.entries) {
        walk(*key, depth + 1, seen);
        walk(*value, depth + 1, seen);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fvs::gpu::PickleHooks hooks;
    hooks.persistentLoad = fakeStorage;
    auto root = fvs::gpu::readPickle(data, size, hooks, "fuzz.pkl");
    if (root) {
        std::unordered_set<const PickleValue*> seen;
        walk(*root.value(), 1, seen);
    }
    return 0;
}
