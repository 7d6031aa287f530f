// Strict state-dict loading: the module's names are the contract, so every mismatch is reported
// (all of them at once, so one run tells the user everything that is wrong with a file).
#include <set>

#include "io/tensor_io.h"

namespace fvs::gpu {

namespace {

enum class ValueKind { Floating, Integral, Bool, Complex };

ValueKind kindOf(torch::ScalarType t) {
    if (t == torch::kBool)
        return ValueKind::Bool;
    if (c10::isComplexType(t))
        return ValueKind::Complex;
    if (c10::isFloatingType(t))
        return ValueKind::Floating;
    return ValueKind::Integral;
}

// Keeps error messages readable when a whole file is wrong: the first few problems of each kind.
constexpr size_t kMaxListed = 8;

void appendList(std::string& message, const std::string& title,
                const std::vector<std::string>& items) {
    if (items.empty())
        return;
    message += "\n  " + title + " (" + std::to_string(items.size()) + "):";
    for (size_t i = 0; i < items.size() && i < kMaxListed; ++i)
        message += "\n    " + items[i];
    if (items.size() > kMaxListed)
        message += "\n    ... and " + std::to_string(items.size() - kMaxListed) + " more";
}

}  // namespace

core::Status loadStateDict(torch::nn::Module& module, const TensorMap& stateDict,
                           const std::string& fileLabel, const std::string& prefix) {
    std::map<std::string, torch::Tensor> targets;
    for (const auto& item : module.named_parameters(/*recurse=*/true))
        targets.emplace(item.key(), item.value());
    for (const auto& item : module.named_buffers(/*recurse=*/true))
        targets.emplace(item.key(), item.value());

    std::vector<std::string> missing, unexpected, wrongShape, wrongType;
    std::vector<std::pair<torch::Tensor, const torch::Tensor*>> copies;
    std::set<std::string> seen;
    for (const auto& [fullKey, value] : stateDict) {
        if (!prefix.empty() && fullKey.rfind(prefix, 0) != 0)
            continue;  // another module's key
        const std::string key = fullKey.substr(prefix.size());
        const auto it = targets.find(key);
        if (it == targets.end()) {
            unexpected.push_back("'" + fullKey + "' " + shapeString(value.sizes()));
            continue;
        }
        seen.insert(key);
        const torch::Tensor& target = it->second;
        if (!value.defined() || value.sizes() != target.sizes()) {
            wrongShape.push_back(
                "'" + fullKey + "': file has " +
                (value.defined() ? shapeString(value.sizes()) : std::string("no tensor")) +
                ", model expects " + shapeString(target.sizes()));
            continue;
        }
        if (kindOf(value.scalar_type()) != kindOf(target.scalar_type())) {
            wrongType.push_back(
                "'" + fullKey + "': file has " + std::string(c10::toString(value.scalar_type())) +
                ", model expects " + std::string(c10::toString(target.scalar_type())));
            continue;
        }
        copies.emplace_back(target, &value);
    }
    for (const auto& [key, target] : targets)
        if (!seen.count(key))
            missing.push_back("'" + prefix + key + "' " + shapeString(target.sizes()));

    if (!missing.empty() || !unexpected.empty() || !wrongShape.empty() || !wrongType.empty()) {
        std::string message = fileLabel + " does not match the model";
        if (!prefix.empty())
            message += " (keys under '" + prefix + "')";
        appendList(message, "missing keys", missing);
        appendList(message, "unexpected keys", unexpected);
        appendList(message, "wrong shapes", wrongShape);
        appendList(message, "wrong value types", wrongType);
        return core::makeError(core::ErrorCode::ModelError, message);
    }

    // Nothing is written before every key has been checked, so a failed load leaves the module as
    // it was.
    torch::NoGradGuard noGrad;
    try {
        for (auto& [target, value] : copies)
            target.copy_(*value);
    } catch (const c10::Error& e) {
        return core::makeError(
            core::ErrorCode::ModelError,
            fileLabel + ": copying the weights failed: " + e.what_without_backtrace());
    }
    return {};
}

}  // namespace fvs::gpu
