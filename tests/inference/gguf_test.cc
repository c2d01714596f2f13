#include "inference/gguf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace pareto::inference {
namespace {

namespace fs = std::filesystem;

// Appends little-endian scalars and GGUF strings: for hand-built (hostile) files.
struct Bytes {
  std::vector<uint8_t> b;
  template <typename T>
  Bytes& put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof(T));
    return *this;
  }
  Bytes& str(std::string_view s) {
    put<uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& header(uint32_t version, uint64_t tensors, uint64_t kvs) {
    return put<uint32_t>(0x46554747)
        .put<uint32_t>(version)
        .put<uint64_t>(tensors)
        .put<uint64_t>(kvs);
  }
};

Result<GgufFile> ParseBytes(const std::vector<uint8_t>& b) { return GgufFile::Parse(b); }

GgufWriter SampleWriter() {
  GgufWriter w;
  w.Set("general.architecture", GgufValue::String("llama"));
  w.Set("u8", GgufValue::Uint8(200));
  w.Set("i8", GgufValue::Int8(-5));
  w.Set("u16", GgufValue::Uint16(60000));
  w.Set("i16", GgufValue::Int16(-30000));
  w.Set("u32", GgufValue::Uint32(4000000000u));
  w.Set("i32", GgufValue::Int32(-7));
  w.Set("u64", GgufValue::Uint64(1ull << 40));
  w.Set("i64", GgufValue::Int64(-(1ll << 40)));
  w.Set("f32", GgufValue::Float32(0.25f));
  w.Set("f64", GgufValue::Float64(1e300));
  w.Set("yes", GgufValue::Bool(true));
  w.Set("words", GgufValue::StringArray({"a", "", "héllo", std::string("\0z", 2)}));
  w.Set("scores", GgufValue::Float32Array({1.5f, -2.0f}));
  w.Set("types", GgufValue::Int32Array({1, 2, 3}));
  std::vector<float> f(8);
  for (int i = 0; i < 8; ++i) f[i] = static_cast<float>(i) * 0.5f;
  std::vector<uint8_t> fb(f.size() * 4);
  std::memcpy(fb.data(), f.data(), fb.size());
  EXPECT_TRUE(w.AddTensor("a", TensorType::kF32, {4, 2}, fb).ok());
  std::vector<uint8_t> q(34 * 2, 7);
  EXPECT_TRUE(w.AddTensor("b", TensorType::kQ8_0, {64}, q).ok());
  return w;
}

TEST(GgufTest, RoundTripsEveryValueTypeAndTensors) {
  GgufWriter w = SampleWriter();
  auto bytes = w.Serialize();
  ASSERT_TRUE(bytes.ok());
  auto file = ParseBytes(*bytes);
  ASSERT_TRUE(file.ok()) << file.message();
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->alignment(), 32u);
  ASSERT_EQ(file->metadata().size(), w.metadata().size());
  for (size_t i = 0; i < w.metadata().size(); ++i) {
    EXPECT_EQ(file->metadata()[i].key, w.metadata()[i].key);
    EXPECT_TRUE(file->metadata()[i].value == w.metadata()[i].value) << w.metadata()[i].key;
  }
  EXPECT_EQ(*file->GetString("general.architecture"), "llama");
  EXPECT_EQ(*file->GetInt("u8"), 200);
  EXPECT_EQ(*file->GetInt("i8"), -5);
  EXPECT_EQ(*file->GetInt("u16"), 60000);
  EXPECT_EQ(*file->GetInt("i16"), -30000);
  EXPECT_EQ(*file->GetInt("u32"), 4000000000ll);
  EXPECT_EQ(*file->GetInt("i32"), -7);
  EXPECT_EQ(*file->GetInt("u64"), 1ll << 40);
  EXPECT_EQ(*file->GetInt("i64"), -(1ll << 40));
  EXPECT_EQ(*file->GetFloat("f32"), 0.25);
  EXPECT_EQ(*file->GetFloat("f64"), 1e300);
  EXPECT_EQ(*file->GetFloat("i32"), -7.0);  // integers widen to float
  EXPECT_TRUE(*file->GetBool("yes"));
  auto words = file->GetStringArray("words");
  ASSERT_TRUE(words.ok());
  EXPECT_EQ(*words, (std::vector<std::string>{"a", "", "héllo", std::string("\0z", 2)}));
  EXPECT_EQ(*file->GetFloatArray("scores"), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(*file->GetIntArray("types"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(*file->GetNumberArray("types"), (std::vector<double>{1, 2, 3}));

  ASSERT_EQ(file->tensors().size(), 2u);
  const GgufTensorInfo* a = file->FindTensor("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->type, TensorType::kF32);
  EXPECT_EQ(a->dims, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(a->elements, 8);
  auto data = file->TensorData(*a);
  ASSERT_EQ(data.size(), 32u);
  float third;
  std::memcpy(&third, data.data() + 8, 4);
  EXPECT_EQ(third, 1.0f);
  const GgufTensorInfo* b = file->FindTensor("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->offset % 32, 0u);
  EXPECT_EQ(file->TensorData(*b).size(), 68u);
  EXPECT_EQ(file->TensorData(*b)[67], 7);
  EXPECT_EQ(file->FindTensor("c"), nullptr);
}

TEST(GgufTest, WrongTypesAndMissingKeysAreErrorsNamingTheKey) {
  auto bytes = SampleWriter().Serialize();
  auto file = ParseBytes(*bytes);
  ASSERT_TRUE(file.ok());
  auto s = file->GetInt("general.architecture");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("general.architecture"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("expected an integer, found string"), std::string::npos);
  auto arr = file->GetStringArray("scores");
  ASSERT_FALSE(arr.ok());
  EXPECT_NE(arr.message().find("array of float32"), std::string::npos) << arr.message();
  EXPECT_FALSE(file->GetBool("u8").ok());
  EXPECT_FALSE(file->GetString("u8").ok());
  EXPECT_FALSE(file->GetIntArray("scores").ok());
  auto missing = file->GetString("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("missing metadata key 'nope'"), std::string::npos);
  EXPECT_FALSE(file->Has("nope"));
  EXPECT_TRUE(file->Has("u8"));
}

TEST(GgufTest, EveryTruncationIsAnErrorNotACrash) {
  auto bytes = SampleWriter().Serialize();
  ASSERT_TRUE(bytes.ok());
  auto full = ParseBytes(*bytes);
  ASSERT_TRUE(full.ok());
  // The last tensor's own bytes end here; only padding follows.
  const GgufTensorInfo& last = full->tensors().back();
  size_t needed = full->data_offset() + last.offset + last.bytes;
  for (size_t n = 0; n < needed; ++n) {
    std::vector<uint8_t> prefix(bytes->begin(), bytes->begin() + static_cast<long>(n));
    auto r = ParseBytes(prefix);
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
  }
}

TEST(GgufTest, RejectsBadMagicAndVersions) {
  Bytes bad;
  bad.put<uint32_t>(0x12345678).put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(0);
  auto r = ParseBytes(bad.b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("magic"), std::string::npos);

  Bytes v1;
  v1.header(1, 0, 0);
  r = ParseBytes(v1.b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("version 1"), std::string::npos);

  Bytes v2;
  v2.header(2, 0, 1).str("k").put<uint32_t>(4).put<uint32_t>(9);
  r = ParseBytes(v2.b);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->version(), 2u);
  EXPECT_EQ(*r->GetInt("k"), 9);

  Bytes big;
  big.put<uint32_t>(0x46554747).put<uint32_t>(0x03000000).put<uint64_t>(0).put<uint64_t>(0);
  r = ParseBytes(big.b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("big-endian"), std::string::npos) << r.message();
}

TEST(GgufTest, RejectsHostileCountsAndLengths) {
  Bytes huge_kv;
  huge_kv.header(3, 0, 1ull << 60);
  EXPECT_FALSE(ParseBytes(huge_kv.b).ok());

  Bytes huge_tensors;
  huge_tensors.header(3, 1ull << 62, 0);
  EXPECT_FALSE(ParseBytes(huge_tensors.b).ok());

  Bytes huge_string;
  huge_string.header(3, 0, 1).put<uint64_t>(~0ull);
  EXPECT_FALSE(ParseBytes(huge_string.b).ok());

  Bytes huge_array;
  huge_array.header(3, 0, 1).str("k").put<uint32_t>(9).put<uint32_t>(12).put<uint64_t>(1ull << 61);
  auto r = ParseBytes(huge_array.b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("exceeds the file"), std::string::npos) << r.message();

  Bytes huge_strings;
  huge_strings.header(3, 0, 1).str("k").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(1ull << 40);
  EXPECT_FALSE(ParseBytes(huge_strings.b).ok());

  Bytes nested;
  nested.header(3, 0, 1).str("k").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(0);
  r = ParseBytes(nested.b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("arrays of arrays"), std::string::npos);

  Bytes unknown_type;
  unknown_type.header(3, 0, 1).str("k").put<uint32_t>(77).put<uint32_t>(0);
  r = ParseBytes(unknown_type.b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("unknown value type 77"), std::string::npos);

  Bytes dup;
  dup.header(3, 0, 2)
      .str("k")
      .put<uint32_t>(7)
      .put<uint8_t>(1)
      .str("k")
      .put<uint32_t>(7)
      .put<uint8_t>(0);
  r = ParseBytes(dup.b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("duplicate metadata key"), std::string::npos);

  Bytes align;
  align.header(3, 0, 1).str("general.alignment").put<uint32_t>(4).put<uint32_t>(48);
  r = ParseBytes(align.b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("power of two"), std::string::npos);
}

// A file with one tensor described by the caller, followed by `data_bytes` of data.
std::vector<uint8_t> OneTensor(uint32_t n_dims, std::vector<uint64_t> dims, uint32_t type,
                               uint64_t offset, size_t data_bytes) {
  Bytes f;
  f.header(3, 1, 0).str("t").put<uint32_t>(n_dims);
  for (uint64_t d : dims) f.put<uint64_t>(d);
  f.put<uint32_t>(type).put<uint64_t>(offset);
  f.b.resize((f.b.size() + 31) / 32 * 32 + data_bytes, 0);
  return f.b;
}

TEST(GgufTest, RejectsTensorsOutsideTheFileOrMalformed) {
  EXPECT_TRUE(ParseBytes(OneTensor(1, {8}, 0, 0, 32)).ok());
  auto r = ParseBytes(OneTensor(1, {8}, 0, 0, 31));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("beyond the end of the file"), std::string::npos) << r.message();
  r = ParseBytes(OneTensor(1, {8}, 0, 32, 32));
  EXPECT_FALSE(r.ok());
  r = ParseBytes(OneTensor(1, {8}, 0, ~0ull - 31, 32));  // offset + size wraps around
  EXPECT_FALSE(r.ok());
  r = ParseBytes(OneTensor(1, {8}, 0, 4, 64));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("alignment"), std::string::npos);
  r = ParseBytes(OneTensor(5, {1, 1, 1, 1, 1}, 0, 0, 32));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("dimensions"), std::string::npos);
  r = ParseBytes(OneTensor(2, {1ull << 40, 1ull << 40}, 0, 0, 32));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("overflows"), std::string::npos);
  r = ParseBytes(OneTensor(1, {40}, 8, 0, 64));  // Q8_0 rows are multiples of 32
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("block size"), std::string::npos);
  r = ParseBytes(OneTensor(1, {32}, 99, 0, 64));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("unsupported: tensor type id 99"), std::string::npos);
}

TEST(GgufTest, WriterChecksTensorsAndAlignment) {
  GgufWriter w;
  EXPECT_FALSE(w.AddTensor("x", TensorType::kF32, {4}, std::vector<uint8_t>(15)).ok());
  EXPECT_FALSE(w.AddTensor("x", TensorType::kQ4_0, {16}, std::vector<uint8_t>(9)).ok());
  EXPECT_FALSE(w.AddTensor("x", TensorType::kF32, {}, {}).ok());
  EXPECT_TRUE(w.AddTensor("x", TensorType::kF32, {4}, std::vector<uint8_t>(16)).ok());
  EXPECT_FALSE(w.AddTensor("x", TensorType::kF32, {4}, std::vector<uint8_t>(16)).ok());
  EXPECT_FALSE(w.SetAlignment(24).ok());
  ASSERT_TRUE(w.SetAlignment(64).ok());
  std::vector<uint8_t> y(6, 1);
  ASSERT_TRUE(w.AddTensorView("y", TensorType::kF16, {3}, y).ok());
  auto bytes = w.Serialize();
  auto file = ParseBytes(*bytes);
  ASSERT_TRUE(file.ok()) << file.message();
  EXPECT_EQ(file->alignment(), 64u);
  EXPECT_EQ(*file->GetInt("general.alignment"), 64);
  EXPECT_EQ(file->data_offset() % 64, 0u);
  EXPECT_EQ(file->FindTensor("y")->offset, 64u);
  EXPECT_EQ(file->TensorData(*file->FindTensor("y"))[5], 1);
}

TEST(GgufTest, WritesAndMapsFiles) {
  fs::path path = fs::temp_directory_path() / ("pareto_gguf_test_" + std::to_string(getpid()));
  ASSERT_TRUE(SampleWriter().WriteFile(path.string()).ok());
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  auto file = GgufFile::Open(path.string());
  ASSERT_TRUE(file.ok()) << file.message();
  EXPECT_EQ(*file->GetString("general.architecture"), "llama");
  // Released pages come back from the file when read again.
  const GgufTensorInfo* b = file->FindTensor("b");
  file->ReleasePages(file->TensorData(*b));
  EXPECT_EQ(file->TensorData(*b)[67], 7);
  auto copy = *file;  // copies share the mapping
  file = Status::Error("dropped");
  EXPECT_EQ(copy.TensorData(*copy.FindTensor("b"))[0], 7);
  fs::remove(path);

  auto missing = GgufFile::Open(path.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find(path.string()), std::string::npos);
  auto dir = GgufFile::Open(fs::temp_directory_path().string());
  EXPECT_FALSE(dir.ok());
}

TEST(GgufTest, LoadsTheVocabularyFiles) {
  fs::path dir = fs::path(PARETO_SHARED_DIR) / "data" / "tokenizer";
  if (!fs::exists(dir)) GTEST_SKIP() << "no shared data at " << dir;
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".gguf") continue;
    ++seen;
    auto file = GgufFile::Open(entry.path().string());
    ASSERT_TRUE(file.ok()) << file.message();
    EXPECT_TRUE(file->GetString("general.architecture").ok()) << entry.path();
    auto model = file->GetString("tokenizer.ggml.model");
    ASSERT_TRUE(model.ok()) << model.message();
    auto tokens = file->GetStringArray("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.message();
    EXPECT_GT(tokens->size(), 1000u);
    if (*model == "llama") {
      auto scores = file->GetFloatArray("tokenizer.ggml.scores");
      ASSERT_TRUE(scores.ok()) << scores.message();
      EXPECT_EQ(scores->size(), tokens->size());
    } else {
      auto merges = file->GetStringArray("tokenizer.ggml.merges");
      ASSERT_TRUE(merges.ok()) << merges.message();
      EXPECT_GT(merges->size(), 1000u);
    }
    auto types = file->GetIntArray("tokenizer.ggml.token_type");
    ASSERT_TRUE(types.ok()) << types.message();
    EXPECT_EQ(types->size(), tokens->size());
  }
  EXPECT_EQ(seen, 4);
}

}  // namespace
}  // namespace pareto::inference
