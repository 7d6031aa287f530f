#pragma once
// Result<T>: a value or an Error. Engine APIs return it instead of throwing across module edges.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace fvs::core {

// Error categories. The CLI maps them to documented exit codes (docs/cli.md).
enum class ErrorCode {
    InvalidArgument,  // a bad option or setting
    NotFound,         // a missing input file, model folder, ...
    InvalidInput,     // a file that is not usable media / corrupt / unsupported
    OutputExists,     // output present and --overwrite not given
    OutputIsInput,    // output would replace the source
    IoError,          // unwritable directory, read failure
    DiskFull,         // ENOSPC
    OutOfMemory,      // a request that cannot fit
    Unsupported,      // codec or feature not available here
    Cancelled,        // stopped by the user
    ModelError,       // missing / mixed / corrupt model weights
    NetworkError,     // no connection, a broken transfer, an unexpected server answer
    Internal,         // a bug
};

const char* toString(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
};

inline Error makeError(ErrorCode code, std::string message) {
    return Error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(m_v);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(m_v);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(m_v));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }

    const Error& error() const {
        assert(!ok());
        return std::get<1>(m_v);
    }

private:
    std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}

    bool ok() const { return m_ok; }
    explicit operator bool() const { return ok(); }
    const Error& error() const {
        assert(!ok());
        return m_error;
    }

private:
    Error m_error;
    bool m_ok = true;
};

using Status = Result<void>;

}  // namespace fvs::core
