#include "ingest-service/server/ingestor.h"

#include "absl/strings/str_cat.h"
#include "common/base/sha256.h"
#include "common/base/status_macros.h"

namespace newsearch::ingest {
namespace {

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
  // The first 16 bytes of the digest, in hex.
  std::string id = Sha256Hex(key).substr(0, 32);
  if (article_index > 0) absl::StrAppend(&id, "-", article_index);
  return id;
}

Ingestor::Ingestor(const PageParser* parser, ArticleStore* store, ChangeNotifier* notifier,
                   IngestorLimits limits, const BodyFingerprinter* fingerprinter)
    : parser_(parser),
      store_(store),
      notifier_(notifier),
      limits_(limits),
      fingerprinter_(fingerprinter) {}

std::vector<std::optional<MinHashSignature>> Ingestor::Signatures(
    const std::vector<v1::Article>& articles) const {
  std::vector<std::optional<MinHashSignature>> signatures;
  signatures.reserve(articles.size());
  for (const v1::Article& article : articles) {
    signatures.push_back(fingerprinter_ != nullptr ? fingerprinter_->Signature(article.body())
                                                   : std::nullopt);
  }
  return signatures;
}

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
  const std::string page_id = PageIdFor(request.content(), request.url(), request.external_id(),
                                        request.source_hint(), request.content_type());
  for (size_t i = 0; i < page.articles.size(); ++i) {
    v1::Article& article = page.articles[i];
    article.set_id(ArticleIdFor(request, static_cast<int>(i)));
    article.set_url(request.url());
    article.set_external_id(request.external_id());
    article.set_page_id(page_id);
  }
  return page;
}

absl::StatusOr<v1::ParseArticleResponse> Ingestor::DryRun(
    const v1::IngestArticleRequest& request) const {
  NEWSEARCH_ASSIGN_OR_RETURN(ParsedPage page, Parse(request));
  const std::vector<std::optional<MinHashSignature>> signatures = Signatures(page.articles);
  v1::ParseArticleResponse response;
  for (size_t i = 0; i < page.articles.size(); ++i) {
    v1::Article& article = page.articles[i];
    if (signatures[i]) {
      NEWSEARCH_ASSIGN_OR_RETURN(std::string root,
                                 store_->FindDuplicateRoot(article.id(), *signatures[i]));
      article.set_duplicate_of(root);
    }
    *response.add_articles() = std::move(article);
  }
  response.set_detected_encoding(page.detected_encoding);
  for (std::string& warning : page.warnings) response.add_warnings(std::move(warning));
  return response;
}

absl::Status Ingestor::Reparse(int batch_size, const ReparseProgress& progress) {
  {
    absl::MutexLock lock(&reparse_mu_);
    if (reparse_running_) {
      return absl::FailedPreconditionError("a re-parse is already running; wait for it to end");
    }
    reparse_running_ = true;
  }
  struct Release {
    Ingestor* self;
    ~Release() {
      absl::MutexLock lock(&self->reparse_mu_);
      self->reparse_running_ = false;
    }
  } release{this};

  v1::ReparseArticlesResponse totals;
  NEWSEARCH_ASSIGN_OR_RETURN(const int64_t total, store_->CountPages());
  totals.set_pages_total(total);
  std::string after;
  while (true) {
    NEWSEARCH_ASSIGN_OR_RETURN(std::vector<StoredPage> pages, store_->ListPages(after, batch_size));
    if (pages.empty()) break;
    after = pages.back().page_id;
    std::vector<PageReparse> batch;
    batch.reserve(pages.size());
    for (StoredPage& stored : pages) {
      v1::IngestArticleRequest request;
      request.set_content(std::move(stored.raw));
      request.set_url(stored.url);
      request.set_external_id(stored.external_id);
      request.set_source_hint(stored.source_hint);
      request.set_content_type(stored.content_type);
      PageReparse& reparse = batch.emplace_back();
      reparse.page_id = stored.page_id;
      absl::StatusOr<ParsedPage> parsed = Parse(request);
      if (!parsed.ok()) {
        reparse.failed = true;
        if (totals.failures_size() < 20) {
          totals.add_failures(absl::StrCat(stored.page_id, ": ", parsed.status().message()));
        }
        continue;
      }
      reparse.signatures = Signatures(parsed->articles);
      reparse.articles = std::move(parsed->articles);
      // Keep the stored page id: pages of schema version 1 have another
      // derivation than PageIdFor.
      for (v1::Article& article : reparse.articles) article.set_page_id(stored.page_id);
    }
    NEWSEARCH_ASSIGN_OR_RETURN(ReparseCounts counts, store_->ReplacePages(batch));
    if (counts.last_seq > 0) {
      notifier_->Publish(counts.last_seq);
      totals.set_last_seq(counts.last_seq);
    }
    totals.set_pages_done(totals.pages_done() + static_cast<int64_t>(pages.size()));
    totals.set_articles_changed(totals.articles_changed() + counts.changed);
    totals.set_articles_unchanged(totals.articles_unchanged() + counts.unchanged);
    totals.set_articles_deleted(totals.articles_deleted() + counts.deleted);
    totals.set_pages_failed(totals.pages_failed() + counts.failed_pages);
    // Pages stored after the count was taken make pages_done exceed it.
    if (totals.pages_done() > totals.pages_total()) totals.set_pages_total(totals.pages_done());
    if (!progress(totals)) return absl::CancelledError("re-parse stopped: the caller went away");
  }
  totals.set_done(true);
  progress(totals);
  return absl::OkStatus();
}

absl::StatusOr<v1::IngestArticleResponse> Ingestor::Ingest(
    const v1::IngestArticleRequest& request) {
  NEWSEARCH_ASSIGN_OR_RETURN(PageWrite write, Prepare(request));
  return std::move(Commit({&write}).front());
}

absl::StatusOr<PageWrite> Ingestor::Prepare(const v1::IngestArticleRequest& request) const {
  NEWSEARCH_ASSIGN_OR_RETURN(ParsedPage page, Parse(request));
  PageWrite write;
  write.raw = request.content();
  write.content_type = request.content_type();
  write.url = request.url();
  write.external_id = request.external_id();
  write.source_hint = request.source_hint();
  write.signatures = Signatures(page.articles);
  write.articles = std::move(page.articles);
  return write;
}

std::vector<absl::StatusOr<v1::IngestArticleResponse>> Ingestor::Commit(
    const std::vector<const PageWrite*>& pages) {
  std::vector<absl::StatusOr<std::vector<ArticleWriteResult>>> stored = store_->PutPages(pages);
  std::vector<absl::StatusOr<v1::IngestArticleResponse>> responses;
  responses.reserve(pages.size());
  int64_t max_seq = 0;
  for (size_t p = 0; p < pages.size(); ++p) {
    if (!stored[p].ok()) {
      responses.push_back(stored[p].status());
      continue;
    }
    const std::vector<ArticleWriteResult>& results = *stored[p];
    const PageWrite& write = *pages[p];
    v1::IngestArticleResponse response;
    for (size_t i = 0; i < results.size(); ++i) {
      v1::IngestedArticle* out = response.add_articles();
      out->set_id(results[i].id);
      out->set_seq(results[i].seq);
      out->set_outcome(results[i].outcome);
      out->set_duplicate_of(results[i].duplicate_of);
      if (i < write.articles.size()) out->set_title(write.articles[i].title());
      if (results[i].seq > max_seq) max_seq = results[i].seq;
    }
    if (warning_observer_) {
      for (const v1::Article& article : write.articles) {
        for (const std::string& warning : article.warnings()) warning_observer_(warning);
      }
    }
    responses.push_back(std::move(response));
  }
  if (max_seq > 0) notifier_->Publish(max_seq);
  return responses;
}

}  // namespace newsearch::ingest
