// GGUF files: a reader over a read-only memory map, and a writer.
//
// GGUF (versions 2 and 3) is a little-endian container: a header, typed key/value metadata,
// a table of tensors (name, shape, element type, offset), then the tensor data, each tensor
// aligned to `general.alignment` (default 32) bytes.
//
// The reader trusts nothing in the file. Every count, length, offset and size is checked
// against the bytes actually present before it is used, so a truncated or hostile file gets
// an error naming the problem and where it was found, never a crash or an unbounded
// allocation (allocations are bounded by the file's size). Metadata is decoded into owned
// values at open; tensor data stays in the map and is handed out as spans.
//
// Metadata lookups return Result<T>: a missing key or a value of another type is an error
// value naming the key ("tokenizer.ggml.tokens: expected array of string, found uint32").
//
// The writer assembles metadata and tensors in memory-light form (tensor bytes may be owned
// or borrowed) and writes a version 3 file through a temporary file renamed into place.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/status.h"
#include "inference/tensor_type.h"

namespace pareto::inference {

// The value types of GGUF metadata, numbered as in the file.
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

// "uint32", "string", "array", ... ("type 99" for ids outside the format).
std::string GgufTypeName(GgufType t);

// One metadata value: a scalar, a string, or an array of scalars or strings (arrays of
// arrays are not used by any model file and are rejected by the reader). Numbers keep their
// exact type and bits, so a value read and written again is byte-identical.
class GgufValue {
 public:
  GgufValue() = default;

  static GgufValue Uint8(uint8_t v);
  static GgufValue Int8(int8_t v);
  static GgufValue Uint16(uint16_t v);
  static GgufValue Int16(int16_t v);
  static GgufValue Uint32(uint32_t v);
  static GgufValue Int32(int32_t v);
  static GgufValue Uint64(uint64_t v);
  static GgufValue Int64(int64_t v);
  static GgufValue Float32(float v);
  static GgufValue Float64(double v);
  static GgufValue Bool(bool v);
  static GgufValue String(std::string v);
  static GgufValue StringArray(std::vector<std::string> v);
  static GgufValue Float32Array(const std::vector<float>& v);
  static GgufValue Int32Array(const std::vector<int32_t>& v);
  // An array of a numeric or bool element type from its little-endian bytes; the byte count
  // must be a multiple of the element size.
  static Result<GgufValue> NumericArray(GgufType element, std::vector<uint8_t> bytes);

  GgufType type() const { return type_; }
  // For arrays: the element type. Meaningless otherwise.
  GgufType element_type() const { return element_; }
  bool is_array() const { return type_ == GgufType::kArray; }
  // Elements in an array; 1 for a scalar or string.
  uint64_t size() const;

  // Typed access; a value of another type is an error naming both types.
  // AsInt accepts every integer type (a uint64 above INT64_MAX is an error);
  // AsFloat accepts float32, float64 and, widened, every integer type.
  Result<int64_t> AsInt() const;
  Result<double> AsFloat() const;
  Result<bool> AsBool() const;
  Result<std::string> AsString() const;
  // Arrays: of strings; of any integer type; of any numeric type (as double / float).
  Result<std::vector<std::string>> AsStringArray() const;
  Result<std::vector<int64_t>> AsIntArray() const;
  Result<std::vector<double>> AsNumberArray() const;
  Result<std::vector<float>> AsFloatArray() const;

  // "uint32", "array of string", ...
  std::string TypeDescription() const;

  bool operator==(const GgufValue& other) const = default;

 private:
  friend class GgufReaderAccess;
  GgufType type_ = GgufType::kUint32;
  GgufType element_ = GgufType::kUint32;
  std::vector<uint8_t> bytes_;        // scalars and numeric arrays, little-endian as in file
  std::string string_;                // a string value
  std::vector<std::string> strings_;  // an array of strings
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

// One entry of the tensor table. `dims[0]` is the innermost (row) dimension, as in GGUF.
struct GgufTensorInfo {
  std::string name;
  TensorType type = TensorType::kF32;
  std::vector<int64_t> dims;
  int64_t elements = 0;
  uint64_t offset = 0;  // from the start of the data section
  uint64_t bytes = 0;
};

class GgufFile {
 public:
  // Maps `path` read-only and parses it. Errors name the path.
  static Result<GgufFile> Open(const std::string& path);
  // Parses bytes the caller keeps alive for the lifetime of the returned file (and of any
  // span it hands out); used by tests and the fuzzer.
  static Result<GgufFile> Parse(std::span<const uint8_t> bytes);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  // Byte offset of the data section within the file.
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return bytes_.size(); }

  // Metadata in file order.
  const std::vector<GgufKeyValue>& metadata() const { return metadata_; }
  // nullptr when absent.
  const GgufValue* Find(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }

  // Typed lookups: "missing key" and type mismatches are errors naming the key.
  Result<std::string> GetString(std::string_view key) const;
  Result<int64_t> GetInt(std::string_view key) const;
  Result<double> GetFloat(std::string_view key) const;
  Result<bool> GetBool(std::string_view key) const;
  Result<std::vector<std::string>> GetStringArray(std::string_view key) const;
  Result<std::vector<int64_t>> GetIntArray(std::string_view key) const;
  Result<std::vector<float>> GetFloatArray(std::string_view key) const;
  Result<std::vector<double>> GetNumberArray(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  // nullptr when absent.
  const GgufTensorInfo* FindTensor(std::string_view name) const;
  // The tensor's bytes inside the mapped file (checked at open to lie within it).
  std::span<const uint8_t> TensorData(const GgufTensorInfo& info) const;

  // Tells the OS the whole pages inside `bytes` (a part of this file) will not be needed
  // soon, so it can drop them from memory; they are read again from the file if touched.
  // Used after copying a tensor into another layout. No effect on parsed byte buffers.
  void ReleasePages(std::span<const uint8_t> bytes) const;

 private:
  struct Mapping;
  friend class GgufParser;
  std::shared_ptr<const Mapping> mapping_;  // keeps an mmap alive; null for Parse()
  std::span<const uint8_t> bytes_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
};

// Builds a GGUF (version 3) file.
class GgufWriter {
 public:
  // Must be a power of two; written as general.alignment when not 32.
  Status SetAlignment(uint32_t alignment);
  // Adds or replaces a metadata entry (order of first addition is kept).
  void Set(std::string key, GgufValue value);
  // Removes an entry if present.
  void Remove(std::string_view key);
  const std::vector<GgufKeyValue>& metadata() const { return metadata_; }

  // Adds a tensor whose bytes the writer owns / borrows (the borrowed span must stay valid
  // until Write returns). The byte count must match the type and shape; names are unique.
  Status AddTensor(std::string name, TensorType type, std::vector<int64_t> dims,
                   std::vector<uint8_t> data);
  Status AddTensorView(std::string name, TensorType type, std::vector<int64_t> dims,
                       std::span<const uint8_t> data);

  // The whole file in memory (tests, fuzz seeds).
  Result<std::vector<uint8_t>> Serialize() const;
  // Writes to `path` via `path.tmp` and a rename, so a failed write leaves no partial file.
  Status WriteFile(const std::string& path) const;

 private:
  struct Tensor {
    GgufTensorInfo info;
    std::vector<uint8_t> owned;
    std::span<const uint8_t> view;
  };
  Status CheckTensor(const std::string& name, TensorType type, const std::vector<int64_t>& dims,
                     size_t bytes) const;
  std::vector<uint8_t> Header() const;  // everything before the data section, padded
  uint32_t alignment_ = 32;
  std::vector<GgufKeyValue> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace pareto::inference
