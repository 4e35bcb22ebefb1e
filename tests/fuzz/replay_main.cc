// The fuzz targets' main() where libFuzzer is not at hand (the g++ builds, as `make test` runs them):
// replays every input of the corpus files and folders given, then, with -max_total_time=N, runs
// random mutations of them for N seconds: byte flips, interesting values, insertions, deletions,
// duplications, splices and the tokens of -dict-like built-ins. Not coverage-guided (libFuzzer, in
// `make fuzz`, is): a cheap, bounded regression run. Arguments as libFuzzer's, so that one command
// line serves both: [-max_total_time=N] [-seed=N] [-runs=N] FILE_OR_DIR...
//
// Before each run the input is written to ./fuzz-last-input-<pid>, which is what to replay after a
// crash (the file is removed at a clean exit).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Tokens that take parsers down their less travelled branches.
const char* const kTokens[] = {
    "\r\n", "\r\n\r\n", "\n", ":", "=", "\\", "\\u", "\\uD800", "%", "%2F", "%00", "?", "&", "/", "{", "}",
    "[", "]", "\"", ",", "null", "true", "-1", "0", "2147483648", "9223372036854775808", "1e999",
    "Content-Length: ", "Transfer-Encoding: chunked\r\n", "Content-Type: application/json\r\n",
    "Content-Type: multipart/form-data; boundary=x\r\n", "Expect: 100-continue\r\n", "Connection: close\r\n",
    "GET ", "POST ", "PUT ", "PATCH ", "DELETE ", "HEAD ", "OPTIONS ", "TRACE ", " HTTP/1.1\r\n", " HTTP/1.0\r\n",
    "/connectors", "/connectors/a/config", "/connectors/a/tasks/0/restart", "/connectors/a/offsets",
    "/connector-plugins/MirrorSourceConnector/config/validate", "/admin/loggers/x", "?expand=status",
    "\xff\xff\xff\xff", "\x7f\xff\xff\xff", "\x80", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
};

class Mutator {
 public:
  Mutator(std::vector<std::string> corpus, uint64_t seed) : corpus_(std::move(corpus)), rng_(seed) {
    if (corpus_.empty()) corpus_.emplace_back();
  }

  std::string Next() {
    std::string s = corpus_[Pick(corpus_.size())];
    const size_t rounds = 1 + Pick(8);
    for (size_t i = 0; i < rounds; ++i) Mutate(s);
    if (s.size() > kMaxSize) s.resize(kMaxSize);
    return s;
  }

 private:
  static constexpr size_t kMaxSize = 1 << 16;

  size_t Pick(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  void Mutate(std::string& s) {
    switch (Pick(8)) {
      case 0:  // flip a bit
        if (!s.empty()) s[Pick(s.size())] ^= static_cast<char>(1u << Pick(8));
        break;
      case 1: {  // an interesting byte
        static const char kBytes[] = {0, 1, '\x7f', '\x80', '\xff', ' ', '\t', '\r', '\n', '0', '9', 'a'};
        if (!s.empty()) s[Pick(s.size())] = kBytes[Pick(sizeof kBytes)];
        break;
      }
      case 2:  // delete a range
        if (!s.empty()) {
          const size_t at = Pick(s.size());
          s.erase(at, 1 + Pick(std::min<size_t>(s.size() - at, 16)));
        }
        break;
      case 3:  // insert a token
        s.insert(Pick(s.size() + 1), kTokens[Pick(std::size(kTokens))]);
        break;
      case 4:  // duplicate a range (long runs: nesting, repeated headers)
        if (!s.empty()) {
          const size_t at = Pick(s.size());
          const std::string piece = s.substr(at, 1 + Pick(32));
          const size_t times = 1 + Pick(Pick(2) == 0 ? 4 : 256);
          std::string run;
          for (size_t i = 0; i < times && run.size() < kMaxSize; ++i) run += piece;
          s.insert(at, run);
        }
        break;
      case 5: {  // splice with another input
        const std::string& other = corpus_[Pick(corpus_.size())];
        if (!other.empty()) {
          const size_t from = Pick(other.size());
          s.insert(Pick(s.size() + 1), other.substr(from, 1 + Pick(other.size() - from)));
        }
        break;
      }
      case 6:  // a number somewhere becomes another
        if (!s.empty()) {
          static const char* const kNumbers[] = {"0", "-1", "65535", "2147483647", "4294967296", "99999999999999999999"};
          s.insert(Pick(s.size() + 1), kNumbers[Pick(std::size(kNumbers))]);
        }
        break;
      default:  // truncate
        if (!s.empty()) s.resize(Pick(s.size()));
        break;
    }
  }

  std::vector<std::string> corpus_;
  std::mt19937_64 rng_;
};

}  // namespace

int main(int argc, char** argv) {
  double max_seconds = 0;
  uint64_t seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  long runs = -1;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("-max_total_time=", 0) == 0) {
      max_seconds = std::atof(arg.c_str() + 16);
    } else if (arg.rfind("-seed=", 0) == 0) {
      seed = std::strtoull(arg.c_str() + 6, nullptr, 10);
    } else if (arg.rfind("-runs=", 0) == 0) {
      runs = std::atol(arg.c_str() + 6);
    } else if (arg.rfind("-", 0) == 0) {
      std::cerr << "ignoring libFuzzer flag " << arg << "\n";
    } else if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else if (fs::exists(arg)) {
      files.emplace_back(arg);
    } else {
      std::cerr << "no such corpus file or folder: " << arg << "\n";
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  const std::string last = "fuzz-last-input-" + std::to_string(getpid());
  auto run = [&last](const std::string& input) {
    {
      std::ofstream out(last, std::ios::binary | std::ios::trunc);
      out.write(input.data(), static_cast<std::streamsize>(input.size()));
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  };

  std::vector<std::string> corpus;
  for (const fs::path& file : files) {
    corpus.push_back(ReadFile(file));
    std::cerr << "replaying " << file.string() << "\n";
    run(corpus.back());
  }
  std::cerr << "replayed " << corpus.size() << " inputs\n";

  long executed = 0;
  if (max_seconds > 0 || runs > 0) {
    std::cerr << "mutating for " << max_seconds << " s with -seed=" << seed << " (the last input: " << last << ")\n";
    Mutator mutator(corpus, seed);
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_seconds);
    while ((runs < 0 || executed < runs) && (max_seconds <= 0 || std::chrono::steady_clock::now() < end)) {
      run(mutator.Next());
      ++executed;
    }
  }
  std::remove(last.c_str());
  std::cerr << "done: " << corpus.size() << " replayed, " << executed << " mutated inputs run\n";
  return 0;
}
