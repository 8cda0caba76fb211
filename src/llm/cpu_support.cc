#include "cpu_support.h"

#include <ggml-cpu.h>

#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tailor/core/core.h"

namespace tailor::llm::detail {

X86Features built_features() {
  X86Features f;
  f.avx2 = ggml_cpu_has_avx2() != 0;
  f.fma = ggml_cpu_has_fma() != 0;
  f.f16c = ggml_cpu_has_f16c() != 0;
  f.bmi2 = ggml_cpu_has_bmi2() != 0;
  f.avx512 = ggml_cpu_has_avx512() != 0;
  f.avx512_vbmi = ggml_cpu_has_avx512_vbmi() != 0;
  f.avx512_vnni = ggml_cpu_has_avx512_vnni() != 0;
  f.avx512_bf16 = ggml_cpu_has_avx512_bf16() != 0;
  return f;
}

X86Features host_features() {
  X86Features f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.f16c = __builtin_cpu_supports("f16c");
  f.bmi2 = __builtin_cpu_supports("bmi2");
  f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bw");
  f.avx512_vbmi = __builtin_cpu_supports("avx512vbmi");
  f.avx512_vnni = __builtin_cpu_supports("avx512vnni");
  f.avx512_bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  return f;
}

std::vector<std::string> missing_features(const X86Features& built, const X86Features& host) {
  std::vector<std::string> out;
  auto need = [&](bool b, bool h, const char* name) {
    if (b && !h) out.emplace_back(name);
  };
  need(built.avx2, host.avx2, "AVX2");
  need(built.fma, host.fma, "FMA");
  need(built.f16c, host.f16c, "F16C");
  need(built.bmi2, host.bmi2, "BMI2");
  need(built.avx512, host.avx512, "AVX-512 (F/CD/VL/DQ/BW)");
  need(built.avx512_vbmi, host.avx512_vbmi, "AVX-512 VBMI");
  need(built.avx512_vnni, host.avx512_vnni, "AVX-512 VNNI");
  need(built.avx512_bf16, host.avx512_bf16, "AVX-512 BF16");
  return out;
}

void require_cpu_support() {
  static std::once_flag once;
  static std::string problem;
  std::call_once(once, [] {
    const auto missing = missing_features(built_features(), host_features());
    if (missing.empty()) return;
    problem = fmt::format(
        "llama.cpp was built for instructions this CPU does not have ({}); it was probably built on another "
        "machine. Rebuild it here: scripts/build_llama.sh detects the CPU (or set TAILOR_LLAMA_CPU=avx2 for a "
        "build that runs on any x86-64-v3 CPU), then rebuild Tailor",
        fmt::join(missing, ", "));
  });
  if (!problem.empty()) throw_error(ErrorCode::kUnavailable, problem);
}

}  // namespace tailor::llm::detail
