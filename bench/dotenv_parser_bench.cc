// The .env parser on large input (issue 9: double-quoted values parsed in quadratic time).
//   BM_Dotenv_OneQuotedValue    one 2 MiB double-quoted value
//   BM_Dotenv_ManyQuotedLines   2 MiB of KEY_n="value" lines (quadratic before the fix)
//   BM_Dotenv_ManyUnquotedLines 2 MiB of KEY_n=value lines (the reference)
#include <benchmark/benchmark.h>

#include <string>

#include "providers/dotenv/dotenv_parser.h"

namespace {

std::string ManyLines(bool quoted) {
  std::string text;
  for (int i = 0; text.size() < (2u << 20); ++i) {
    text += "KEY_" + std::to_string(i) + (quoted ? "=\"value\"\n" : "=value\n");
  }
  return text;
}

void RunParser(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    auto parsed = locksmith::internal::ParseDotenv(text, "bench.env");
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_Dotenv_OneQuotedValue(benchmark::State& state) {
  RunParser(state, "A=\"" + std::string(2u << 20, 'x') + "\"\n");
}
BENCHMARK(BM_Dotenv_OneQuotedValue)->Unit(benchmark::kMillisecond);

void BM_Dotenv_ManyQuotedLines(benchmark::State& state) { RunParser(state, ManyLines(true)); }
BENCHMARK(BM_Dotenv_ManyQuotedLines)->Unit(benchmark::kMillisecond);

void BM_Dotenv_ManyUnquotedLines(benchmark::State& state) { RunParser(state, ManyLines(false)); }
BENCHMARK(BM_Dotenv_ManyUnquotedLines)->Unit(benchmark::kMillisecond);

}  // namespace
