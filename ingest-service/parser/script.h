// Tells simplified from traditional Chinese text for Article.script, using
// OpenCC's character tables: characters that t2s changes exist only in
// traditional text, characters that s2t changes only in simplified text.
// Internal to ingest-service/parser.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_SCRIPT_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_SCRIPT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace opencc {
class SimpleConverter;
}  // namespace opencc

namespace newsearch::ingest {

inline constexpr char kScriptSimplified[] = "zh-Hans";
inline constexpr char kScriptTraditional[] = "zh-Hant";

// Thread-safe after Create(); OpenCC converters are read-only once loaded.
class ScriptDetector {
 public:
  // Loads t2s.json and s2t.json from `opencc_data_dir`. FAILED_PRECONDITION
  // when OpenCC cannot load them.
  static absl::StatusOr<std::unique_ptr<ScriptDetector>> Create(
      const std::string& opencc_data_dir);
  ~ScriptDetector();

  // Returns kScriptTraditional when `text` has clearly more traditional-only
  // characters than simplified-only ones (more than twice as many, and at
  // least three), else kScriptSimplified. Linear in the size of `text`.
  std::string Detect(absl::string_view text) const;

 private:
  ScriptDetector(std::unique_ptr<opencc::SimpleConverter> t2s,
                 std::unique_ptr<opencc::SimpleConverter> s2t);

  std::unique_ptr<opencc::SimpleConverter> t2s_;
  std::unique_ptr<opencc::SimpleConverter> s2t_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_SCRIPT_H_
