// write_copy with a scripted generator over a temporary SQLite store:
// ungrounded replies are regenerated with new seeds, then replaced by the
// template; accepted text is in the asked language and within the channel's
// length; the template passes check_grounding for every demo item, channel
// and language; user interests reach the prompt; request errors name fields.
#include <gtest/gtest.h>

#include "../../src/semantic/text_scan.h"
#include "semantic_test_util.h"
#include "tailor/core/core.h"
#include "tailor/data/data.h"

namespace tailor::semantic {
namespace {

using testing::ScriptedGenerator;
using testing::TempStore;

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::put_items(*store_, {testing::zh_earbuds(), testing::en_knives()});
    auto writer = store_->begin_write();
    data::User user;
    user.id = "u-runner";
    writer->put_user(user);
    data::User quiet;
    quiet.id = "u-quiet";
    writer->put_user(quiet);
    // The runner bought and viewed earbuds (tags anc, 手机耳机, ...) many times.
    for (int k = 0; k < 5; ++k) {
      data::Event event;
      event.user_id = "u-runner";
      event.item_id = "sku-ear";
      event.type = k == 0 ? "purchase" : "view";
      event.timestamp = 1'700'000'000 + k;
      writer->put_event(event);
    }
    writer->commit();
  }
  CopyRequest request(const std::string& item, Channel channel, const std::string& lang) {
    CopyRequest r;
    r.item = item;
    r.channel = channel;
    r.lang = lang;
    return r;
  }
  TempStore store_;
};

TEST(Channel, ParseAndLimits) {
  EXPECT_EQ(parse_channel("push"), Channel::kPush);
  EXPECT_EQ(parse_channel("SMS"), Channel::kSms);
  EXPECT_EQ(parse_channel(" email "), Channel::kEmail);
  try {
    parse_channel("fax");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("channel"), std::string::npos);
  }
  EXPECT_EQ(channel_max_chars(Channel::kPush, "zh"), 60u);
  EXPECT_EQ(channel_max_chars(Channel::kPush, "en"), 110u);
  EXPECT_EQ(channel_max_chars(Channel::kSms, "zh"), 70u);
  EXPECT_EQ(channel_max_chars(Channel::kSms, "en"), 160u);
  EXPECT_EQ(channel_max_chars(Channel::kEmail, "zh"), 600u);
  EXPECT_EQ(channel_max_chars(Channel::kEmail, "en"), 1200u);
  EXPECT_THROW(channel_max_chars(Channel::kPush, "fr"), Error);
}

TEST_F(CopyTest, GroundedGenerationIsAccepted) {
  ScriptedGenerator generator({"“声悦降噪蓝牙耳机，IPX5防水，售价¥599。”"});
  auto result = write_copy(*store_, &generator, request("sku-ear", Channel::kPush, "zh"));
  EXPECT_EQ(result.text, "声悦降噪蓝牙耳机，IPX5防水，售价¥599。");  // wrapping quotes removed
  EXPECT_TRUE(result.grounded);
  EXPECT_FALSE(result.fallback);
  EXPECT_EQ(result.attempts, 1);
  // The prompt carries the facts, the channel's limit and the language.
  ASSERT_EQ(generator.calls.size(), 1u);
  const auto& prompt = generator.calls[0].messages.back().content;
  EXPECT_NE(prompt.find("声悦 降噪蓝牙耳机 黑色"), std::string::npos);
  EXPECT_NE(prompt.find("¥599"), std::string::npos);
  EXPECT_NE(prompt.find("60"), std::string::npos);
  EXPECT_EQ(generator.calls[0].options.seed, 42u);
}

TEST(CopySmallModel, RecognisesParameterCountsInModelIds) {
  EXPECT_TRUE(is_small_generator("smollm2-135m-instruct.gguf:98362432:0b2ac93138517eba"));
  EXPECT_TRUE(is_small_generator("SmolLM2-360M-Instruct"));
  EXPECT_FALSE(is_small_generator("qwen2.5-7b-instruct-q4_k_m.gguf:123:ab"));
  EXPECT_FALSE(is_small_generator("remote:http://127.0.0.1:8000#gpt-4o-mini"));
  EXPECT_FALSE(is_small_generator("scripted"));
}

// A reported parameter count decides, whatever the file is called.
TEST(CopySmallModel, ParameterCountWinsOverTheName) {
  ScriptedGenerator renamed({}, "my-copywriter.gguf:1:ff");
  renamed.params = 134'515'008;  // SmolLM2-135M
  EXPECT_TRUE(is_small_generator(renamed));
  ScriptedGenerator qwen({}, "cheap-135m-name.gguf:1:ff");
  qwen.params = 630'167'424;  // Qwen2.5-Coder-0.5B-Instruct
  EXPECT_FALSE(is_small_generator(qwen));
  ScriptedGenerator unknown({}, "smollm2-135m-instruct.gguf:1:ff");  // no count: the name decides
  EXPECT_TRUE(is_small_generator(unknown));
}

TEST_F(CopyTest, SmallGeneratorsWriteNoChineseUnlessAllowed) {
  ScriptedGenerator small({"“声悦降噪蓝牙耳机，IPX5防水，售价¥599。”"}, "smollm2-135m-instruct.gguf:1:ff");
  auto result = write_copy(*store_, &small, request("sku-ear", Channel::kPush, "zh"));
  EXPECT_TRUE(small.calls.empty());
  EXPECT_TRUE(result.fallback);
  EXPECT_TRUE(result.grounded);
  ASSERT_FALSE(result.report.violations.empty());
  EXPECT_NE(result.report.violations[0].find("too small"), std::string::npos);
  auto allowed = request("sku-ear", Channel::kPush, "zh");
  allowed.allow_small_model_zh = true;
  result = write_copy(*store_, &small, allowed);
  EXPECT_EQ(small.calls.size(), 1u);
  EXPECT_FALSE(result.fallback);
}

TEST_F(CopyTest, UngroundedGenerationIsRegeneratedWithANewSeed) {
  ScriptedGenerator generator({"限时5折！声悦耳机只要¥99，全国包邮", "Sonora earbuds: quiet commutes, ¥599."});
  auto result = write_copy(*store_, &generator, request("sku-ear", Channel::kSms, "en"));
  EXPECT_EQ(result.attempts, 2);
  EXPECT_FALSE(result.fallback);
  EXPECT_TRUE(result.grounded);
  EXPECT_EQ(result.text, "Sonora earbuds: quiet commutes, ¥599.");
  ASSERT_EQ(generator.calls.size(), 2u);
  EXPECT_NE(generator.calls[0].options.seed, generator.calls[1].options.seed);
}

TEST_F(CopyTest, AllUngroundedFallsBackToTheTemplate) {
  ScriptedGenerator generator({"声悦耳机只要¥99！", "买一送一，仅限今天", "Sony品质，白色限量版"});
  auto result = write_copy(*store_, &generator, request("sku-ear", Channel::kPush, "zh"));
  EXPECT_EQ(result.attempts, 3);
  EXPECT_TRUE(result.fallback);
  EXPECT_TRUE(result.grounded);
  EXPECT_FALSE(result.report.violations.empty());  // why the last attempt was refused
  auto template_only = write_copy(*store_, nullptr, request("sku-ear", Channel::kPush, "zh"));
  EXPECT_EQ(result.text, template_only.text);
  EXPECT_EQ(template_only.attempts, 0);
  EXPECT_NE(result.text.find("599"), std::string::npos);
}

TEST_F(CopyTest, WrongLanguageAndEmptyRepliesAreRefused) {
  ScriptedGenerator chinese({"声悦降噪蓝牙耳机，售价¥599。"});
  auto result = write_copy(*store_, &chinese, request("sku-ear", Channel::kPush, "en"));
  EXPECT_TRUE(result.fallback);
  ASSERT_FALSE(result.report.violations.empty());
  EXPECT_NE(result.report.violations[0].find("language"), std::string::npos);
  EXPECT_TRUE(detail::script_counts(result.text).cjk == 0) << result.text;

  // One stray ideograph is enough; the brand's Chinese name is not a stray.
  ScriptedGenerator stray({"Sonora earbuds with 降 noise cancellation, ¥599."});
  auto strayed = write_copy(*store_, &stray, request("sku-ear", Channel::kPush, "en"));
  EXPECT_TRUE(strayed.fallback);
  EXPECT_NE(strayed.report.violations[0].find("Chinese characters"), std::string::npos);
  ScriptedGenerator named({"Sonora (声悦) earbuds with active noise cancellation, ¥599."});
  auto kept = write_copy(*store_, &named, request("sku-ear", Channel::kPush, "en"));
  EXPECT_FALSE(kept.fallback) << (kept.report.violations.empty() ? "" : kept.report.violations[0]);

  ScriptedGenerator empty({"", "   ", "```\n```"});
  EXPECT_TRUE(write_copy(*store_, &empty, request("sku-ear", Channel::kPush, "zh")).fallback);
}

// A Chinese copy may keep the brand and the Latin words of the item's Chinese
// facts (IPX5), not English the model left untranslated.
TEST_F(CopyTest, ChineseCopyWithUntranslatedEnglishIsRefused) {
  ScriptedGenerator mixed({"小灶 Damascus steel厨房 knife，有 Knife块和非滑 handles。价格¥609。",
                           "Little Stove 大马士革钢刀具套装，附刀座，价格¥609。"});
  auto result = write_copy(*store_, &mixed, request("sku-knife", Channel::kPush, "zh"));
  ASSERT_EQ(mixed.calls.size(), 2u);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_FALSE(result.fallback) << result.text;
  EXPECT_EQ(result.text, "Little Stove 大马士革钢刀具套装，附刀座，价格¥609。");

  ScriptedGenerator always_mixed({"小灶 Damascus steel厨房 knife set，价格¥609。"});
  auto refused = write_copy(*store_, &always_mixed, request("sku-knife", Channel::kPush, "zh"));
  EXPECT_TRUE(refused.fallback);
  ASSERT_FALSE(refused.report.violations.empty());
  EXPECT_NE(refused.report.violations[0].find("untranslated English"), std::string::npos);

  ScriptedGenerator brand_and_facts({"Sonora声悦降噪蓝牙耳机，IPX5防水，售价¥599。"});
  auto kept = write_copy(*store_, &brand_and_facts, request("sku-ear", Channel::kPush, "zh"));
  EXPECT_FALSE(kept.fallback) << (kept.report.violations.empty() ? "" : kept.report.violations[0]);
}

TEST_F(CopyTest, TheFactSheetHandedBackIsRefused) {
  ScriptedGenerator sheet({"标题：声悦 降噪蓝牙耳机 黑色 品牌：Sonora 价格：¥599"});
  auto result = write_copy(*store_, &sheet, request("sku-ear", Channel::kPush, "zh"));
  EXPECT_TRUE(result.fallback);
  ASSERT_FALSE(result.report.violations.empty());
  EXPECT_NE(result.report.violations[0].find("fact sheet"), std::string::npos);
  ScriptedGenerator en_sheet({"Title: Little Stove Damascus steel kitchen knife set\nPrice: ¥609"});
  EXPECT_TRUE(write_copy(*store_, &en_sheet, request("sku-knife", Channel::kEmail, "en")).fallback);
}

TEST_F(CopyTest, TrueNonsenseAndPromptEchoesAreRefused) {
  // Grounded in the narrow sense (no false number or brand) but not copy for this item.
  ScriptedGenerator generator({"Hello! I'm here to help with your shopping needs.", "请用中文写一条推送通知，不超过60个字。",
                               "Great quality, great comfort, order now."});
  auto result = write_copy(*store_, &generator, request("sku-ear", Channel::kPush, "en"));
  EXPECT_TRUE(result.fallback);
  EXPECT_EQ(result.attempts, 3);
  ASSERT_FALSE(result.report.violations.empty());
  EXPECT_NE(result.report.violations[0].find("does not name the item"), std::string::npos);
  // Naming it by title words is enough.
  ScriptedGenerator named({"降噪蓝牙耳机，通勤路上更安静。"});
  auto zh = write_copy(*store_, &named, request("sku-ear", Channel::kPush, "zh"));
  EXPECT_FALSE(zh.fallback) << (zh.report.violations.empty() ? "" : zh.report.violations[0]);
}

TEST_F(CopyTest, ExampleLeaksAndCutOffFragmentsAreHandled) {
  // The prompt's worked example (a rain jacket) must not leak into the item's copy.
  ScriptedGenerator leaky({"Sonora earbuds: rain or shine, packs small. ¥599."});
  auto leaked = write_copy(*store_, &leaky, request("sku-ear", Channel::kPush, "en"));
  EXPECT_TRUE(leaked.fallback);
  EXPECT_NE(leaked.report.violations[0].find("example"), std::string::npos);
  // A reply cut by max_tokens loses its unfinished last sentence.
  ScriptedGenerator cut({"声悦降噪蓝牙耳机，主动降噪。适合通勤路上的自动化你在专业中"});
  cut.finish_reason = "length";
  auto result = write_copy(*store_, &cut, request("sku-ear", Channel::kPush, "zh"));
  EXPECT_FALSE(result.fallback);
  EXPECT_EQ(result.text, "声悦降噪蓝牙耳机，主动降噪。");
}

TEST_F(CopyTest, LongRepliesAreCutAtABoundary) {
  std::string long_reply = "声悦降噪蓝牙耳机，主动降噪，超长总续航。";
  for (int k = 0; k < 10; ++k) long_reply += "适合通勤路上，安静舒适，黑色百搭。";
  ScriptedGenerator generator({long_reply});
  auto result = write_copy(*store_, &generator, request("sku-ear", Channel::kPush, "zh"));
  EXPECT_FALSE(result.fallback);
  EXPECT_LE(detail::count_chars(result.text), 60u);
  EXPECT_TRUE(data::is_valid_utf8(result.text));
  EXPECT_TRUE(result.text.ends_with("。")) << result.text;
}

TEST_F(CopyTest, EmailKeepsParagraphsAndDropsLabels) {
  ScriptedGenerator generator({"Subject line:\n**Little Stove knife set**\n\nDamascus steel blades with a knife block.\n\n"
                               "Price: ¥609"});
  auto result = write_copy(*store_, &generator, request("sku-knife", Channel::kEmail, "en"));
  EXPECT_FALSE(result.fallback) << (result.report.violations.empty() ? "" : result.report.violations[0]);
  EXPECT_EQ(result.text, "Little Stove knife set\n\nDamascus steel blades with a knife block.\n\nPrice: ¥609");
}

TEST_F(CopyTest, UserInterestsReachThePromptAndTheTemplate) {
  ScriptedGenerator generator({"Sonora earbuds, ¥599."});
  auto r = request("sku-ear", Channel::kPush, "zh");
  r.user = "u-runner";
  write_copy(*store_, &generator, r);
  const auto& prompt = generator.calls[0].messages.back().content;
  EXPECT_NE(prompt.find("用户兴趣"), std::string::npos);
  EXPECT_NE(prompt.find("phones-audio"), std::string::npos);
  // The template may mention an interest the item carries, in the copy's script.
  auto fallback = write_copy(*store_, nullptr, r);
  EXPECT_TRUE(fallback.grounded);
  ASSERT_EQ(fallback.interests.size(), 1u);
  EXPECT_EQ(fallback.interests[0], "手机耳机");
  EXPECT_NE(fallback.text.find("手机耳机"), std::string::npos);
  // A user without events has no interests; the copy is not personalised.
  r.user = "u-quiet";
  EXPECT_TRUE(write_copy(*store_, nullptr, r).interests.empty());
}

TEST_F(CopyTest, RequestErrorsNameTheField) {
  auto expect_error = [&](CopyRequest r, ErrorCode code, const std::string& field) {
    try {
      write_copy(*store_, nullptr, r);
      ADD_FAILURE() << field;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  expect_error(request("", Channel::kPush, "zh"), ErrorCode::kInvalidArgument, "item");
  expect_error(request("sku-none", Channel::kPush, "zh"), ErrorCode::kNotFound, "sku-none");
  expect_error(request("sku-ear", Channel::kPush, "de"), ErrorCode::kInvalidArgument, "lang");
  auto r = request("sku-ear", Channel::kPush, "zh");
  r.max_attempts = 11;
  expect_error(r, ErrorCode::kInvalidArgument, "max_attempts");
  r = request("sku-ear", Channel::kPush, "zh");
  r.user = "nobody";
  expect_error(r, ErrorCode::kNotFound, "user");
}

// The deterministic template must be grounded, in the asked language and
// within the limit for every demo item x channel x language.
TEST(CopyTemplate, EveryDemoItemChannelAndLanguage) {
  auto items = testing::demo_items();
  ASSERT_GT(items.size(), 300u);
  TempStore store;
  testing::put_items(*store, items);
  std::size_t checked = 0;
  for (const auto& item : items)
    for (auto channel : {Channel::kPush, Channel::kSms, Channel::kEmail})
      for (const std::string lang : {"zh", "en"}) {
        CopyRequest r;
        r.item = item.id;
        r.channel = channel;
        r.lang = lang;
        auto result = write_copy(*store, nullptr, r);
        auto report = check_grounding(result.text, item);
        ASSERT_TRUE(report.grounded) << item.id << " " << lang << ": " << result.text << "\n  "
                                     << (report.violations.empty() ? "" : report.violations[0]);
        EXPECT_TRUE(result.grounded && result.fallback);
        EXPECT_TRUE(data::is_valid_utf8(result.text));
        EXPECT_LE(detail::count_chars(result.text), channel_max_chars(channel, lang)) << result.text;
        EXPECT_GE(detail::count_chars(result.text), 6u) << result.text;
        auto counts = detail::script_counts(result.text);
        if (lang == "zh") {
          EXPECT_GE(counts.cjk, 2u) << result.text;
        } else {
          EXPECT_EQ(counts.cjk, 0u) << result.text;
        }
        ++checked;
      }
  EXPECT_EQ(checked, items.size() * 6);
}

}  // namespace
}  // namespace tailor::semantic
