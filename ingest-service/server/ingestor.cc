#include "ingest-service/server/ingestor.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"

namespace newsearch::ingest {
namespace {

std::string Sha256Hex16(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), len < 16 ? len : 16));
}

absl::Status CheckHint(absl::string_view field, const std::string& value, int64_t limit) {
  if (static_cast<int64_t>(value.size()) > limit) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", value.size(),
                                                   " bytes, above the limit of ", limit));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ArticleIdFor(const v1::IngestArticleRequest& request, int article_index) {
  std::string key;
  if (!request.external_id().empty()) {
    key = absl::StrCat("ext:", request.external_id());
  } else if (!request.url().empty()) {
    key = absl::StrCat("url:", request.url());
  } else {
    key = absl::StrCat("page:", request.content());
  }
  std::string id = Sha256Hex16(key);
  if (article_index > 0) absl::StrAppend(&id, "-", article_index);
  return id;
}

Ingestor::Ingestor(const PageParser* parser, ArticleStore* store, ChangeNotifier* notifier,
                   IngestorLimits limits)
    : parser_(parser), store_(store), notifier_(notifier), limits_(limits) {}

absl::Status Ingestor::Validate(const v1::IngestArticleRequest& request) const {
  if (request.content().empty()) {
    return absl::InvalidArgumentError("content is empty: send the raw page bytes");
  }
  if (static_cast<int64_t>(request.content().size()) > limits_.max_page_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("content is ", request.content().size(),
                                                   " bytes, above the limit of ",
                                                   limits_.max_page_bytes, " (--max_page_bytes)"));
  }
  NEWSEARCH_RETURN_IF_ERROR(CheckHint("url", request.url(), limits_.max_hint_bytes));
  NEWSEARCH_RETURN_IF_ERROR(CheckHint("content_type", request.content_type(), limits_.max_hint_bytes));
  NEWSEARCH_RETURN_IF_ERROR(CheckHint("external_id", request.external_id(), limits_.max_hint_bytes));
  NEWSEARCH_RETURN_IF_ERROR(CheckHint("source_hint", request.source_hint(), limits_.max_hint_bytes));
  return absl::OkStatus();
}

absl::StatusOr<ParsedPage> Ingestor::Parse(const v1::IngestArticleRequest& request) const {
  NEWSEARCH_RETURN_IF_ERROR(Validate(request));
  PageInput input;
  input.content = request.content();
  input.url = request.url();
  input.content_type = request.content_type();
  input.source_hint = request.source_hint();
  NEWSEARCH_ASSIGN_OR_RETURN(ParsedPage page, parser_->Parse(input));
  for (size_t i = 0; i < page.articles.size(); ++i) {
    v1::Article& article = page.articles[i];
    article.set_id(ArticleIdFor(request, static_cast<int>(i)));
    article.set_url(request.url());
    article.set_external_id(request.external_id());
  }
  return page;
}

absl::StatusOr<v1::IngestArticleResponse> Ingestor::Ingest(
    const v1::IngestArticleRequest& request) {
  NEWSEARCH_ASSIGN_OR_RETURN(ParsedPage page, Parse(request));
  PageWrite write;
  write.raw = request.content();
  write.content_type = request.content_type();
  write.articles = std::move(page.articles);
  NEWSEARCH_ASSIGN_OR_RETURN(std::vector<ArticleWriteResult> results, store_->PutPage(write));
  v1::IngestArticleResponse response;
  int64_t max_seq = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    v1::IngestedArticle* out = response.add_articles();
    out->set_id(results[i].id);
    out->set_seq(results[i].seq);
    out->set_outcome(results[i].outcome);
    if (i < write.articles.size()) out->set_title(write.articles[i].title());
    if (results[i].seq > max_seq) max_seq = results[i].seq;
  }
  notifier_->Publish(max_seq);
  if (warning_observer_) {
    for (const v1::Article& article : write.articles) {
      for (const std::string& warning : article.warnings()) warning_observer_(warning);
    }
  }
  return response;
}

}  // namespace newsearch::ingest
