// The CPU-tier check in front of llama.cpp (src/llm/cpu_support.h).
#include <gtest/gtest.h>

#include "../../src/llm/cpu_support.h"

namespace tailor::llm::detail {
namespace {

X86Features avx2_tier() {
  X86Features f;
  f.avx2 = f.fma = f.f16c = f.bmi2 = true;
  return f;
}

X86Features vnni_tier() {
  X86Features f = avx2_tier();
  f.avx512 = f.avx512_vbmi = f.avx512_vnni = f.avx512_bf16 = true;
  return f;
}

TEST(CpuSupport, AvxTwoBuildRunsOnEveryTier) {
  EXPECT_TRUE(missing_features(avx2_tier(), avx2_tier()).empty());
  EXPECT_TRUE(missing_features(avx2_tier(), vnni_tier()).empty());
}

TEST(CpuSupport, AvxFiveTwelveBuildOnAnAvxTwoCpuNamesWhatIsMissing) {
  const auto missing = missing_features(vnni_tier(), avx2_tier());
  const std::vector<std::string> expected{"AVX-512 (F/CD/VL/DQ/BW)", "AVX-512 VBMI", "AVX-512 VNNI", "AVX-512 BF16"};
  EXPECT_EQ(missing, expected);
}

TEST(CpuSupport, SkylakeXLacksOnlyTheIceLakeExtensions) {
  X86Features skx = avx2_tier();
  skx.avx512 = true;
  const auto missing = missing_features(vnni_tier(), skx);
  const std::vector<std::string> expected{"AVX-512 VBMI", "AVX-512 VNNI", "AVX-512 BF16"};
  EXPECT_EQ(missing, expected);
  EXPECT_TRUE(missing_features(skx, vnni_tier()).empty());
}

TEST(CpuSupport, PreHaswellCpuLacksTheBaseline) {
  const auto missing = missing_features(avx2_tier(), X86Features{});
  const std::vector<std::string> expected{"AVX2", "FMA", "F16C", "BMI2"};
  EXPECT_EQ(missing, expected);
}

// The library this test links was built by scripts/build_llama.sh on this
// machine (or for a tier forced lower), so it must pass the check here, and
// what it reports must be a real tier: AVX-512 extensions only on top of AVX-512.
TEST(CpuSupport, TheLinkedBuildRunsOnThisMachine) {
  const X86Features built = built_features();
  EXPECT_TRUE(missing_features(built, host_features()).empty());
  EXPECT_NO_THROW(require_cpu_support());
  EXPECT_TRUE(built.avx2 && built.fma && built.f16c);
  EXPECT_TRUE(built.avx512 || !(built.avx512_vnni || built.avx512_vbmi || built.avx512_bf16));
}

}  // namespace
}  // namespace tailor::llm::detail
