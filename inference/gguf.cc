#include "inference/gguf.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>

namespace pareto::inference {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;  // GGUF tensors have at most four dimensions

// Size in bytes of a scalar metadata type; 0 for string, array and unknown ids.
size_t ScalarSize(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool:
      return 1;
    case GgufType::kUint16:
    case GgufType::kInt16:
      return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32:
      return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64:
      return 8;
    default:
      return 0;
  }
}

bool IsInteger(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kUint16:
    case GgufType::kInt16:
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kUint64:
    case GgufType::kInt64:
      return true;
    default:
      return false;
  }
}

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
void Append(std::vector<uint8_t>& out, T v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

void AppendString(std::vector<uint8_t>& out, std::string_view s) {
  Append<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

// Reads element `i` of little-endian bytes of integer type `t` as int64 (uint64 values above
// INT64_MAX set `overflow`).
int64_t IntegerAt(GgufType t, const uint8_t* p, bool* overflow) {
  switch (t) {
    case GgufType::kUint8:
      return Load<uint8_t>(p);
    case GgufType::kInt8:
      return Load<int8_t>(p);
    case GgufType::kUint16:
      return Load<uint16_t>(p);
    case GgufType::kInt16:
      return Load<int16_t>(p);
    case GgufType::kUint32:
      return Load<uint32_t>(p);
    case GgufType::kInt32:
      return Load<int32_t>(p);
    case GgufType::kInt64:
      return Load<int64_t>(p);
    case GgufType::kUint64: {
      uint64_t v = Load<uint64_t>(p);
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) *overflow = true;
      return static_cast<int64_t>(v);
    }
    default:
      return 0;
  }
}

double NumberAt(GgufType t, const uint8_t* p) {
  switch (t) {
    case GgufType::kFloat32:
      return Load<float>(p);
    case GgufType::kFloat64:
      return Load<double>(p);
    case GgufType::kUint64:
      return static_cast<double>(Load<uint64_t>(p));
    case GgufType::kBool:
      return Load<uint8_t>(p) != 0 ? 1.0 : 0.0;
    default: {
      bool overflow = false;
      return static_cast<double>(IntegerAt(t, p, &overflow));
    }
  }
}

bool IsNumeric(GgufType t) {
  return IsInteger(t) || t == GgufType::kFloat32 || t == GgufType::kFloat64;
}

Status TypeError(std::string_view expected, const GgufValue& v) {
  return Status::Error(fmt::format("expected {}, found {}", expected, v.TypeDescription()));
}

}  // namespace

// Gives the parser and scalar constructors access to GgufValue's representation.
class GgufReaderAccess {
 public:
  static GgufValue Scalar(GgufType t, const uint8_t* p, size_t n) {
    GgufValue v;
    v.type_ = t;
    v.bytes_.assign(p, p + n);
    return v;
  }
  static GgufValue Array(GgufType element, std::vector<uint8_t> bytes) {
    GgufValue v;
    v.type_ = GgufType::kArray;
    v.element_ = element;
    v.bytes_ = std::move(bytes);
    return v;
  }
  static GgufValue String(std::string s) {
    GgufValue v;
    v.type_ = GgufType::kString;
    v.string_ = std::move(s);
    return v;
  }
  static GgufValue Strings(std::vector<std::string> s) {
    GgufValue v;
    v.type_ = GgufType::kArray;
    v.element_ = GgufType::kString;
    v.strings_ = std::move(s);
    return v;
  }
  static const std::vector<uint8_t>& bytes(const GgufValue& v) { return v.bytes_; }
  static const std::string& string(const GgufValue& v) { return v.string_; }
  static const std::vector<std::string>& strings(const GgufValue& v) { return v.strings_; }
};

std::string GgufTypeName(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
      return "uint8";
    case GgufType::kInt8:
      return "int8";
    case GgufType::kUint16:
      return "uint16";
    case GgufType::kInt16:
      return "int16";
    case GgufType::kUint32:
      return "uint32";
    case GgufType::kInt32:
      return "int32";
    case GgufType::kFloat32:
      return "float32";
    case GgufType::kBool:
      return "bool";
    case GgufType::kString:
      return "string";
    case GgufType::kArray:
      return "array";
    case GgufType::kUint64:
      return "uint64";
    case GgufType::kInt64:
      return "int64";
    case GgufType::kFloat64:
      return "float64";
  }
  return fmt::format("type {}", static_cast<uint32_t>(t));
}

// ---- GgufValue ----

namespace {

// A scalar or array value of a C++ number type, from its bytes (little-endian, as GGUF).
template <typename T>
GgufValue ScalarOf(GgufType type, T v) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  return GgufReaderAccess::Scalar(type, bytes, sizeof(T));
}

template <typename T>
GgufValue ArrayOf(GgufType element, const std::vector<T>& v) {
  std::vector<uint8_t> bytes(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return GgufReaderAccess::Array(element, std::move(bytes));
}

}  // namespace

GgufValue GgufValue::Uint8(uint8_t v) { return ScalarOf(GgufType::kUint8, v); }
GgufValue GgufValue::Int8(int8_t v) { return ScalarOf(GgufType::kInt8, v); }
GgufValue GgufValue::Uint16(uint16_t v) { return ScalarOf(GgufType::kUint16, v); }
GgufValue GgufValue::Int16(int16_t v) { return ScalarOf(GgufType::kInt16, v); }
GgufValue GgufValue::Uint32(uint32_t v) { return ScalarOf(GgufType::kUint32, v); }
GgufValue GgufValue::Int32(int32_t v) { return ScalarOf(GgufType::kInt32, v); }
GgufValue GgufValue::Uint64(uint64_t v) { return ScalarOf(GgufType::kUint64, v); }
GgufValue GgufValue::Int64(int64_t v) { return ScalarOf(GgufType::kInt64, v); }
GgufValue GgufValue::Float32(float v) { return ScalarOf(GgufType::kFloat32, v); }
GgufValue GgufValue::Float64(double v) { return ScalarOf(GgufType::kFloat64, v); }
GgufValue GgufValue::Bool(bool v) { return ScalarOf(GgufType::kBool, static_cast<uint8_t>(v)); }
GgufValue GgufValue::String(std::string v) { return GgufReaderAccess::String(std::move(v)); }
GgufValue GgufValue::StringArray(std::vector<std::string> v) {
  return GgufReaderAccess::Strings(std::move(v));
}
GgufValue GgufValue::Float32Array(const std::vector<float>& v) {
  return ArrayOf(GgufType::kFloat32, v);
}
GgufValue GgufValue::Int32Array(const std::vector<int32_t>& v) {
  return ArrayOf(GgufType::kInt32, v);
}

Result<GgufValue> GgufValue::NumericArray(GgufType element, std::vector<uint8_t> bytes) {
  size_t size = ScalarSize(element);
  if (size == 0) {
    return Status::Error("array elements must be numbers or bools, not " + GgufTypeName(element));
  }
  if (bytes.size() % size != 0) {
    return Status::Error(fmt::format("{} bytes is not a whole number of {} elements", bytes.size(),
                                     GgufTypeName(element)));
  }
  return GgufReaderAccess::Array(element, std::move(bytes));
}

uint64_t GgufValue::size() const {
  if (type_ != GgufType::kArray) return 1;
  if (element_ == GgufType::kString) return strings_.size();
  size_t s = ScalarSize(element_);
  return s == 0 ? 0 : bytes_.size() / s;
}

std::string GgufValue::TypeDescription() const {
  if (type_ == GgufType::kArray) return "array of " + GgufTypeName(element_);
  return GgufTypeName(type_);
}

Result<int64_t> GgufValue::AsInt() const {
  if (!IsInteger(type_)) return TypeError("an integer", *this);
  bool overflow = false;
  int64_t v = IntegerAt(type_, bytes_.data(), &overflow);
  if (overflow) return Status::Error("uint64 value does not fit in int64");
  return v;
}

Result<double> GgufValue::AsFloat() const {
  if (!IsNumeric(type_)) return TypeError("a number", *this);
  return NumberAt(type_, bytes_.data());
}

Result<bool> GgufValue::AsBool() const {
  if (type_ != GgufType::kBool) return TypeError("bool", *this);
  return bytes_[0] != 0;
}

Result<std::string> GgufValue::AsString() const {
  if (type_ != GgufType::kString) return TypeError("string", *this);
  return string_;
}

Result<std::vector<std::string>> GgufValue::AsStringArray() const {
  if (type_ != GgufType::kArray || element_ != GgufType::kString) {
    return TypeError("array of string", *this);
  }
  return strings_;
}

Result<std::vector<int64_t>> GgufValue::AsIntArray() const {
  if (type_ != GgufType::kArray || !IsInteger(element_)) {
    return TypeError("array of integers", *this);
  }
  size_t s = ScalarSize(element_);
  std::vector<int64_t> out(bytes_.size() / s);
  bool overflow = false;
  for (size_t i = 0; i < out.size(); ++i) out[i] = IntegerAt(element_, &bytes_[i * s], &overflow);
  if (overflow) return Status::Error("uint64 element does not fit in int64");
  return out;
}

Result<std::vector<double>> GgufValue::AsNumberArray() const {
  if (type_ != GgufType::kArray || !IsNumeric(element_)) {
    return TypeError("array of numbers", *this);
  }
  size_t s = ScalarSize(element_);
  std::vector<double> out(bytes_.size() / s);
  for (size_t i = 0; i < out.size(); ++i) out[i] = NumberAt(element_, &bytes_[i * s]);
  return out;
}

Result<std::vector<float>> GgufValue::AsFloatArray() const {
  if (type_ == GgufType::kArray && element_ == GgufType::kFloat32) {
    std::vector<float> out(bytes_.size() / 4);
    if (!out.empty()) std::memcpy(out.data(), bytes_.data(), bytes_.size());
    return out;
  }
  auto numbers = AsNumberArray();
  if (!numbers.ok()) return numbers.status();
  return std::vector<float>(numbers->begin(), numbers->end());
}

// ---- Reading ----

struct GgufFile::Mapping {
  void* address = nullptr;
  size_t length = 0;
  ~Mapping() {
    if (address != nullptr) munmap(address, length);
  }
};

// A bounds-checked cursor over the file's bytes plus the parsing steps.
class GgufParser {
 public:
  explicit GgufParser(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  Status Run(GgufFile& file) {
    file.bytes_ = bytes_;
    uint32_t magic = 0;
    if (bytes_.size() < 4 || !Read(&magic)) {
      return Status::Error(fmt::format("file too short to be GGUF ({} bytes)", bytes_.size()));
    }
    if (magic != kMagic) return Status::Error("not a GGUF file (bad magic)");
    uint32_t version = 0;
    if (!Read(&version)) return Truncated("version");
    if (version == 1) {
      return Status::Error("unsupported: GGUF version 1 (convert the file to version 2 or 3)");
    }
    if (version != 2 && version != 3) {
      return Status::Error(fmt::format(
          "unsupported: GGUF version {}{}", version,
          (version & 0xFFFF) == 0 ? " (a big-endian file? only little-endian is supported)" : ""));
    }
    file.version_ = version;
    uint64_t n_tensors = 0, n_kv = 0;
    if (!Read(&n_tensors)) return Truncated("tensor count");
    if (!Read(&n_kv)) return Truncated("metadata count");
    // Each metadata entry takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor
    // entry at least 8 + 4 + 4 + 8 bytes. Counts beyond that cannot be honest.
    if (n_kv > Remaining() / 13) {
      return Status::Error(fmt::format("metadata count {} exceeds what the file can hold", n_kv));
    }
    if (n_tensors > Remaining() / 24) {
      return Status::Error(
          fmt::format("tensor count {} exceeds what the file can hold", n_tensors));
    }

    std::unordered_set<std::string> keys;
    file.metadata_.reserve(n_kv);
    for (uint64_t i = 0; i < n_kv; ++i) {
      GgufKeyValue kv;
      size_t at = pos_;
      if (!ReadString(&kv.key)) return Truncated(fmt::format("key of metadata entry {}", i));
      if (!keys.insert(kv.key).second) {
        return Status::Error(fmt::format("duplicate metadata key '{}' at byte {}", kv.key, at));
      }
      uint32_t type = 0;
      if (!Read(&type)) return Truncated("type of metadata '" + kv.key + "'");
      Status s = ReadValue(static_cast<GgufType>(type), &kv.value);
      if (!s.ok()) return s.WithContext(fmt::format("metadata '{}' (byte {})", kv.key, at));
      file.metadata_.push_back(std::move(kv));
    }

    if (const GgufValue* a = file.Find("general.alignment")) {
      auto v = a->AsInt();
      if (!v.ok()) return v.status().WithContext("general.alignment");
      if (*v <= 0 || (*v & (*v - 1)) != 0 || *v > (1 << 20)) {
        return Status::Error(fmt::format("general.alignment {} is not a power of two", *v));
      }
      file.alignment_ = static_cast<uint64_t>(*v);
    } else {
      file.alignment_ = kDefaultAlignment;
    }

    std::unordered_set<std::string> names;
    file.tensors_.reserve(n_tensors);
    for (uint64_t i = 0; i < n_tensors; ++i) {
      GgufTensorInfo t;
      Status s = ReadTensorInfo(i, &t);
      if (!s.ok()) return s;
      if (!names.insert(t.name).second) {
        return Status::Error(fmt::format("duplicate tensor name '{}'", t.name));
      }
      file.tensors_.push_back(std::move(t));
    }

    // The data section starts at the next multiple of the alignment (it may be empty).
    uint64_t data = (pos_ + file.alignment_ - 1) / file.alignment_ * file.alignment_;
    if (n_tensors > 0 && data > bytes_.size()) return Truncated("padding before tensor data");
    file.data_offset_ = data;
    uint64_t data_size = bytes_.size() >= data ? bytes_.size() - data : 0;
    for (const GgufTensorInfo& t : file.tensors_) {
      if (t.offset % file.alignment_ != 0) {
        return Status::Error(
            fmt::format("tensor '{}': offset {} is not a multiple of the alignment {}", t.name,
                        t.offset, file.alignment_));
      }
      if (t.offset > data_size || t.bytes > data_size - t.offset) {
        return Status::Error(fmt::format(
            "tensor '{}': data [{}, {}) lies beyond the end of the file (data section holds {} "
            "bytes; truncated file?)",
            t.name, t.offset, t.offset + t.bytes, data_size));
      }
    }
    return Status::Ok();
  }

 private:
  uint64_t Remaining() const { return bytes_.size() - pos_; }

  Status Truncated(const std::string& what) const {
    return Status::Error(fmt::format("truncated file: {} runs past the end at byte {} of {}", what,
                                     pos_, bytes_.size()));
  }

  template <typename T>
  bool Read(T* out) {
    if (Remaining() < sizeof(T)) return false;
    *out = Load<T>(bytes_.data() + pos_);
    pos_ += sizeof(T);
    return true;
  }

  bool ReadString(std::string* out) {
    uint64_t n = 0;
    if (!Read(&n) || n > Remaining()) return false;
    out->assign(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return true;
  }

  Status ReadValue(GgufType type, GgufValue* out) {
    if (type == GgufType::kString) {
      std::string s;
      if (!ReadString(&s)) return Truncated("string value");
      *out = GgufReaderAccess::String(std::move(s));
      return Status::Ok();
    }
    if (type == GgufType::kArray) {
      uint32_t element = 0;
      uint64_t n = 0;
      if (!Read(&element)) return Truncated("array element type");
      if (!Read(&n)) return Truncated("array length");
      GgufType et = static_cast<GgufType>(element);
      if (et == GgufType::kString) {
        // Each string takes at least its 8-byte length.
        if (n > Remaining() / 8) {
          return Status::Error(fmt::format("array of {} strings exceeds the file", n));
        }
        std::vector<std::string> strings(n);
        for (uint64_t i = 0; i < n; ++i) {
          if (!ReadString(&strings[i])) return Truncated(fmt::format("string {} of array", i));
        }
        *out = GgufReaderAccess::Strings(std::move(strings));
        return Status::Ok();
      }
      if (et == GgufType::kArray) return Status::Error("unsupported: arrays of arrays");
      size_t size = ScalarSize(et);
      if (size == 0) return Status::Error(fmt::format("unknown array element type {}", element));
      if (n > Remaining() / size) {
        return Status::Error(fmt::format("array of {} {} exceeds the file", n, GgufTypeName(et)));
      }
      const uint8_t* p = bytes_.data() + pos_;
      std::vector<uint8_t> bytes(p, p + n * size);
      pos_ += n * size;
      *out = GgufReaderAccess::Array(et, std::move(bytes));
      return Status::Ok();
    }
    size_t size = ScalarSize(type);
    if (size == 0) {
      return Status::Error(fmt::format("unknown value type {}", static_cast<uint32_t>(type)));
    }
    if (Remaining() < size) return Truncated(GgufTypeName(type) + " value");
    *out = GgufReaderAccess::Scalar(type, bytes_.data() + pos_, size);
    pos_ += size;
    return Status::Ok();
  }

  Status ReadTensorInfo(uint64_t index, GgufTensorInfo* t) {
    if (!ReadString(&t->name)) return Truncated(fmt::format("name of tensor {}", index));
    auto where = [&](const std::string& msg) {
      return Status::Error(fmt::format("tensor '{}': {}", t->name, msg));
    };
    uint32_t n_dims = 0;
    if (!Read(&n_dims)) return Truncated("dimension count of tensor '" + t->name + "'");
    if (n_dims == 0 || n_dims > kMaxDims) {
      return where(fmt::format("{} dimensions (GGUF allows 1 to {})", n_dims, kMaxDims));
    }
    int64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim = 0;
      if (!Read(&dim)) return Truncated("shape of tensor '" + t->name + "'");
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return where(fmt::format("dimension {} is out of range", dim));
      }
      int64_t sd = static_cast<int64_t>(dim);
      if (sd != 0 && elements > std::numeric_limits<int64_t>::max() / sd) {
        return where("element count overflows");
      }
      elements *= sd;
      t->dims.push_back(sd);
    }
    t->elements = elements;
    uint32_t type = 0;
    if (!Read(&type)) return Truncated("type of tensor '" + t->name + "'");
    auto info = LookupTensorType(type);
    if (!info) return where(fmt::format("unsupported: tensor type id {}", type));
    t->type = static_cast<TensorType>(type);
    if (t->dims[0] % info->block_elements != 0) {
      return where(fmt::format("row length {} is not a multiple of the {} block size {}",
                               t->dims[0], info->name, info->block_elements));
    }
    auto bytes = TensorBytes(t->type, elements);
    if (!bytes) return where("byte size overflows");
    t->bytes = *bytes;
    if (!Read(&t->offset)) return Truncated("offset of tensor '" + t->name + "'");
    return Status::Ok();
  }

  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
};

Result<GgufFile> GgufFile::Parse(std::span<const uint8_t> bytes) {
  GgufFile file;
  GgufParser parser(bytes);
  Status s = parser.Run(file);
  if (!s.ok()) return s;
  return file;
}

Result<GgufFile> GgufFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return Status::Error(fmt::format("{}: cannot stat: {}", path, std::strerror(e)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error(fmt::format("{}: not a regular file", path));
  }
  auto mapping = std::make_shared<Mapping>();
  size_t length = static_cast<size_t>(st.st_size);
  if (length > 0) {
    void* addr = mmap(nullptr, length, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      return Status::Error(fmt::format("{}: cannot map: {}", path, std::strerror(e)));
    }
    mapping->address = addr;
    mapping->length = length;
  }
  ::close(fd);
  std::span<const uint8_t> bytes(static_cast<const uint8_t*>(mapping->address), length);
  auto parsed = Parse(bytes);
  if (!parsed.ok()) return parsed.status().WithContext(path);
  parsed->mapping_ = std::move(mapping);
  return parsed;
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  for (const GgufKeyValue& kv : metadata_) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

namespace {

template <typename T, typename F>
Result<T> Lookup(const GgufFile& file, std::string_view key, F get) {
  const GgufValue* v = file.Find(key);
  if (v == nullptr) return Status::Error(fmt::format("missing metadata key '{}'", key));
  Result<T> r = get(*v);
  if (!r.ok()) return r.status().WithContext(std::string(key));
  return r;
}

}  // namespace

Result<std::string> GgufFile::GetString(std::string_view key) const {
  return Lookup<std::string>(*this, key, [](const GgufValue& v) { return v.AsString(); });
}
Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  return Lookup<int64_t>(*this, key, [](const GgufValue& v) { return v.AsInt(); });
}
Result<double> GgufFile::GetFloat(std::string_view key) const {
  return Lookup<double>(*this, key, [](const GgufValue& v) { return v.AsFloat(); });
}
Result<bool> GgufFile::GetBool(std::string_view key) const {
  return Lookup<bool>(*this, key, [](const GgufValue& v) { return v.AsBool(); });
}
Result<std::vector<std::string>> GgufFile::GetStringArray(std::string_view key) const {
  return Lookup<std::vector<std::string>>(*this, key,
                                          [](const GgufValue& v) { return v.AsStringArray(); });
}
Result<std::vector<int64_t>> GgufFile::GetIntArray(std::string_view key) const {
  return Lookup<std::vector<int64_t>>(*this, key,
                                      [](const GgufValue& v) { return v.AsIntArray(); });
}
Result<std::vector<float>> GgufFile::GetFloatArray(std::string_view key) const {
  return Lookup<std::vector<float>>(*this, key,
                                    [](const GgufValue& v) { return v.AsFloatArray(); });
}
Result<std::vector<double>> GgufFile::GetNumberArray(std::string_view key) const {
  return Lookup<std::vector<double>>(*this, key,
                                     [](const GgufValue& v) { return v.AsNumberArray(); });
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  for (const GgufTensorInfo& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::span<const uint8_t> GgufFile::TensorData(const GgufTensorInfo& info) const {
  return bytes_.subspan(data_offset_ + info.offset, info.bytes);
}

void GgufFile::ReleasePages(std::span<const uint8_t> bytes) const {
  if (mapping_ == nullptr || bytes.empty()) return;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(bytes.data());
  const auto end = begin + bytes.size();
  const auto map_begin = reinterpret_cast<uintptr_t>(mapping_->address);
  if (begin < map_begin || end > map_begin + mapping_->length) return;
  const uintptr_t first = (begin + page - 1) / page * page;
  const uintptr_t last = end / page * page;
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

// ---- Writing ----

Status GgufWriter::SetAlignment(uint32_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    return Status::Error(fmt::format("alignment {} is not a power of two", alignment));
  }
  alignment_ = alignment;
  return Status::Ok();
}

void GgufWriter::Set(std::string key, GgufValue value) {
  if (key == "general.alignment") {
    // The alignment written is always the writer's own, so the file stays consistent.
    auto v = value.AsInt();
    if (v.ok() && *v > 0 && *v <= (1 << 20)) (void)SetAlignment(static_cast<uint32_t>(*v));
  }
  for (GgufKeyValue& kv : metadata_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  metadata_.push_back({std::move(key), std::move(value)});
}

void GgufWriter::Remove(std::string_view key) {
  std::erase_if(metadata_, [&](const GgufKeyValue& kv) { return kv.key == key; });
}

Status GgufWriter::CheckTensor(const std::string& name, TensorType type,
                               const std::vector<int64_t>& dims, size_t bytes) const {
  if (dims.empty() || dims.size() > kMaxDims) {
    return Status::Error(fmt::format("tensor '{}': {} dimensions", name, dims.size()));
  }
  int64_t elements = 1;
  for (int64_t d : dims) {
    if (d <= 0) return Status::Error(fmt::format("tensor '{}': dimension {}", name, d));
    elements *= d;
  }
  if (!LookupTensorType(static_cast<uint32_t>(type))) {
    return Status::Error(fmt::format("tensor '{}': unknown type", name));
  }
  if (dims[0] % BlockElements(type) != 0) {
    return Status::Error(fmt::format("tensor '{}': row length {} is not a multiple of {}", name,
                                     dims[0], BlockElements(type)));
  }
  auto expected = TensorBytes(type, elements);
  if (!expected || *expected != bytes) {
    return Status::Error(fmt::format("tensor '{}': {} bytes given, {} {} elements need {}", name,
                                     bytes, elements, TensorTypeName(type),
                                     expected ? *expected : 0));
  }
  for (const Tensor& t : tensors_) {
    if (t.info.name == name) return Status::Error(fmt::format("duplicate tensor '{}'", name));
  }
  return Status::Ok();
}

Status GgufWriter::AddTensor(std::string name, TensorType type, std::vector<int64_t> dims,
                             std::vector<uint8_t> data) {
  Status s = CheckTensor(name, type, dims, data.size());
  if (!s.ok()) return s;
  Tensor t;
  t.info.name = std::move(name);
  t.info.type = type;
  t.info.dims = std::move(dims);
  t.info.bytes = data.size();
  t.owned = std::move(data);
  tensors_.push_back(std::move(t));
  return Status::Ok();
}

Status GgufWriter::AddTensorView(std::string name, TensorType type, std::vector<int64_t> dims,
                                 std::span<const uint8_t> data) {
  Status s = CheckTensor(name, type, dims, data.size());
  if (!s.ok()) return s;
  Tensor t;
  t.info.name = std::move(name);
  t.info.type = type;
  t.info.dims = std::move(dims);
  t.info.bytes = data.size();
  t.view = data;
  tensors_.push_back(std::move(t));
  return Status::Ok();
}

namespace {

void AppendValue(std::vector<uint8_t>& out, const GgufValue& v) {
  Append<uint32_t>(out, static_cast<uint32_t>(v.type()));
  if (v.type() == GgufType::kString) {
    AppendString(out, GgufReaderAccess::string(v));
  } else if (v.type() == GgufType::kArray) {
    Append<uint32_t>(out, static_cast<uint32_t>(v.element_type()));
    Append<uint64_t>(out, v.size());
    if (v.element_type() == GgufType::kString) {
      for (const std::string& s : GgufReaderAccess::strings(v)) AppendString(out, s);
    } else {
      const auto& b = GgufReaderAccess::bytes(v);
      out.insert(out.end(), b.begin(), b.end());
    }
  } else {
    const auto& b = GgufReaderAccess::bytes(v);
    out.insert(out.end(), b.begin(), b.end());
  }
}

uint64_t AlignUp(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

}  // namespace

std::vector<uint8_t> GgufWriter::Header() const {
  std::vector<GgufKeyValue> meta = metadata_;
  bool has_alignment = false;
  for (GgufKeyValue& kv : meta) {
    if (kv.key == "general.alignment") {
      kv.value = GgufValue::Uint32(alignment_);
      has_alignment = true;
    }
  }
  if (!has_alignment && alignment_ != kDefaultAlignment) {
    meta.push_back({"general.alignment", GgufValue::Uint32(alignment_)});
  }

  std::vector<uint8_t> out;
  Append<uint32_t>(out, kMagic);
  Append<uint32_t>(out, 3);
  Append<uint64_t>(out, tensors_.size());
  Append<uint64_t>(out, meta.size());
  for (const GgufKeyValue& kv : meta) {
    AppendString(out, kv.key);
    AppendValue(out, kv.value);
  }
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    AppendString(out, t.info.name);
    Append<uint32_t>(out, static_cast<uint32_t>(t.info.dims.size()));
    for (int64_t d : t.info.dims) Append<uint64_t>(out, static_cast<uint64_t>(d));
    Append<uint32_t>(out, static_cast<uint32_t>(t.info.type));
    Append<uint64_t>(out, offset);
    offset = AlignUp(offset + t.info.bytes, alignment_);
  }
  out.resize(AlignUp(out.size(), alignment_), 0);
  return out;
}

Result<std::vector<uint8_t>> GgufWriter::Serialize() const {
  std::vector<uint8_t> out = Header();
  for (const Tensor& t : tensors_) {
    std::span<const uint8_t> data = t.owned.empty() ? t.view : std::span<const uint8_t>(t.owned);
    out.insert(out.end(), data.begin(), data.end());
    out.resize(AlignUp(out.size(), alignment_), 0);
  }
  return out;
}

Status GgufWriter::WriteFile(const std::string& path) const {
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return Status::Error(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno)));
  }
  auto fail = [&](const char* what) {
    std::string msg = fmt::format("{}: {}: {}", tmp, what, std::strerror(errno));
    std::fclose(f);
    std::remove(tmp.c_str());
    return Status::Error(msg);
  };
  std::vector<uint8_t> header = Header();
  if (std::fwrite(header.data(), 1, header.size(), f) != header.size()) return fail("write failed");
  static const uint8_t kZeros[64] = {};
  for (const Tensor& t : tensors_) {
    std::span<const uint8_t> data = t.owned.empty() ? t.view : std::span<const uint8_t>(t.owned);
    if (!data.empty() && std::fwrite(data.data(), 1, data.size(), f) != data.size()) {
      return fail("write failed");
    }
    uint64_t pad = AlignUp(data.size(), alignment_) - data.size();
    while (pad > 0) {
      size_t n = pad < sizeof(kZeros) ? pad : sizeof(kZeros);
      if (std::fwrite(kZeros, 1, n, f) != n) return fail("write failed");
      pad -= n;
    }
  }
  if (std::fflush(f) != 0) return fail("flush failed");
  if (std::fclose(f) != 0) {
    std::remove(tmp.c_str());
    return Status::Error(fmt::format("{}: close failed: {}", tmp, std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string msg = fmt::format("cannot rename {} to {}: {}", tmp, path, std::strerror(errno));
    std::remove(tmp.c_str());
    return Status::Error(msg);
  }
  return Status::Ok();
}

}  // namespace pareto::inference
