// Private to the llm component: does this CPU have the instruction sets the
// linked llama.cpp (ggml-cpu) was compiled for?
//
// scripts/build_llama.sh picks an x86 tier (avx2, avx512, avx512vnni) from the
// CPU of the machine that builds. A library built on one machine and run on
// an older one would die with SIGILL in the first matrix product; checking
// before the first model load turns that into an error that says what to do.
#pragma once

#include <string>
#include <vector>

namespace tailor::llm::detail {

struct X86Features {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool bmi2 = false;
  bool avx512 = false;  // F, CD, VL, DQ, BW: the set GGML_AVX512 compiles for
  bool avx512_vbmi = false;
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
};

// What ggml-cpu was compiled to use (its ggml_cpu_has_* report compile-time flags).
X86Features built_features();
// What this CPU supports (cpuid, through the compiler's __builtin_cpu_supports).
X86Features host_features();
// Names of the features `built` uses and `host` lacks; empty when it can run.
std::vector<std::string> missing_features(const X86Features& built, const X86Features& host);
// Throws ErrorCode::kUnavailable naming the missing features and the fix.
// Checked once per process; later calls repeat the first verdict.
void require_cpu_support();

}  // namespace tailor::llm::detail
