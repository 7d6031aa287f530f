// The queue file format: Job <-> JSON, read strictly (unknown fields and states, wrong types and
// out-of-range numbers are errors naming the field), so a damaged or hand-edited file is reported
// instead of being "repaired" into something else and written back.
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "fvs/core/job_queue.h"

namespace fvs::core {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Formats 1 (no segment checksums, no source identity), 2 and 3 (kept frames of an open segment)
// are read; 3 is written.
constexpr int kFormatVersion = 3;

struct FormatError {
    std::string message;
};

const char* fitName(ScaleFit fit) {
    switch (fit) {
        case ScaleFit::Exact:
            return "exact";
        case ScaleFit::Fill:
            return "fill";
        case ScaleFit::Fit:
            break;
    }
    return "fit";
}

// Reads the members of one JSON object; every member must be read, so unknown ones are found.
class ObjectReader {
public:
    ObjectReader(const json& value, std::string where) : m_value(value), m_where(std::move(where)) {
        if (!value.is_object())
            fail("is not an object");
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError{m_where + " " + what};
    }

    const json* find(const char* key) {
        m_seen.insert(key);
        auto it = m_value.find(key);
        return it == m_value.end() ? nullptr : &*it;
    }
    std::string where(const char* key) const { return m_where + "." + key; }

    std::string string(const char* key, std::string fallback = {}) {
        const json* v = find(key);
        if (!v)
            return fallback;
        if (!v->is_string())
            throw FormatError{where(key) + " is not a string"};
        return v->get<std::string>();
    }
    bool boolean(const char* key, bool fallback) {
        const json* v = find(key);
        if (!v)
            return fallback;
        if (!v->is_boolean())
            throw FormatError{where(key) + " is not true or false"};
        return v->get<bool>();
    }
    double number(const char* key, double fallback) {
        const json* v = find(key);
        if (!v)
            return fallback;
        if (!v->is_number() || !std::isfinite(v->get<double>()))
            throw FormatError{where(key) + " is not a number"};
        return v->get<double>();
    }
    template <class T>
    T integer(const char* key, T fallback, T min = std::numeric_limits<T>::min(),
              T max = std::numeric_limits<T>::max()) {
        const json* v = find(key);
        if (!v)
            return fallback;
        const std::string range = " (" + std::to_string(min) + ".." + std::to_string(max) + ")";
        if (v->is_number_unsigned()) {
            const auto u = v->get<uint64_t>();
            if (u > static_cast<uint64_t>(max))
                throw FormatError{where(key) + " is out of range" + range};
            return static_cast<T>(u);
        }
        if (v->is_number_integer()) {
            const auto i = v->get<int64_t>();
            if (i < static_cast<int64_t>(min) ||
                (i >= 0 && static_cast<uint64_t>(i) > static_cast<uint64_t>(max)))
                throw FormatError{where(key) + " is out of range" + range};
            return static_cast<T>(i);
        }
        throw FormatError{where(key) + " is not an integer"};
    }

    // Call after reading every member this format knows.
    void finish() const {
        for (auto it = m_value.begin(); it != m_value.end(); ++it)
            if (!m_seen.count(it.key()))
                throw FormatError{m_where + " has an unknown field \"" + it.key() + "\""};
    }

private:
    const json& m_value;
    std::string m_where;
    std::set<std::string> m_seen;
};

json identityJson(const FileIdentity& id) {
    return {{"size", id.sizeBytes}, {"mtimeNs", id.mtimeNs}, {"edgeHash", id.edgeHash}};
}

FileIdentity identityFrom(const json& v, const std::string& where) {
    ObjectReader r(v, where);
    FileIdentity id;
    id.sizeBytes = r.integer<int64_t>("size", -1, -1);
    id.mtimeNs = r.integer<int64_t>("mtimeNs", 0);
    id.edgeHash = r.string("edgeHash");
    r.finish();
    return id;
}

json toJson(const Job& j) {
    const EngineSettings& e = j.engine;
    const EncodeSettings& c = j.encode;
    json segments = json::array();
    for (const auto& s : j.segments)
        segments.push_back({{"file", s.file},
                            {"firstFrame", s.firstFrame},
                            {"frameCount", s.frameCount},
                            {"ptsOffset", s.ptsOffset},
                            {"size", s.sizeBytes},
                            {"checksum", s.checksum}});
    json out = {
        {"id", j.id},
        {"input", j.input},
        {"output", j.output},
        {"state", toString(j.state)},
        {"reason", j.reason},
        {"pid", j.pid},
        {"engine",
         {{"engine", toString(e.engine)},
          {"scale",
           {{"factor", e.scale.factor},
            {"width", e.scale.targetWidth},
            {"height", e.scale.targetHeight},
            {"fit", fitName(e.scale.fit)}}},
          {"modelsDir", e.modelsDir},
          {"modelVersion", e.modelVersion},
          {"decoder", toString(e.decoder)},
          {"sparseRatio", e.sparseRatio},
          {"kvRatio", e.kvRatio},
          {"localRange", e.localRange},
          {"colorFix", toString(e.colorFix)},
          {"seed", e.seed},
          {"dtype", e.dtype == ComputeDtype::Auto ? "" : toString(e.dtype)},
          {"device", e.device},
          {"memoryBudgetGiB", e.memoryBudgetGiB},
          {"tileOverlap", e.tileOverlap}}},
        {"encode",
         {{"codec", c.codec},
          {"container", c.container},
          {"crf", c.crf},
          {"bitrate", c.bitrate},
          {"preset", c.preset},
          {"pixelFormat", c.pixelFormat},
          {"proresProfile", c.proresProfile},
          {"overwrite", c.overwrite}}},
        {"trim",
         {{"startFrame", j.trim.startFrame},
          {"endFrame", j.trim.endFrame},
          {"startUs", j.trim.startUs},
          {"endUs", j.trim.endUs}}},
        {"crop",
         {{"x", j.crop.x}, {"y", j.crop.y}, {"width", j.crop.width}, {"height", j.crop.height}}},
        {"deinterlace", j.deinterlace},
        {"segmentFrames", j.segmentFrames},
        {"workDir", j.workDir},
        {"segments", segments},
        {"source", identityJson(j.source)},
        {"joinedOutput", identityJson(j.joinedOutput)},
        {"framesDone", j.framesDone},
        {"framesTotal", j.framesTotal},
        {"createdAt", j.createdAt},
        {"updatedAt", j.updatedAt},
    };
    if (j.kept.recorded())
        out["kept"] = {{"file", j.kept.file},
                       {"firstFrame", j.kept.firstFrame},
                       {"frameCount", j.kept.frameCount},
                       {"lastDuration", j.kept.lastDuration},
                       {"size", j.kept.sizeBytes},
                       {"checksum", j.kept.checksum}};
    return out;
}

void readEngine(const json& v, const std::string& where, EngineSettings& e) {
    ObjectReader r(v, where);
    const std::string engine = r.string("engine", toString(e.engine));
    if (auto kind = engineKindFromString(engine))
        e.engine = *kind;
    else
        r.fail(".engine \"" + engine + "\" is not an engine");
    if (const json* s = r.find("scale")) {
        ObjectReader sr(*s, where + ".scale");
        e.scale.factor = sr.number("factor", e.scale.factor);
        e.scale.targetWidth = sr.integer<int>("width", 0, 0);
        e.scale.targetHeight = sr.integer<int>("height", 0, 0);
        const std::string fit = sr.string("fit", "fit");
        if (fit == "exact")
            e.scale.fit = ScaleFit::Exact;
        else if (fit == "fill")
            e.scale.fit = ScaleFit::Fill;
        else if (fit == "fit")
            e.scale.fit = ScaleFit::Fit;
        else
            sr.fail(".fit \"" + fit + "\" is not fit, fill or exact");
        sr.finish();
    }
    e.modelsDir = r.string("modelsDir");
    e.modelVersion = r.string("modelVersion");
    const std::string decoder = r.string("decoder", toString(e.decoder));
    if (auto kind = decoderKindFromString(decoder))
        e.decoder = *kind;
    else
        r.fail(".decoder \"" + decoder + "\" is not tiny or full");
    e.sparseRatio = r.number("sparseRatio", e.sparseRatio);
    e.kvRatio = r.number("kvRatio", e.kvRatio);
    e.localRange = r.integer<int>("localRange", e.localRange);
    const std::string colorFix = r.string("colorFix", toString(e.colorFix));
    if (auto fix = colorFixFromString(colorFix))
        e.colorFix = *fix;
    else
        r.fail(".colorFix \"" + colorFix + "\" is not adain, wavelet or none");
    e.seed = r.integer<int64_t>("seed", e.seed);
    const std::string dtype = r.string("dtype");
    if (dtype.empty())
        e.dtype = ComputeDtype::Auto;
    else if (auto d = computeDtypeFromString(dtype))
        e.dtype = *d;
    else
        r.fail(".dtype \"" + dtype + "\" is not bf16, fp32 or auto");
    e.device = r.string("device");
    e.memoryBudgetGiB = r.number("memoryBudgetGiB", e.memoryBudgetGiB);  // absent before issue 11
    e.tileOverlap = r.integer<int>("tileOverlap", e.tileOverlap);
    r.finish();
}

void readEncode(const json& v, const std::string& where, EncodeSettings& c) {
    ObjectReader r(v, where);
    c.codec = r.string("codec", c.codec);
    c.container = r.string("container");
    c.crf = r.integer<int>("crf", -1, -1);
    c.bitrate = r.integer<int64_t>("bitrate", 0, 0);
    c.preset = r.string("preset");
    c.pixelFormat = r.string("pixelFormat");
    c.proresProfile = r.string("proresProfile");
    c.overwrite = r.boolean("overwrite", false);
    r.finish();
}

Job jobFrom(const json& v, const std::string& where) {
    ObjectReader r(v, where);
    Job j;
    if (!r.find("id"))
        r.fail("has no id");
    j.id = r.integer<uint64_t>("id", 0, 1);
    j.input = r.string("input");
    j.output = r.string("output");
    const std::string state = r.string("state", "queued");
    const auto parsed = jobStateFromString(state);
    if (!parsed)
        throw FormatError{where + ".state \"" + state +
                          "\" is not a state (queued, running, paused, done, failed, cancelled, "
                          "interrupted)"};
    j.state = *parsed;
    j.reason = r.string("reason");
    j.pid = r.integer<int64_t>("pid", 0, 0);
    if (const json* e = r.find("engine"))
        readEngine(*e, where + ".engine", j.engine);
    if (const json* c = r.find("encode"))
        readEncode(*c, where + ".encode", j.encode);
    if (const json* t = r.find("trim")) {
        ObjectReader tr(*t, where + ".trim");
        j.trim.startFrame = tr.integer<int64_t>("startFrame", -1, -1);
        j.trim.endFrame = tr.integer<int64_t>("endFrame", -1, -1);
        j.trim.startUs = tr.integer<int64_t>("startUs", -1, -1);
        j.trim.endUs = tr.integer<int64_t>("endUs", -1, -1);
        tr.finish();
    }
    if (const json* c = r.find("crop")) {
        ObjectReader cr(*c, where + ".crop");
        j.crop = CropRect{cr.integer<int>("x", 0, 0), cr.integer<int>("y", 0, 0),
                          cr.integer<int>("width", 0, 0), cr.integer<int>("height", 0, 0)};
        cr.finish();
    }
    j.deinterlace = r.boolean("deinterlace", false);
    j.segmentFrames = r.integer<int>("segmentFrames", 0, 0);
    j.workDir = r.string("workDir");
    if (const json* segs = r.find("segments")) {
        if (!segs->is_array())
            throw FormatError{where + ".segments is not a list"};
        for (size_t i = 0; i < segs->size(); ++i) {
            ObjectReader sr((*segs)[i], where + ".segments[" + std::to_string(i) + "]");
            SegmentRecord s;
            s.file = sr.string("file");
            if (s.file.empty() || s.file.find('/') != std::string::npos || s.file == "." ||
                s.file == "..")
                sr.fail(".file \"" + s.file + "\" is not a file name inside the work folder");
            s.firstFrame = sr.integer<int64_t>("firstFrame", 0, 0);
            s.frameCount = sr.integer<int64_t>("frameCount", 0, 0);
            s.ptsOffset = sr.integer<int64_t>("ptsOffset", 0, 0);
            s.sizeBytes = sr.integer<int64_t>("size", -1, -1);
            s.checksum = sr.string("checksum");
            sr.finish();
            j.segments.push_back(std::move(s));
        }
    }
    if (const json* k = r.find("kept")) {
        ObjectReader kr(*k, where + ".kept");
        j.kept.file = kr.string("file");
        if (j.kept.file.empty() || j.kept.file.find('/') != std::string::npos ||
            j.kept.file == "." || j.kept.file == "..")
            kr.fail(".file \"" + j.kept.file + "\" is not a file name inside the work folder");
        j.kept.firstFrame = kr.integer<int64_t>("firstFrame", 0, 0);
        j.kept.frameCount = kr.integer<int64_t>("frameCount", 0, 0);
        j.kept.lastDuration = kr.integer<int64_t>("lastDuration", 0, 0);
        j.kept.sizeBytes = kr.integer<int64_t>("size", -1, -1);
        j.kept.checksum = kr.string("checksum");
        kr.finish();
    }
    if (const json* s = r.find("source"))
        j.source = identityFrom(*s, where + ".source");
    if (const json* o = r.find("joinedOutput"))
        j.joinedOutput = identityFrom(*o, where + ".joinedOutput");
    j.framesDone = r.integer<int64_t>("framesDone", 0, 0);
    j.framesTotal = r.integer<int64_t>("framesTotal", 0, 0);
    j.createdAt = r.string("createdAt");
    j.updatedAt = r.string("updatedAt");
    r.finish();
    return j;
}

}  // namespace

Result<QueueDocument> parseQueueDocument(std::string_view text, const fs::path& file) {
    auto invalid = [&](const std::string& why) {
        return makeError(ErrorCode::InvalidInput,
                         "the queue file " + file.string() + " is not valid: " + why +
                             " (it was left unchanged; repair or move it away)");
    };
    try {
        const json doc = json::parse(text.begin(), text.end());
        ObjectReader r(doc, "the file");
        QueueDocument out;
        const int version = r.integer<int>("version", 1);
        if (version < 1 || version > kFormatVersion)
            return invalid("format version " + std::to_string(version) + " is not 1.." +
                           std::to_string(kFormatVersion) + " (written by another version?)");
        out.nextId = r.integer<uint64_t>("nextId", 1, 1);
        std::set<uint64_t> ids;
        if (const json* jobs = r.find("jobs")) {
            if (!jobs->is_array())
                return invalid("jobs is not a list");
            for (size_t i = 0; i < jobs->size(); ++i) {
                Job j = jobFrom((*jobs)[i], "jobs[" + std::to_string(i) + "]");
                if (!ids.insert(j.id).second)
                    return invalid("job id " + std::to_string(j.id) + " appears twice");
                if (j.id == std::numeric_limits<uint64_t>::max())
                    return invalid("job id " + std::to_string(j.id) + " leaves no id for the next");
                out.nextId = std::max(out.nextId, j.id + 1);
                out.jobs.push_back(std::move(j));
            }
        }
        r.finish();
        return out;
    } catch (const FormatError& e) {
        return invalid(e.message);
    } catch (const json::exception& e) {
        return invalid(e.what());
    }
}

Result<std::string> serializeQueueDocument(const QueueDocument& document) {
    json jobs = json::array();
    for (const auto& j : document.jobs)
        jobs.push_back(toJson(j));
    const json doc = {{"version", kFormatVersion}, {"nextId", document.nextId}, {"jobs", jobs}};
    try {
        return doc.dump(2) + "\n";
    } catch (const json::exception&) {
        // A path that is not UTF-8 (possible on Linux) cannot be stored without changing it.
        return makeError(ErrorCode::InvalidArgument,
                         "a job's input or output path is not valid UTF-8; rename the file");
    }
}

}  // namespace fvs::core
