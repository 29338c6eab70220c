// LoadConverter must convert exactly as OpenCC's own SimpleConverter does:
// every key of every dictionary of a configuration, alone and in running
// text with its neighbours, gives the same bytes from HashConverter::Convert,
// from OpenCC's loops on the hash dictionaries, and from OpenCC.
#include "common/analysis/opencc_converter.h"

#include <list>
#include <memory>
#include <string>
#include <vector>

#include <opencc/Conversion.hpp>
#include <opencc/ConversionChain.hpp>
#include <opencc/Converter.hpp>
#include <opencc/DictEntry.hpp>
#include <opencc/DictGroup.hpp>
#include <opencc/Lexicon.hpp>
#include <opencc/MaxMatchSegmentation.hpp>
#include <opencc/SimpleConverter.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace newsearch::analysis {
namespace {

void CollectKeys(const opencc::DictPtr& dict, std::vector<std::string>* keys) {
  if (const auto group = std::dynamic_pointer_cast<opencc::DictGroup>(dict)) {
    for (const opencc::DictPtr& member : group->GetDicts()) CollectKeys(member, keys);
    return;
  }
  for (const auto& entry : *dict->GetLexicon()) keys->push_back(entry->Key());
}

std::vector<std::string> AllKeys(const opencc::Converter& converter) {
  std::vector<std::string> keys;
  const auto segmentation =
      std::dynamic_pointer_cast<opencc::MaxMatchSegmentation>(converter.GetSegmentation());
  if (segmentation != nullptr) CollectKeys(segmentation->GetDict(), &keys);
  for (const opencc::ConversionPtr& conversion :
       converter.GetConversionChain()->GetConversions()) {
    CollectKeys(conversion->GetDict(), &keys);
  }
  return keys;
}

class OpenccConverterTest : public testing::TestWithParam<std::string> {};

TEST_P(OpenccConverterTest, SameOutputAsOpenccForEveryKeyAloneAndInContext) {
  const std::string path = absl::StrCat(NEWSEARCH_OPENCC_DATA_DIR, "/", GetParam());
  auto ours = LoadConverter(path);
  ASSERT_TRUE(ours.ok()) << ours.status();
  const opencc::SimpleConverter reference(path);
  const std::vector<std::string> keys = AllKeys((*ours)->opencc());
  ASSERT_GT(keys.size(), 100u) << "no dictionary keys found in " << path;

  int compared = 0;
  int differing = 0;
  auto compare = [&](const std::string& text) {
    ++compared;
    const std::string want = reference.Convert(text);
    const std::string got = (*ours)->Convert(text);
    const std::string got_by_opencc = (*ours)->opencc().Convert(text);
    if ((want != got || want != got_by_opencc) && ++differing <= 5) {
      ADD_FAILURE() << GetParam() << " converts `" << text << "` to `" << got
                    << "` (OpenCC's loops on our dictionaries: `" << got_by_opencc
                    << "`), OpenCC to `" << want << "`";
    }
  };
  for (const std::string& key : keys) compare(key);
  // Running text: keys glued to each other (so longest matches compete
  // across key boundaries), with common characters, Latin letters, digits
  // and punctuation between some of them.
  const std::vector<std::string> glue = {"", "", "", "的", "，", "a1", " ", "。\n", "了", "台"};
  std::string text;
  for (size_t i = 0; i < keys.size(); ++i) {
    absl::StrAppend(&text, keys[i], glue[(i * 7) % glue.size()]);
    if (text.size() > 600) {
      compare(text);
      text.clear();
    }
  }
  compare(text);
  // Keys cut in the middle: a prefix of a key that is no key itself.
  for (size_t i = 0; i < keys.size(); i += 3) {
    const std::string& key = keys[i];
    size_t half = key.size() / 2;
    while (half > 0 && (static_cast<unsigned char>(key[half]) & 0xC0) == 0x80) --half;
    compare(absl::StrCat(key.substr(0, half), keys[(i * 31) % keys.size()]));
  }
  EXPECT_EQ(differing, 0) << "of " << compared << " texts";
}

INSTANTIATE_TEST_SUITE_P(DebianConfigurations, OpenccConverterTest,
                         testing::Values("s2t.json", "tw2sp.json", "t2s.json"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.find('.'));
                           return name;
                         });

// A byte that starts no well-formed character (or a NUL) is kept as it is,
// and the text on either side converts as it would alone: the same answer
// on every call, where OpenCC throws, stops at the NUL, or reads outside its
// input (comparing with OpenCC there failed once in a full test run).
TEST(OpenccConverterTest, IllFormedBytesAreKeptAndTheRestConverts) {
  struct Case {
    std::string config, before, after;
  };
  for (const Case& c : {Case{"s2t.json", "汉字的发展", "后来软件里面"},
                        Case{"tw2sp.json", "漢字的發展", "後來軟體裡面"}}) {
    const auto& [config, before, after] = c;
    auto ours = LoadConverter(absl::StrCat(NEWSEARCH_OPENCC_DATA_DIR, "/", config));
    ASSERT_TRUE(ours.ok()) << ours.status();
    const std::string converted_before = (*ours)->Convert(before);
    const std::string converted_after = (*ours)->Convert(after);
    // The texts do convert, so a skipped conversion would show.
    ASSERT_NE(converted_before + converted_after, before + after) << config;
    for (const std::string& bad :
         {std::string("\xff"), std::string("\x80"), std::string("\0", 1),
          std::string("\xe6\xb1"), std::string("\xc0\xff\x80")}) {
      std::string got;
      EXPECT_NO_THROW(got = (*ours)->Convert(before + bad + after)) << absl::CEscape(bad);
      EXPECT_EQ(got, converted_before + bad + converted_after)
          << config << " " << absl::CEscape(bad);
      EXPECT_EQ((*ours)->Convert(bad), bad) << config << " " << absl::CEscape(bad);
    }
  }
}

// A character cut off by the end of the text (where OpenCC reads past the
// end of its input) stays as it is, after the conversion of what precedes.
TEST(OpenccConverterTest, CharacterCutOffAtTheEndStaysAsItIs) {
  auto ours = LoadConverter(absl::StrCat(NEWSEARCH_OPENCC_DATA_DIR, "/s2t.json"));
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ((*ours)->Convert("发展\xe6\xb1"), (*ours)->Convert("发展") + "\xe6\xb1");
  EXPECT_EQ((*ours)->Convert("\xe6"), "\xe6");
}

TEST(OpenccConverterTest, MissingConfigurationIsFailedPrecondition) {
  const auto converter = LoadConverter("/nonexistent/opencc/s2t.json");
  ASSERT_FALSE(converter.ok());
  EXPECT_EQ(converter.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(converter.status().message().find("/nonexistent/opencc/s2t.json"), std::string::npos);
}

}  // namespace
}  // namespace newsearch::analysis
