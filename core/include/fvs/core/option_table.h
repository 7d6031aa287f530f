#pragma once
// The option table: every user-facing engine and export option once, with its type, valid range,
// default and help. It feeds the CLI's options and --help, `--options key=value` lists, job
// validation (`queue add`, the export dialog, `flashvsr-studio --export`) and the engine: the
// same value is accepted or refused with the same message everywhere.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fvs/core/engine_settings.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/media_sink.h"
#include "fvs/core/result.h"

namespace fvs::core {

enum class OptionType {
    Integer,  // a whole number in [intMin, intMax]
    Number,   // a finite real in [min, max] ((min, max] when minExclusive)
    Choice,   // one of `choices`
    Text,     // free text with its own syntax (checked by the setter)
};

enum class OptionGroup { Engine, Encode, Job };

struct OptionSpec {
    std::string
        name;  // "sparse-ratio": the CLI's --sparse-ratio; --options also takes sparse_ratio
    OptionType type = OptionType::Text;
    OptionGroup group = OptionGroup::Engine;
    int64_t intMin = 0, intMax = 0;
    double min = 0, max = 0;
    bool minExclusive = false;
    std::vector<std::string> choices;
    std::string defaultText;  // as shown in --help ("" when the default depends on the machine)
    std::string help;
    std::string rangeText() const;  // "1 to 16", "more than 0 and at most 64", "tiny or full"
};

const std::vector<OptionSpec>& optionTable();
// By name, with '_' and '-' alike ("sparse_ratio" == "sparse-ratio"); nullptr when unknown.
const OptionSpec* findOption(std::string_view name);

// Checks one value against its spec: parse + range. The message names the option and its range,
// e.g. "--scale must be a number from 1 to 16 (got '0')".
Status checkOptionValue(const OptionSpec& spec, std::string_view value);

// Sets one engine option from text (after checkOptionValue).
Status setEngineOption(EngineSettings& settings, std::string_view name, std::string_view value);
// Applies "key=value,key=value" (engine options only).
Status applyEngineOptions(EngineSettings& settings, std::string_view list);
// The typed settings against the table (for settings that did not come through text).
Status validateEngineSettings(const EngineSettings& settings);

// Encode options from text. --crf's range depends on the codec: checked by validateEncodeSettings.
Status setEncodeOption(EncodeSettings& settings, std::string_view name, std::string_view value);
Status validateEncodeSettings(const EncodeSettings& settings);

// Job options: --size WxH|Wx|xH (into a ScaleRequest), --fit, --start/--end, --crop.
Status setScaleSize(ScaleRequest& scale, std::string_view value);
Status setTrimPoint(TrimRange& trim, std::string_view name, std::string_view value);
Status validateTrim(const TrimRange& trim);
Status setCrop(CropRect& crop, std::string_view value);

// "8M", "2500k", "1.5G", "800000" in bits/s.
Result<int64_t> parseBitrate(std::string_view text);

}  // namespace fvs::core
