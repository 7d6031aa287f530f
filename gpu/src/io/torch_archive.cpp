// torch.save zip archives: `<name>/data.pkl` (the pickle), `<name>/data/<key>` (raw little-endian
// storages, stored uncompressed and 64-byte aligned), `<name>/byteorder`, `<name>/version`.
// LibTorch's PyTorchStreamReader reads the zip directory; our own unpickler reads data.pkl because
// torch::pickle_load returns None for OrderedDict state dicts (docs/models.md).
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>

#include <cstring>
#include <unordered_map>

#include "io/mapped_file.h"
#include "io/pickle_reader.h"
#include "io/tensor_io.h"

namespace fvs::gpu {

namespace {

using core::ErrorCode;
using core::makeError;
using Kind = PickleValue::Kind;

// Serves the zip reader from the mapping (no second open, no copies of the data records).
class MappedReadAdapter final : public caffe2::serialize::ReadAdapterInterface {
public:
    explicit MappedReadAdapter(std::shared_ptr<MappedFile> file) : m_file(std::move(file)) {}
    size_t size() const override { return m_file->size(); }
    size_t read(uint64_t pos, void* buf, size_t n, const char* /*what*/) const override {
        if (pos >= m_file->size())
            return 0;
        n = std::min<uint64_t>(n, m_file->size() - pos);
        std::memcpy(buf, m_file->data() + pos, n);
        return n;
    }

private:
    std::shared_ptr<MappedFile> m_file;
};

core::Error modelError(const std::filesystem::path& path, const std::string& what) {
    return makeError(ErrorCode::ModelError, path.string() + ": " + what);
}

struct ArchiveLoader {
    const std::filesystem::path& path;
    const ReadOptions& options;
    std::shared_ptr<MappedFile> file;
    caffe2::serialize::PyTorchStreamReader& reader;
    std::unordered_map<std::string, PickleRef> storages;  // by key: views share one storage
    int64_t doneBytes = 0;
    int64_t totalBytes = 0;

    core::Result<PickleRef> loadStorage(const PickleValue& pid) {
        if (pid.kind != Kind::Tuple || pid.items.size() < 5 || pid.items[0]->kind != Kind::String ||
            pid.items[0]->text != "storage" || pid.items[1]->kind != Kind::Global ||
            pid.items[2]->kind != Kind::String || pid.items[4]->kind != Kind::Int)
            return makeError(ErrorCode::ModelError,
                             "a persistent id that is not ('storage', type, key, location, numel)");
        const std::string& key = pid.items[2]->text;
        const auto dtype = storageScalarType(pid.items[1]->text);
        if (!dtype)
            return makeError(ErrorCode::ModelError,
                             "unknown storage type '" + pid.items[1]->text + "'");
        const int64_t numel = pid.items[4]->intValue;
        if (numel < 0)
            return makeError(ErrorCode::ModelError, "storage '" + key + "' has a negative size");
        if (const auto it = storages.find(key); it != storages.end()) {
            if (it->second->tensor.scalar_type() != *dtype)
                return makeError(ErrorCode::ModelError,
                                 "storage '" + key + "' is used with two dtypes");
            return it->second;
        }

        const std::string record = "data/" + key;
        if (!reader.hasRecord(record))
            return makeError(
                ErrorCode::ModelError,
                "storage record '" + record + "' is missing; the file is truncated or corrupt");
        const uint64_t elementSize = c10::elementSize(*dtype);
        const uint64_t bytes = static_cast<uint64_t>(numel) * elementSize;
        if (static_cast<uint64_t>(numel) > UINT64_MAX / elementSize ||
            reader.getRecordSize(record) < bytes)
            return makeError(ErrorCode::ModelError,
                             "storage record '" + record + "' holds " +
                                 std::to_string(reader.getRecordSize(record)) +
                                 " bytes, fewer than its " + std::to_string(numel) + " " +
                                 c10::toString(*dtype) + " elements need");

        // Uncompressed records are viewed in place; anything else (a re-zipped archive) is
        // inflated.
        const uint64_t headerOffset = reader.getRecordHeaderOffset(record);
        if (headerOffset + 30 > file->size())
            return makeError(ErrorCode::ModelError,
                             "the zip header of '" + record + "' lies beyond the end of the file");
        const uint16_t method =
            uint16_t(file->data()[headerOffset + 8] | (file->data()[headerOffset + 9] << 8));
        auto storage = std::make_shared<PickleValue>();
        storage->kind = Kind::Storage;
        const auto opts = torch::TensorOptions().dtype(*dtype);
        const uint64_t offset = method == 0 ? reader.getRecordOffset(record) : 0;
        if (method == 0 && (offset > file->size() || bytes > file->size() - offset))
            return makeError(ErrorCode::ModelError,
                             "storage record '" + record +
                                 "' lies beyond the end of the file; the file is truncated");
        if (method == 0 && options.memoryMap && offset % elementSize == 0) {
            if (options.prefetch)
                file->prefetch(offset, bytes);
            // The deleter owns a reference to the mapping: every view of this storage keeps it
            // alive.
            storage->tensor = torch::from_blob(
                file->mutableData() + offset, {numel}, [keep = file](void*) {}, opts);
        } else if (method == 0) {
            storage->tensor = torch::empty({numel}, opts);
            if (bytes)
                std::memcpy(storage->tensor.data_ptr(), file->data() + offset, bytes);
        } else {
            // Inflating allocates the record's stated size: a record that claims more than its
            // tensor needs (a crafted zip header: 4 GiB for a few bytes) is refused first.
            if (reader.getRecordSize(record) != bytes)
                return makeError(ErrorCode::ModelError,
                                 "compressed storage record '" + record + "' states " +
                                     std::to_string(reader.getRecordSize(record)) +
                                     " bytes but its tensor needs " + std::to_string(bytes));
            auto [data, size] = reader.getRecord(record);
            storage->tensor = torch::empty({numel}, opts);
            if (bytes)
                std::memcpy(storage->tensor.data_ptr(), data.get(), bytes);
        }
        if (*dtype == torch::kBool && bytes) {
            const auto* p = static_cast<const uint8_t*>(storage->tensor.data_ptr());
            if (std::any_of(p, p + bytes, [](uint8_t b) { return b > 1; }))
                return makeError(ErrorCode::ModelError,
                                 "bool storage '" + key + "' holds bytes other than 0 and 1");
        }
        storages.emplace(key, storage);
        doneBytes += static_cast<int64_t>(bytes);
        if (options.onProgress)
            options.onProgress(std::min(doneBytes, totalBytes), totalBytes);
        return storage;
    }
};

// Flattens nested dicts into "outer.inner" keys; every leaf must be a tensor.
core::Status collectTensors(const std::filesystem::path& path, const PickleValue& dict,
                            const std::string& prefix, TensorMap& out) {
    for (const auto& [key, value] : dict.entries) {
        if (key->kind != Kind::String)
            return modelError(path, "a dictionary key is a " +
                                        std::string(PickleValue::kindName(key->kind)) +
                                        ", not a string");
        const std::string name = prefix + key->text;
        if (value->kind == Kind::Tensor) {
            if (!out.emplace(name, value->tensor).second)
                return modelError(path, "key '" + name + "' appears twice");
        } else if (value->kind == Kind::Dict) {
            auto s = collectTensors(path, *value, name + ".", out);
            if (!s)
                return s;
        } else {
            return modelError(path, "the value of '" + name + "' is a " +
                                        PickleValue::kindName(value->kind) +
                                        ", not a tensor; this is not a state dict");
        }
    }
    return {};
}

core::Result<TensorMap> toTensorMap(const std::filesystem::path& path, const PickleValue& root) {
    TensorMap out;
    if (root.kind == Kind::Tensor) {
        out.emplace("", root.tensor);
        return out;
    }
    if (root.kind != Kind::Dict)
        return modelError(path, std::string("holds a ") + PickleValue::kindName(root.kind) +
                                    ", not a state dict or a tensor");
    // Training checkpoints wrap the weights: {"model_state": sd, ...} or {"state_dict": sd, ...}.
    for (const char* wrapper : {"model_state", "state_dict"})
        for (const auto& [key, value] : root.entries)
            if (key->kind == Kind::String && key->text == wrapper && value->kind == Kind::Dict) {
                auto s = collectTensors(path, *value, "", out);
                if (!s)
                    return s.error();
                return out;
            }
    auto s = collectTensors(path, root, "", out);
    if (!s)
        return s.error();
    return out;
}

}  // namespace

core::Result<TensorMap> readTorchArchive(const std::filesystem::path& path,
                                         const ReadOptions& options) {
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return mapped.error();
    std::shared_ptr<MappedFile> file = std::move(mapped.value());
    if (file->size() < 4)
        return modelError(path, "file is too short for a PyTorch archive; it is truncated");
    if (std::memcmp(file->data(), "PK\x03\x04", 4) != 0) {
        if (file->data()[0] == 0x80)
            return modelError(
                path,
                "legacy (pre-1.6) torch.save format is not supported; re-save it with a current "
                "torch.save");
        return modelError(path, "not a PyTorch zip archive (torch.save output)");
    }
    try {
        caffe2::serialize::PyTorchStreamReader reader(std::make_shared<MappedReadAdapter>(file));
        if (reader.hasRecord("byteorder")) {
            auto [data, size] = reader.getRecord("byteorder");
            const std::string order(static_cast<const char*>(data.get()), size);
            if (order != "little")
                return modelError(path, "byte order '" + order +
                                            "' is not supported (only little-endian archives)");
        }
        if (!reader.hasRecord("data.pkl"))
            return modelError(path, "the archive has no data.pkl record");
        ArchiveLoader loader{path, options, file, reader, {}, 0, 0};
        for (const auto& name : reader.getAllRecords())
            if (name.rfind("data/", 0) == 0)
                loader.totalBytes += static_cast<int64_t>(reader.getRecordSize(name));
        if (options.onProgress)
            options.onProgress(0, loader.totalBytes);

        auto [pickleData, pickleSize] = reader.getRecord("data.pkl");
        PickleHooks hooks;
        hooks.persistentLoad = [&loader](const PickleValue& pid) {
            return loader.loadStorage(pid);
        };
        auto root = readPickle(static_cast<const uint8_t*>(pickleData.get()), pickleSize, hooks,
                               path.string());
        if (!root)
            return root.error();
        auto tensors = toTensorMap(path, *root.value());
        if (tensors && options.onProgress)
            options.onProgress(loader.totalBytes, loader.totalBytes);
        return tensors;
    } catch (const c10::Error& e) {
        return modelError(
            path, std::string("corrupt or truncated archive: ") + e.what_without_backtrace());
    } catch (const std::exception& e) {
        return modelError(path, std::string("corrupt or truncated archive: ") + e.what());
    }
}

}  // namespace fvs::gpu
