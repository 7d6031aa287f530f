#include "io/pickle_reader.h"

#include <cstring>
#include <unordered_map>

namespace fvs::gpu {

namespace {

using Kind = PickleValue::Kind;

// Deeper nesting than this is not a state dict; the bound also keeps destruction recursion shallow.
constexpr int kMaxDepth = 200;

// Thrown inside the reader only; readPickle turns it into a core::Error.
struct PickleError {
    std::string message;
};

PickleRef make(Kind kind) {
    auto v = std::make_shared<PickleValue>();
    v->kind = kind;
    return v;
}

const char* const kStorageTypes[][2] = {
    {"FloatStorage", "f32"},     {"DoubleStorage", "f64"}, {"HalfStorage", "f16"},
    {"BFloat16Storage", "bf16"}, {"LongStorage", "i64"},   {"IntStorage", "i32"},
    {"ShortStorage", "i16"},     {"CharStorage", "i8"},    {"ByteStorage", "u8"},
    {"BoolStorage", "bool"},     {"UntypedStorage", "u8"},
};

torch::ScalarType scalarTypeFromTag(const std::string& tag) {
    if (tag == "f32")
        return torch::kFloat32;
    if (tag == "f64")
        return torch::kFloat64;
    if (tag == "f16")
        return torch::kFloat16;
    if (tag == "bf16")
        return torch::kBFloat16;
    if (tag == "i64")
        return torch::kInt64;
    if (tag == "i32")
        return torch::kInt32;
    if (tag == "i16")
        return torch::kInt16;
    if (tag == "i8")
        return torch::kInt8;
    if (tag == "bool")
        return torch::kBool;
    return torch::kUInt8;
}

// Callables REDUCE may apply; each is implemented here, nothing is looked up dynamically.
bool isAllowedCallable(const std::string& name) {
    return name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2" ||
           name == "torch._utils._rebuild_tensor" || name == "torch._utils._rebuild_parameter" ||
           name == "torch._utils._rebuild_parameter_with_state";
}

class Unpickler {
public:
    Unpickler(const uint8_t* data, size_t size, const PickleHooks& hooks)
        : m_data(data), m_size(size), m_hooks(hooks) {}

    PickleRef run() {
        while (true) {
            m_opPos = m_pos;
            const uint8_t op = byte();
            if (op == '.') {  // STOP
                if (m_stack.size() != 1)
                    fail("STOP with " + std::to_string(m_stack.size()) + " values on the stack");
                return m_stack.back();
            }
            step(op);
        }
    }

    size_t opPosition() const { return m_opPos; }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw PickleError{what + " (pickle byte " + std::to_string(m_opPos) + ")"};
    }

    void need(size_t n) const {
        if (n > m_size - m_pos)
            fail("the pickle ends early; the file is truncated or corrupt");
    }
    uint8_t byte() {
        need(1);
        return m_data[m_pos++];
    }
    uint64_t uintLe(size_t n) {
        need(n);
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i)
            v |= uint64_t(m_data[m_pos + i]) << (8 * i);
        m_pos += n;
        return v;
    }
    std::string bytes(uint64_t n) {
        if (n > m_size)
            fail("a string length beyond the pickle");
        need(static_cast<size_t>(n));
        std::string s(reinterpret_cast<const char*>(m_data + m_pos), static_cast<size_t>(n));
        m_pos += static_cast<size_t>(n);
        return s;
    }
    std::string line() {
        const void* nl = std::memchr(m_data + m_pos, '\n', m_size - m_pos);
        if (!nl)
            fail("the pickle ends inside a GLOBAL name");
        const size_t len = static_cast<const uint8_t*>(nl) - (m_data + m_pos);
        std::string s = bytes(len);
        ++m_pos;
        return s;
    }

    PickleRef pop() {
        if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back()))
            fail("pop from an empty stack");
        PickleRef v = std::move(m_stack.back());
        m_stack.pop_back();
        return v;
    }
    PickleRef& top() {
        if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back()))
            fail("the stack is empty");
        return m_stack.back();
    }
    std::vector<PickleRef> popToMark() {
        if (m_marks.empty())
            fail("no MARK on the stack");
        const size_t mark = m_marks.back();
        m_marks.pop_back();
        std::vector<PickleRef> items(
            std::make_move_iterator(m_stack.begin() + static_cast<long>(mark)),
            std::make_move_iterator(m_stack.end()));
        m_stack.resize(mark);
        return items;
    }
    void push(PickleRef v) {
        if (m_stack.size() > (1u << 24))
            fail("the pickle stack grows without bound");
        m_stack.push_back(std::move(v));
    }

    // Records `child` as stored in `parent`. A stored value is final: a list or dict is never
    // changed once it sits in another value (torch.save fills each container before storing it),
    // so no value can come to contain itself (a reference cycle that would leak) and the depth
    // counted here stays exact.
    void adopt(PickleValue& parent, const PickleRef& child) {
        if (child.get() == &parent)
            fail("a value that contains itself");
        child->stored = true;
        if (child->depth + 1 > parent.depth)
            parent.depth = child->depth + 1;
        if (parent.depth > kMaxDepth)
            fail("values nested deeper than " + std::to_string(kMaxDepth));
    }
    PickleRef tuple(std::vector<PickleRef> items) {
        auto t = make(Kind::Tuple);
        for (const auto& i : items)
            adopt(*t, i);
        t->items = std::move(items);
        return t;
    }
    PickleRef intValue(int64_t v) {
        auto r = make(Kind::Int);
        r->intValue = v;
        return r;
    }
    PickleRef text(Kind kind, std::string s) {
        auto r = make(kind);
        r->text = std::move(s);
        return r;
    }

    void global(const std::string& module, const std::string& name) {
        const std::string full = module + "." + name;
        bool allowed = isAllowedCallable(full);
        if (module == "torch" || module == "torch.storage")
            for (const auto& st : kStorageTypes)
                allowed = allowed || name == st[0];
        if (!allowed)
            fail("refusing global '" + full +
                 "': only tensors, storages and (Ordered)dicts are loaded, no code is run");
        push(text(Kind::Global, full));
    }

    void refuseIfStored(const PickleValue& container) const {
        if (container.stored)
            fail(std::string("a ") + PickleValue::kindName(container.kind) +
                 " changed after it was stored in another value (torch.save never does this)");
    }

    void setItems(PickleValue& dict, std::vector<PickleRef> kv) {
        if (dict.kind != Kind::Dict)
            fail("SETITEM(S) on a " + std::string(PickleValue::kindName(dict.kind)));
        if (kv.size() % 2)
            fail("SETITEMS with an odd number of values");
        refuseIfStored(dict);
        for (size_t i = 0; i < kv.size(); i += 2) {
            adopt(dict, kv[i]);
            adopt(dict, kv[i + 1]);
            // Later values replace earlier ones under an equal string key, as in Python.
            bool replaced = false;
            if (kv[i]->kind == Kind::String)
                for (auto& e : dict.entries)
                    if (e.first->kind == Kind::String && e.first->text == kv[i]->text) {
                        e.second = kv[i + 1];
                        replaced = true;
                    }
            if (!replaced)
                dict.entries.emplace_back(kv[i], kv[i + 1]);
        }
    }

    void appendItems(PickleValue& list, std::vector<PickleRef> items) {
        if (list.kind != Kind::List)
            fail("APPEND(S) on a " + std::string(PickleValue::kindName(list.kind)));
        refuseIfStored(list);
        for (auto& i : items) {
            adopt(list, i);
            list.items.push_back(std::move(i));
        }
    }

    std::vector<int64_t> intTuple(const PickleRef& v, const char* what) {
        if (v->kind != Kind::Tuple)
            fail(std::string(what) + " is not a tuple");
        std::vector<int64_t> out;
        for (const auto& i : v->items) {
            if (i->kind != Kind::Int || i->intValue < 0)
                fail(std::string(what) + " holds a non-integer or negative value");
            out.push_back(i->intValue);
        }
        return out;
    }

    // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[,
    // metadata])
    PickleRef rebuildTensor(const std::vector<PickleRef>& args) {
        if (args.size() < 4)
            fail("_rebuild_tensor with " + std::to_string(args.size()) + " arguments");
        const PickleRef& storage = args[0];
        if (storage->kind != Kind::Storage)
            fail("_rebuild_tensor without a storage");
        if (args[1]->kind != Kind::Int || args[1]->intValue < 0)
            fail("_rebuild_tensor with a bad storage offset");
        const int64_t offset = args[1]->intValue;
        const auto sizes = intTuple(args[2], "tensor size");
        const auto strides = intTuple(args[3], "tensor stride");
        if (sizes.size() != strides.size())
            fail("tensor size " + shapeText(sizes) + " and stride " + shapeText(strides) +
                 " differ in rank");
        const int64_t storageNumel = storage->tensor.numel();
        // The last element the view reaches must lie inside the storage (checked without overflow).
        __int128 last = offset;
        bool empty = false;
        for (size_t i = 0; i < sizes.size(); ++i) {
            if (sizes[i] == 0)
                empty = true;
            last += static_cast<__int128>(sizes[i] > 0 ? sizes[i] - 1 : 0) * strides[i];
        }
        if (!empty && last >= storageNumel)
            fail("tensor view of size " + shapeText(sizes) + ", stride " + shapeText(strides) +
                 ", offset " + std::to_string(offset) + " reaches beyond its storage of " +
                 std::to_string(storageNumel) + " elements");
        if (empty && offset > storageNumel)
            fail("tensor offset beyond its storage");
        auto t = make(Kind::Tensor);
        // The view shares the storage tensor, which keeps the mapped file alive.
        t->tensor = storage->tensor.as_strided(sizes, strides, offset);
        return t;
    }

    static std::string shapeText(const std::vector<int64_t>& v) {
        std::string s = "(";
        for (size_t i = 0; i < v.size(); ++i)
            s += (i ? ", " : "") + std::to_string(v[i]);
        return s + ")";
    }

    void reduce() {
        PickleRef args = pop();
        PickleRef callable = pop();
        if (callable->kind != Kind::Global)
            fail("REDUCE on a value that is not an allowed global");
        if (args->kind != Kind::Tuple)
            fail("REDUCE arguments are not a tuple");
        const std::string& name = callable->text;
        if (!isAllowedCallable(name))
            fail("refusing to call '" + name + "'");
        if (name == "collections.OrderedDict") {
            if (!args->items.empty())
                fail("OrderedDict with constructor arguments is not supported");
            push(make(Kind::Dict));
        } else if (name == "torch._utils._rebuild_tensor_v2" ||
                   name == "torch._utils._rebuild_tensor") {
            push(rebuildTensor(args->items));
        } else {  // _rebuild_parameter(_with_state)(data, requires_grad, hooks[, state]): the data
                  // is the value
            if (args->items.empty() || args->items[0]->kind != Kind::Tensor)
                fail("_rebuild_parameter without a tensor");
            push(args->items[0]);
        }
    }

    void persistentId() {
        PickleRef pid = pop();
        if (!m_hooks.persistentLoad)
            fail("a persistent id, but no archive to resolve it");
        auto r = m_hooks.persistentLoad(*pid);
        if (!r)
            fail(r.error().message);
        if (r.value()->kind != Kind::Storage)
            fail("a persistent id that is not a storage");
        push(r.value());
    }

    PickleRef memoGet(uint64_t index) {
        const auto it = m_memo.find(index);
        if (it == m_memo.end())
            fail("memo entry " + std::to_string(index) + " read before it was written");
        return it->second;
    }

    void step(uint8_t op) {
        switch (op) {
            case 0x80:  // PROTO
                if (byte() > 5)
                    fail("unsupported pickle protocol");
                break;
            case 0x95:  // FRAME: a length hint only
                uintLe(8);
                break;
            case 'c': {  // GLOBAL
                std::string module = line();
                std::string name = line();
                global(module, name);
                break;
            }
            case 0x93: {  // STACK_GLOBAL
                PickleRef name = pop();
                PickleRef module = pop();
                if (name->kind != Kind::String || module->kind != Kind::String)
                    fail("STACK_GLOBAL without strings");
                global(module->text, name->text);
                break;
            }
            case '}':
                push(make(Kind::Dict));
                break;  // EMPTY_DICT
            case ']':
                push(make(Kind::List));
                break;  // EMPTY_LIST
            case ')':
                push(make(Kind::Tuple));
                break;  // EMPTY_TUPLE
            case '(':
                m_marks.push_back(m_stack.size());
                break;  // MARK
            case 't':
                push(tuple(popToMark()));
                break;    // TUPLE
            case 0x85: {  // TUPLE1
                PickleRef a = pop();
                push(tuple({a}));
                break;
            }
            case 0x86: {  // TUPLE2
                PickleRef b = pop();
                PickleRef a = pop();
                push(tuple({a, b}));
                break;
            }
            case 0x87: {  // TUPLE3
                PickleRef c = pop();
                PickleRef b = pop();
                PickleRef a = pop();
                push(tuple({a, b, c}));
                break;
            }
            case 's': {  // SETITEM
                PickleRef value = pop();
                PickleRef key = pop();
                setItems(*top(), {key, value});
                break;
            }
            case 'u': {  // SETITEMS
                auto kv = popToMark();
                setItems(*top(), std::move(kv));
                break;
            }
            case 'a': {  // APPEND
                PickleRef v = pop();
                appendItems(*top(), {v});
                break;
            }
            case 'e': {  // APPENDS
                auto items = popToMark();
                appendItems(*top(), std::move(items));
                break;
            }
            case 'Q':
                persistentId();
                break;  // BINPERSID
            case 'R':
                reduce();
                break;   // REDUCE
            case 'b': {  // BUILD: OrderedDict._metadata / parameter state, ignored
                pop();
                const Kind k = top()->kind;
                if (k != Kind::Dict && k != Kind::Tensor)
                    fail("BUILD on a " + std::string(PickleValue::kindName(k)));
                break;
            }
            case 'q':
                m_memo[byte()] = top();
                break;  // BINPUT
            case 'r':
                m_memo[uintLe(4)] = top();
                break;  // LONG_BINPUT
            case 0x94:
                m_memo[m_memo.size()] = top();
                break;  // MEMOIZE
            case 'h':
                push(memoGet(byte()));
                break;  // BINGET
            case 'j':
                push(memoGet(uintLe(4)));
                break;  // LONG_BINGET
            case 'J':
                push(intValue(static_cast<int32_t>(uintLe(4))));
                break;  // BININT
            case 'K':
                push(intValue(byte()));
                break;  // BININT1
            case 'M':
                push(intValue(static_cast<int64_t>(uintLe(2))));
                break;    // BININT2
            case 0x8a: {  // LONG1: little-endian two's complement
                const size_t n = byte();
                if (n > 8)
                    fail("an integer wider than 64 bits");
                uint64_t v = n ? uintLe(n) : 0;
                if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1)
                    v |= ~uint64_t(0) << (8 * n);
                push(intValue(static_cast<int64_t>(v)));
                break;
            }
            case 'G': {  // BINFLOAT: big-endian double
                need(8);
                uint64_t bits = 0;
                for (int i = 0; i < 8; ++i)
                    bits = (bits << 8) | m_data[m_pos + i];
                m_pos += 8;
                auto v = make(Kind::Float);
                std::memcpy(&v->floatValue, &bits, 8);
                push(v);
                break;
            }
            case 'N':
                push(make(Kind::None));
                break;
            case 0x88:
            case 0x89: {  // NEWTRUE / NEWFALSE
                auto v = make(Kind::Bool);
                v->boolValue = op == 0x88;
                push(v);
                break;
            }
            case 'X':
                push(text(Kind::String, bytes(uintLe(4))));
                break;  // BINUNICODE
            case 0x8c:
                push(text(Kind::String, bytes(byte())));
                break;  // SHORT_BINUNICODE
            case 0x8d:
                push(text(Kind::String, bytes(uintLe(8))));
                break;  // BINUNICODE8
            case 'T':
                push(text(Kind::String, bytes(uintLe(4))));
                break;  // BINSTRING
            case 'U':
                push(text(Kind::String, bytes(byte())));
                break;  // SHORT_BINSTRING
            case 'B':
                push(text(Kind::Bytes, bytes(uintLe(4))));
                break;  // BINBYTES
            case 'C':
                push(text(Kind::Bytes, bytes(byte())));
                break;  // SHORT_BINBYTES
            default: {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", op);
                fail(std::string("unsupported pickle opcode ") + hex +
                     " (not written by torch.save for a state dict)");
            }
        }
    }

    const uint8_t* m_data;
    size_t m_size;
    size_t m_pos = 0;
    size_t m_opPos = 0;
    const PickleHooks& m_hooks;
    std::vector<PickleRef> m_stack;
    std::vector<size_t> m_marks;
    std::unordered_map<uint64_t, PickleRef> m_memo;
};

}  // namespace

const char* PickleValue::kindName(Kind kind) {
    switch (kind) {
        case Kind::None:
            return "None";
        case Kind::Bool:
            return "bool";
        case Kind::Int:
            return "int";
        case Kind::Float:
            return "float";
        case Kind::String:
            return "str";
        case Kind::Bytes:
            return "bytes";
        case Kind::Tuple:
            return "tuple";
        case Kind::List:
            return "list";
        case Kind::Dict:
            return "dict";
        case Kind::Global:
            return "global";
        case Kind::Storage:
            return "storage";
        case Kind::Tensor:
            return "tensor";
    }
    return "value";
}

std::optional<torch::ScalarType> storageScalarType(const std::string& globalName) {
    for (const auto& st : kStorageTypes)
        if (globalName == std::string("torch.") + st[0] ||
            globalName == std::string("torch.storage.") + st[0])
            return scalarTypeFromTag(st[1]);
    return std::nullopt;
}

core::Result<PickleRef> readPickle(const uint8_t* data, size_t size, const PickleHooks& hooks,
                                   const std::string& label) {
    Unpickler unpickler(data, size, hooks);
    try {
        return unpickler.run();
    } catch (const PickleError& e) {
        return core::makeError(core::ErrorCode::ModelError, label + ": " + e.message);
    } catch (const c10::Error& e) {
        return core::makeError(core::ErrorCode::ModelError,
                               label + ": " + e.what_without_backtrace() + " (pickle byte " +
                                   std::to_string(unpickler.opPosition()) + ")");
    }
}

}  // namespace fvs::gpu
