// Tells simplified from traditional Chinese text for Article.script, using
// OpenCC's character tables: characters that t2s changes exist only in
// traditional text, characters that s2t changes only in simplified text.
// Internal to ingest-service/parser.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_SCRIPT_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_SCRIPT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsearch::ingest {

inline constexpr char kScriptSimplified[] = "zh-Hans";
inline constexpr char kScriptTraditional[] = "zh-Hant";

// Thread-safe after Create(): OpenCC is consulted once, at Create(), for
// every BMP Han character; Detect() reads the resulting table.
class ScriptDetector {
 public:
  // Loads t2s.json and s2t.json from `opencc_data_dir` and classifies every
  // BMP Han character with them. FAILED_PRECONDITION when OpenCC cannot
  // load them.
  static absl::StatusOr<std::unique_ptr<ScriptDetector>> Create(
      const std::string& opencc_data_dir);
  ~ScriptDetector();

  // Returns kScriptTraditional when `text` has clearly more traditional-only
  // characters than simplified-only ones (more than twice as many, and at
  // least three), else kScriptSimplified. Linear in the size of `text`.
  std::string Detect(absl::string_view text) const;

 private:
  explicit ScriptDetector(std::vector<uint8_t> kinds);

  // Per BMP code point: 1 = only traditional text uses it (t2s changes it),
  // 2 = only simplified text (s2t changes it).
  std::vector<uint8_t> kinds_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_SCRIPT_H_
