#include "search-service/schema/schema.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>

#include <xapian.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "common/analysis/analyzer.h"
#include "common/base/utf8_truncate.h"
#include "search-service/schema/document_data.h"
#include "search-service/schema/folding_patch.h"
#include "search-service/schema/stored_texts.h"

namespace newsearch::search::schema {
namespace {

// Boolean terms stay below Xapian's 245-byte limit with room for the prefix.
constexpr size_t kMaxFilterTermBytes = 200;

// Positions of a field start well after the previous one, so a phrase never
// spans two fields; IndexText also leaves a gap after each call.
constexpr uint32_t kFirstPosition = 1;

// Articles carry dates as China Standard Time when the page gives no zone;
// date filters follow the calendar day a Chinese reader sees on the page.
const absl::TimeZone& ChinaStandardTime() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 60 * 60);
  return tz;
}

// Indexes one field under its prefix and unprefixed, both at the same
// positions so `title:"…"` and `"…"` see the same sequence (one fold).
void IndexPrefixedAndPlain(const analysis::Analyzer& analyzer, absl::string_view text,
                           absl::string_view prefix, uint32_t plain_wdf, uint32_t* position,
                           Xapian::Document* doc, analysis::DeferredTerms* deferred,
                           std::string* folded) {
  analyzer.IndexText(text, {{prefix, 1}, {"", plain_wdf}}, /*with_positions=*/true, position, doc,
                     deferred, folded);
}

// The fields a hit shows and its snippet reads (searcher FillHit); the
// rest of the article (subtitle, editors, warnings, ingest bookkeeping)
// stays in the ingest store.
std::string DocumentData(const v1::Article& article) {
  v1::Article stored;
  stored.set_id(article.id());
  stored.set_title(article.title());
  stored.set_subtitle(article.subtitle());
  if (article.has_published_at()) *stored.mutable_published_at() = article.published_at();
  stored.set_source(article.source());
  *stored.mutable_authors() = article.authors();
  stored.set_body(article.body());
  stored.set_url(article.url());
  stored.set_duplicate_of(article.duplicate_of());
  return EncodeDocumentData(stored.SerializeAsString());
}


}  // namespace

absl::CivilDay PublishedDay(int64_t unix_seconds) {
  return absl::ToCivilDay(absl::FromUnixSeconds(unix_seconds), ChinaStandardTime());
}

int64_t DayStartSeconds(absl::CivilDay day) {
  return absl::ToUnixSeconds(absl::FromCivil(day, ChinaStandardTime()));
}

std::string StoryValue(absl::string_view value, absl::string_view collapse_key) {
  return absl::StrCat(value.size(), ":", value, collapse_key);
}

bool ParseStoryValue(absl::string_view story, absl::string_view* value,
                     absl::string_view* collapse_key) {
  const size_t colon = story.find(':');
  size_t size = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(story.substr(0, colon), &size) ||
      size > story.size() - colon - 1) {
    return false;
  }
  *value = story.substr(colon + 1, size);
  *collapse_key = story.substr(colon + 1 + size);
  return true;
}

std::string IdTerm(absl::string_view article_id) { return absl::StrCat(kIdPrefix, article_id); }

std::string SourceFilterTerm(const analysis::Analyzer& analyzer, absl::string_view source) {
  const std::string folded = analyzer.Fold(absl::StripAsciiWhitespace(source));
  return absl::StrCat(kSourceFilterPrefix,
                      TruncateUtf8(absl::StripAsciiWhitespace(folded), kMaxFilterTermBytes));
}

Xapian::Document BuildDocument(const analysis::Analyzer& analyzer, const v1::Article& article) {
  return BuildDocument(analyzer, article, kTitleWdf, kLeadWdf);
}

absl::string_view LeadParagraph(absl::string_view body) {
  body = absl::StripAsciiWhitespace(body);
  absl::string_view lead = body.substr(0, body.find("\n\n"));
  lead = absl::StripAsciiWhitespace(lead);
  if (lead.size() <= kLeadMaxBytes) return lead;
  const absl::string_view head = TruncateUtf8(lead, kLeadMaxBytes);
  size_t cut = 0;
  for (const absl::string_view end : {"。", "！", "？", "；", "!", "?", ";"}) {
    const size_t at = head.rfind(end);
    if (at != absl::string_view::npos) cut = std::max(cut, at + end.size());
  }
  return cut > 0 ? head.substr(0, cut) : head;
}

Xapian::Document BuildDocument(const analysis::Analyzer& analyzer, const v1::Article& article,
                               unsigned title_wdf) {
  return BuildDocument(analyzer, article, title_wdf, kLeadWdf);
}

Xapian::Document BuildDocument(const analysis::Analyzer& analyzer, const v1::Article& article,
                               unsigned title_wdf, unsigned lead_wdf) {
  Xapian::Document doc;
  doc.add_boolean_term(IdTerm(article.id()));

  uint32_t position = kFirstPosition;
  // A bigram is marked as straddling a word boundary only when it does so
  // in every field (the unprefixed terms are shared by all of them).
  analysis::DeferredTerms deferred;
  // The texts as indexing folded them (for kFoldedTextsSlot).
  v1::Article folded;
  IndexPrefixedAndPlain(analyzer, article.title(), kTitlePrefix, title_wdf, &position, &doc,
                        &deferred, folded.mutable_title());
  IndexPrefixedAndPlain(analyzer, article.subtitle(), kTitlePrefix, 1, &position, &doc,
                        &deferred, folded.mutable_subtitle());
  const absl::string_view body = article.body();
  if (lead_wdf == 1) {
    analyzer.IndexText(body, {{"", 1}}, /*with_positions=*/true, &position, &doc, &deferred,
                       folded.mutable_body());
  } else {
    // The lead and the rest of the body are two calls, so a phrase does not
    // span the cut (a paragraph or sentence end).
    const absl::string_view lead = LeadParagraph(body);
    const absl::string_view rest =
        lead.empty() ? body : body.substr(static_cast<size_t>(lead.end() - body.data()));
    analyzer.IndexText(lead, "", lead_wdf, /*with_positions=*/true, &position, &doc, &deferred);
    analyzer.IndexText(rest, "", 1, /*with_positions=*/true, &position, &doc, &deferred);
    if (!analyzer.positions()) folded.set_body(analyzer.Fold(body));
  }
  IndexPrefixedAndPlain(analyzer, article.source(), kSourcePrefix, 1, &position, &doc,
                        &deferred, folded.mutable_source());
  for (const std::string& author : article.authors()) {
    IndexPrefixedAndPlain(analyzer, author, kAuthorPrefix, 1, &position, &doc, &deferred,
                          folded.add_authors());
  }
  deferred.AddTo(&doc);

  if (!absl::StripAsciiWhitespace(article.source()).empty()) {
    doc.add_boolean_term(SourceFilterTerm(analyzer, article.source()));
    doc.add_value(kSourceSlot, article.source());
  }
  if (article.has_published_at()) {
    const int64_t seconds = article.published_at().seconds();
    const absl::CivilDay day = PublishedDay(seconds);
    doc.add_boolean_term(absl::StrFormat("%s%04d", kYearPrefix, day.year()));
    doc.add_boolean_term(absl::StrFormat("%s%04d%02d", kMonthPrefix, day.year(), day.month()));
    doc.add_boolean_term(
        absl::StrFormat("%s%04d%02d%02d", kDayPrefix, day.year(), day.month(), day.day()));
    doc.add_value(kPublishedSlot, Xapian::sortable_serialise(static_cast<double>(seconds)));
    doc.add_value(kYearSlot, absl::StrFormat("%04d", day.year()));
    doc.add_value(kMonthSlot, absl::StrFormat("%04d-%02d", day.year(), day.month()));
  }
  if (!article.script().empty()) {
    doc.add_boolean_term(
        absl::StrCat(kScriptPrefix, TruncateUtf8(article.script(), kMaxFilterTermBytes)));
  }
  const std::string& collapse_key =
      article.duplicate_of().empty() ? article.id() : article.duplicate_of();
  doc.add_value(kCollapseSlot, collapse_key);
  if (!doc.get_value(kSourceSlot).empty()) {
    doc.add_value(kSourceStorySlot, StoryValue(article.source(), collapse_key));
  }
  if (!doc.get_value(kMonthSlot).empty()) {
    doc.add_value(kMonthStorySlot, StoryValue(doc.get_value(kMonthSlot), collapse_key));
  }
  doc.set_data(DocumentData(article));
  if (!analyzer.positions()) {
    // Phrase checks fold the stored texts character by character, which
    // gives what indexing read unless OpenCC's phrases folded some CJK
    // letters otherwise: those are kept here (folding_patch.h).
    const std::string value = FoldedTextsValue(analyzer, article, folded);
    if (!value.empty()) doc.add_value(kFoldedTextsSlot, value);
  }
  return doc;
}

absl::Status CheckIndexAnalyzer(const std::string& path, const analysis::Analyzer& analyzer) {
  const std::string ours = analyzer.Signature();
  try {
    Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS);
    std::string recorded = db.get_metadata(kAnalyzerKey);
    if (recorded.empty()) {
      if (db.get_doccount() == 0) {
        db.set_metadata(kAnalyzerKey, ours);
        db.commit();
        return absl::OkStatus();
      }
      recorded = "bigrams fold=t2s";
    }
    if (recorded != ours) {
      const bool recorded_without = absl::StrContains(recorded, analysis::kNoPositionsSignature);
      const bool ours_without = absl::StrContains(ours, analysis::kNoPositionsSignature);
      if (recorded_without != ours_without) {
        return absl::FailedPreconditionError(absl::StrCat(
            "index ", path, " was built ", recorded_without ? "without" : "with",
            " word positions (analyzer `", recorded, "`) but this server runs `", ours,
            "`; start it with --index_positions=", recorded_without ? "false" : "true",
            " (replicas serving --shard_listen and routers always index positions), or move "
            "the index away so the replica rebuilds it from the change log"));
      }
      // The same variant and folding in an older index format (e.g. before
      // `positions=unigrams`): no --analyzer reads it, only a rebuild does.
      const bool older_format = absl::StartsWith(ours, absl::StrCat(recorded, " "));
      return absl::FailedPreconditionError(absl::StrCat(
          "index ", path, " was built with analyzer `", recorded, "` but this server runs `", ours,
          older_format ? "`, a newer index format of that analyzer; move the index away so "
                         "the replica rebuilds it from the change log"
                       : "`; start it with the --analyzer the index was built with, or move the "
                         "index away so the replica rebuilds it from the change log"));
    }
    return absl::OkStatus();
  } catch (const Xapian::DatabaseLockError& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("opening index ", path, ": ", e.get_description()));
  } catch (const Xapian::Error& e) {
    return absl::InternalError(absl::StrCat("opening index ", path, ": ", e.get_description()));
  }
}

namespace {

// The analyzer signature the index at `path` records; nullopt when there is
// no index there or it records none.
std::optional<std::string> RecordedSignature(const std::string& path) {
  if (path.empty() || !std::filesystem::exists(path)) return std::nullopt;
  try {
    const Xapian::Database db(path);
    std::string recorded = db.get_metadata(kAnalyzerKey);
    if (recorded.empty()) return std::nullopt;
    return recorded;
  } catch (const Xapian::Error&) {
    return std::nullopt;  // the writer's own check says what is wrong
  }
}

}  // namespace

std::optional<RecordedAnalyzer> RecordedAnalyzerOf(const std::string& path) {
  const std::optional<std::string> recorded = RecordedSignature(path);
  if (!recorded.has_value()) return std::nullopt;
  RecordedAnalyzer options;
  options.positions = !absl::StrContains(*recorded, analysis::kNoPositionsSignature);
  options.cut_bigrams = absl::StrContains(*recorded, analysis::kCutBigramsSignature);
  return options;
}

absl::Status CheckIndexPartition(Xapian::WritableDatabase& db, const std::string& path,
                                 int partition, int partitions) {
  const std::string ours = absl::StrCat(partition, "/", partitions);
  std::string recorded = db.get_metadata(kPartitionKey);
  if (recorded.empty()) {
    if (db.get_doccount() == 0) {
      db.set_metadata(kPartitionKey, ours);
      db.commit();
      return absl::OkStatus();
    }
    recorded = "0/1";  // built before partitions: every article
  }
  if (recorded == ours) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "index ", path, " holds partition ", recorded,
      recorded == "0/1" ? " (every article)" : "", " but this replica runs --partition=", ours,
      "; start it with --partition=", recorded,
      ", or move the index away so the replica builds its partition from the change log"));
}

bool AnyPhraseText(const v1::Article& article, absl::string_view prefix,
                   absl::FunctionRef<bool(size_t index, absl::string_view text)> fn) {
  return AnyPhraseText(TextsOf(article), prefix, fn);
}

std::vector<absl::string_view> PhraseTexts(const v1::Article& article, absl::string_view prefix) {
  return PhraseTexts(TextsOf(article), prefix);
}

bool ArticleFromDocumentData(const std::string& data, v1::Article* article) {
  std::string buffer;
  absl::string_view message;
  return DecodeDocumentData(data, &buffer, &message) &&
         article->ParseFromArray(message.data(), static_cast<int>(message.size()));
}

}  // namespace newsearch::search::schema
