#include "ingest-service/server/ingest_server.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/base/logging.h"
#include "common/base/page_token.h"
#include "common/base/status_macros.h"
#include "common/server/grpc_status.h"
#include "common/server/grpc_server.h"
#include "common/server/call_gate.h"
#include "common/server/metrics.h"
#include "common/server/request_decode.h"
#include "common/server/server_setup.h"
#include "ingest-service/changefeed/change_notifier.h"
#include "ingest-service/changefeed/subscription.h"
#include "ingest-service/parser/page_parser.h"
#include "ingest-service/server/backup.h"
#include "ingest-service/server/ingestor.h"
#include "ingest-service/server/page_committer.h"
#include "ingest-service/server/retention.h"
#include "ingest-service/store/article_store.h"
#include "newsearch/v1/ingest.grpc.pb.h"

namespace newsearch::ingest {
namespace {

using server::ToGrpcStatus;

constexpr int kDefaultListPageSize = 50;
constexpr int kMaxListPageSize = 1000;
// Plain-text prefix (and version) of ListArticles page tokens.
constexpr absl::string_view kListTokenPrefix = "l1.";
constexpr int kDefaultReparseBatch = 100;
constexpr int kMaxReparseBatch = 10000;

class IngestStreamReactor;

class IngestServiceImpl final
    : public v1::IngestService::WithRawCallbackMethod_IngestArticles<v1::IngestService::Service>,
      public server::GatedService {
 public:
  IngestServiceImpl(Ingestor* ingestor, PageCommitter* committer, ArticleStore* store,
                    ChangeNotifier* notifier, absl::Duration heartbeat,
                    server::CounterFamily* articles, server::CounterFamily* rejected,
                    int64_t max_pages_per_stream)
      : ingestor_(ingestor),
        committer_(committer),
        store_(store),
        notifier_(notifier),
        heartbeat_(heartbeat),
        articles_(articles),
        rejected_(rejected),
        max_pages_per_stream_(max_pages_per_stream) {}

  // Counts the outcome of one page.
  absl::StatusOr<v1::IngestArticleResponse> Count(
      absl::StatusOr<v1::IngestArticleResponse> result) {
    if (!result.ok()) {
      rejected_->WithLabels({server::GrpcCodeName(static_cast<grpc::StatusCode>(
                                result.status().code()))})
          .Increment();
      return result;
    }
    for (const v1::IngestedArticle& article : result->articles()) {
      articles_->WithLabels({v1::Outcome_Name(article.outcome())}).Increment();
    }
    return result;
  }

  grpc::Status IngestArticle(grpc::ServerContext* context, const v1::IngestArticleRequest* request,
                             v1::IngestArticleResponse* response) override {
    const server::Admission admission(gate_, context, "IngestArticle");
    if (!admission.ok()) return admission.status();
    // Through the committer: the page shares a transaction and an fsync
    // with concurrent calls and streams, and is answered once durable.
    absl::StatusOr<v1::IngestArticleResponse> result = Count(committer_->Ingest(*request));
    if (!result.ok()) {
      Log(LogLevel::kDebug, "ingest", "page rejected",
          {{"url", request->url()}, {"status", result.status().ToString()}});
      return ToGrpcStatus(result.status());
    }
    *response = std::move(*result);
    return grpc::Status::OK;
  }

  // Bulk ingest on gRPC's callback API with raw request bytes: the sync
  // API cannot tell a message that failed to decode from the end of the
  // stream (#9), so each message is decoded here and an undecodable one gets
  // its own INVALID_ARGUMENT result. Up to kMaxPagesInFlight pages of one
  // stream are in the committer at once; responses go out in request order.
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* IngestArticles(
      grpc::CallbackServerContext* context) override;

  void SetCallGate(server::CallGate* gate) override { gate_ = gate; }

  grpc::Status GetArticle(grpc::ServerContext* context, const v1::GetArticleRequest* request,
                          v1::Article* response) override {
    const server::Admission admission(gate_, context, "GetArticle");
    if (!admission.ok()) return admission.status();
    if (request->id().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id is empty");
    }
    absl::StatusOr<v1::Article> article = store_->Get(request->id());
    if (!article.ok()) return ToGrpcStatus(article.status());
    *response = std::move(*article);
    return grpc::Status::OK;
  }

  grpc::Status ListArticles(grpc::ServerContext* context, const v1::ListArticlesRequest* request,
                            v1::ListArticlesResponse* response) override {
    const server::Admission admission(gate_, context, "ListArticles");
    if (!admission.ok()) return admission.status();
    int page_size = request->page_size();
    if (page_size < 0 || page_size > kMaxListPageSize) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("page_size is ", page_size, "; it must be between 0 and ",
                                       kMaxListPageSize));
    }
    if (page_size == 0) page_size = kDefaultListPageSize;
    // The token is opaque to callers: `l1.` and the last id of the previous
    // page (ids are plain hex with an optional `-N`).
    std::string after;
    if (!request->page_token().empty()) {
      absl::StatusOr<std::string> plain = DecodePageToken(request->page_token(), "ListArticles");
      if (!plain.ok()) return ToGrpcStatus(plain.status());
      absl::string_view id = *plain;
      if (!absl::ConsumePrefix(&id, kListTokenPrefix) || id.empty() || id.size() > 64 ||
          !std::all_of(id.begin(), id.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
          })) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "page_token is not a token from ListArticles; pass next_page_token "
                            "from a previous response unchanged");
      }
      after = std::string(id);
    }
    absl::StatusOr<ListResult> result = store_->List(after, page_size);
    if (!result.ok()) return ToGrpcStatus(result.status());
    for (v1::Article& article : result->articles) *response->add_articles() = std::move(article);
    if (!result->next_after_id.empty()) {
      response->set_next_page_token(
          EncodePageToken(absl::StrCat(kListTokenPrefix, result->next_after_id)));
    }
    return grpc::Status::OK;
  }

  grpc::Status DeleteArticle(grpc::ServerContext* context, const v1::DeleteArticleRequest* request,
                             v1::DeleteArticleResponse* response) override {
    const server::Admission admission(gate_, context, "DeleteArticle");
    if (!admission.ok()) return admission.status();
    if (request->id().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id is empty");
    }
    absl::StatusOr<int64_t> seq = store_->Delete(request->id());
    if (!seq.ok()) return ToGrpcStatus(seq.status());
    notifier_->Publish(*seq);
    articles_->WithLabels({"DELETED"}).Increment();
    response->set_seq(*seq);
    return grpc::Status::OK;
  }

  grpc::Status ParseArticle(grpc::ServerContext* context, const v1::IngestArticleRequest* request,
                            v1::ParseArticleResponse* response) override {
    const server::Admission admission(gate_, context, "ParseArticle");
    if (!admission.ok()) return admission.status();
    absl::StatusOr<v1::ParseArticleResponse> result = ingestor_->DryRun(*request);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = std::move(*result);
    return grpc::Status::OK;
  }

  grpc::Status ReparseArticles(grpc::ServerContext* context,
                               const v1::ReparseArticlesRequest* request,
                               grpc::ServerWriter<v1::ReparseArticlesResponse>* writer) override {
    const server::Admission admission(gate_, context, "ReparseArticles",
                                      server::Admission::Kind::kStreaming);
    if (!admission.ok()) return admission.status();
    int batch = request->batch_size();
    if (batch < 0 || batch > kMaxReparseBatch) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("batch_size is ", batch, "; it must be between 0 and ",
                                       kMaxReparseBatch));
    }
    if (batch == 0) batch = kDefaultReparseBatch;
    Log(LogLevel::kInfo, "reparse", "started",
        {{"peer", context->peer()}, {"batch_size", batch}});
    v1::ReparseArticlesResponse last;
    const absl::Status status =
        ingestor_->Reparse(batch, [&](const v1::ReparseArticlesResponse& progress) {
          last = progress;
          if (context->IsCancelled() || notifier_->is_shut_down()) return false;
          return writer->Write(progress);
        });
    Log(status.ok() ? LogLevel::kInfo : LogLevel::kWarning, "reparse",
        status.ok() ? "finished" : "stopped",
        {{"pages_done", static_cast<long long>(last.pages_done())},
         {"articles_changed", static_cast<long long>(last.articles_changed())},
         {"articles_unchanged", static_cast<long long>(last.articles_unchanged())},
         {"articles_deleted", static_cast<long long>(last.articles_deleted())},
         {"pages_failed", static_cast<long long>(last.pages_failed())},
         {"status", status.ToString()}});
    return ToGrpcStatus(status);
  }

  grpc::Status StreamChanges(grpc::ServerContext* context,
                             const v1::StreamChangesRequest* request,
                             grpc::ServerWriter<v1::StreamChangesResponse>* writer) override {
    const server::Admission admission(gate_, context, "StreamChanges",
                                      server::Admission::Kind::kStreaming);
    if (!admission.ok()) return admission.status();
    absl::StatusOr<ChangeSubscription> subscription =
        ChangeSubscription::Start(*request, store_, notifier_, heartbeat_);
    if (!subscription.ok()) return ToGrpcStatus(subscription.status());
    Log(LogLevel::kInfo, "changefeed", "subscriber connected",
        {{"peer", context->peer()},
         {"after_seq", static_cast<long long>(request->after_seq())},
         {"partition", absl::StrCat(subscription->partition(), "/", subscription->partitions())}});
    const absl::Status status = subscription->Run(
        [writer](const v1::StreamChangesResponse& response) { return writer->Write(response); },
        [context] { return context->IsCancelled(); });
    if (!status.ok()) return ToGrpcStatus(status);
    Log(LogLevel::kInfo, "changefeed", "subscriber disconnected",
        {{"peer", context->peer()}, {"cursor", static_cast<long long>(subscription->cursor())}});
    return grpc::Status::OK;
  }

  grpc::Status BackupStore(grpc::ServerContext* context, const v1::BackupStoreRequest* request,
                           grpc::ServerWriter<v1::BackupStoreResponse>* writer) override {
    const server::Admission admission(gate_, context, "BackupStore",
                                      server::Admission::Kind::kStreaming);
    if (!admission.ok()) return admission.status();
    return StreamBackup(*store_, data_dir_, *request, context, writer);
  }

  void set_data_dir(std::string data_dir) { data_dir_ = std::move(data_dir); }

 private:
  friend class IngestStreamReactor;

  std::string data_dir_;
  Ingestor* ingestor_;
  PageCommitter* committer_;
  server::CallGate* gate_ = nullptr;
  ArticleStore* store_;
  ChangeNotifier* notifier_;
  absl::Duration heartbeat_;
  server::CounterFamily* articles_;
  server::CounterFamily* rejected_;
  const int64_t max_pages_per_stream_;
};

// One IngestArticles call. gRPC runs the reactions (OnReadDone, ...) one at
// a time, but page results arrive on committer threads, so state is under
// mu_; gRPC operations (StartRead, StartWrite, Finish) are started outside
// mu_ because gRPC may run the next reaction inline. Deletes itself in
// OnDone, which gRPC calls only after Finish, and Finish comes only when no
// page of the stream is still in the committer.
class IngestStreamReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  IngestStreamReactor(IngestServiceImpl* service, grpc::CallbackServerContext* context)
      : service_(service), context_(context) {
    const absl::Status admitted =
        service_->gate_ != nullptr
            ? service_->gate_->Admit(context_, "IngestArticles", /*streaming=*/true)
            : absl::OkStatus();
    if (!admitted.ok()) {
      {
        absl::MutexLock lock(&mu_);
        finished_ = true;
      }
      Finish(ToGrpcStatus(admitted));
      return;
    }
    admitted_ = true;
    {
      absl::MutexLock lock(&mu_);
      reading_ = true;
    }
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (!ok) {
        reads_done_ = true;
      } else {
        Accept();
      }
      Plan(&actions);
    }
    Perform(actions);
  }

  void OnWriteDone(bool ok) override {
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (ok) {
        slots_.pop_front();
      } else {
        // The client is gone: nothing more can be answered.
        write_failed_ = true;
        reads_done_ = true;
      }
      Plan(&actions);
    }
    Perform(actions);
  }

  void OnCancel() override {
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      reads_done_ = true;
      Plan(&actions);
    }
    Perform(actions);
  }

  void OnDone() override { delete this; }

 private:
  // Bounds the memory one stream holds: pages read and not yet answered.
  static constexpr size_t kMaxPagesInFlight = 64;

  struct Slot {
    int64_t index = 0;
    bool ready = false;
    grpc::ByteBuffer response;
  };
  // gRPC operations decided under mu_, started after it is released.
  struct Actions {
    bool read = false;
    const grpc::ByteBuffer* write = nullptr;
    std::optional<grpc::Status> finish;
  };

  // Takes the message just read: answers it at once when it is over the
  // stream limit or does not decode, else hands it to the committer.
  void Accept() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int64_t index = next_index_++;
    const int64_t limit = service_->max_pages_per_stream_;
    if (limit > 0 && index >= limit) {
      // Bounds how long one stream holds the server; pages already
      // answered stay stored.
      reads_done_ = true;
      final_status_ = grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("this stream already carried ", index,
                       " pages, the limit (--max_articles_per_stream); page ", index,
                       " and later were not ingested: open a new stream"));
      in_.Clear();
      return;
    }
    Slot& slot = slots_.emplace_back();
    slot.index = index;
    v1::IngestArticleRequest request;
    grpc::ByteBuffer copy(in_);  // Deserialize consumes its buffer.
    if (!grpc::SerializationTraits<v1::IngestArticleRequest>::Deserialize(&copy, &request).ok()) {
      grpc::Slice bytes;
      std::string raw;
      if (in_.TrySingleSlice(&bytes).ok() || in_.DumpToSingleSlice(&bytes).ok()) {
        raw.assign(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
      }
      in_.Clear();
      const absl::Status error = absl::InvalidArgumentError(absl::StrCat(
          "message ", index, " of the stream could not be decoded as ",
          v1::IngestArticleRequest::descriptor()->full_name(), ": ",
          server::DescribeUndecodable(*v1::IngestArticleRequest::descriptor(), raw),
          "; it was not ingested"));
      SetResult(&slot, service_->Count(error));
      return;
    }
    in_.Clear();
    ++in_committer_;
    service_->committer_->Submit(
        std::move(request), [this, index](absl::StatusOr<v1::IngestArticleResponse> result) {
          Completed(index, std::move(result));
        });
  }

  // A committer thread reports the result of page `index`.
  void Completed(int64_t index, absl::StatusOr<v1::IngestArticleResponse> result) {
    absl::StatusOr<v1::IngestArticleResponse> counted = service_->Count(std::move(result));
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      --in_committer_;
      for (Slot& slot : slots_) {
        if (slot.index == index) {
          SetResult(&slot, std::move(counted));
          break;
        }
      }
      Plan(&actions);
    }
    Perform(actions);
  }

  void SetResult(Slot* slot, absl::StatusOr<v1::IngestArticleResponse> result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    v1::IngestArticleResponse response;
    if (result.ok()) {
      response = std::move(*result);
    } else {
      // One bad page fails alone; the stream goes on.
      const grpc::Status status = ToGrpcStatus(result.status());
      response.mutable_error()->set_code(status.error_code());
      response.mutable_error()->set_message(status.error_message());
      Log(LogLevel::kDebug, "ingest", "page rejected",
          {{"request_index", static_cast<long long>(slot->index)},
           {"status", result.status().ToString()}});
    }
    response.set_request_index(slot->index);
    bool own_buffer = false;
    grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::IngestArticleResponse>(
        response, &slot->response, &own_buffer);
    slot->ready = true;
  }

  // Decides the next gRPC operations from the state.
  void Plan(Actions* actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    if (write_failed_) {
      // Nothing more can be sent; drop the answers that are ready.
      while (!slots_.empty() && slots_.front().ready) slots_.pop_front();
    }
    if (!writing_ && !write_failed_ && !slots_.empty() && slots_.front().ready) {
      writing_ = true;
      actions->write = &slots_.front().response;
    }
    if (!reads_done_ && !reading_ && slots_.size() < kMaxPagesInFlight) {
      reading_ = true;
      actions->read = true;
    }
    if (reads_done_ && !reading_ && !writing_ && in_committer_ == 0 &&
        (slots_.empty() || write_failed_)) {
      finished_ = true;
      actions->finish = cancelled_ ? grpc::Status::CANCELLED : final_status_;
    }
  }

  void Perform(const Actions& actions) {
    // Finish comes alone: after it, OnDone may delete this at any time.
    if (actions.finish) {
      // The slot is free before the client sees the end of its stream, so
      // it can open the next one at once.
      if (admitted_ && service_->gate_ != nullptr) service_->gate_->ReleaseStream();
      Finish(*actions.finish);
      return;
    }
    if (actions.write != nullptr) StartWrite(actions.write);
    if (actions.read) StartRead(&in_);
  }

  IngestServiceImpl* const service_;
  grpc::CallbackServerContext* const context_;
  bool admitted_ = false;
  grpc::ByteBuffer in_;  // Written by gRPC only while a read is pending.
  absl::Mutex mu_;
  int64_t next_index_ ABSL_GUARDED_BY(mu_) = 0;
  // Pages read and not yet answered, in request order; while writing_, the
  // front one is on the wire (a deque keeps it in place).
  std::deque<Slot> slots_ ABSL_GUARDED_BY(mu_);
  int in_committer_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* IngestServiceImpl::IngestArticles(
    grpc::CallbackServerContext* context) {
  return new IngestStreamReactor(this, context);
}

// The kind of a parser warning: the text before its first ": " (team
// convention, e.g. "no_date: ..."), or "other" when that is not a short
// snake_case token (keeps label cardinality bounded).
std::string WarningKind(absl::string_view warning) {
  const size_t colon = warning.find(": ");
  const absl::string_view kind =
      colon == absl::string_view::npos ? absl::string_view() : warning.substr(0, colon);
  const bool clean = !kind.empty() && kind.size() <= 48 &&
                     std::all_of(kind.begin(), kind.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                     });
  return clean ? std::string(kind) : "other";
}

}  // namespace

struct IngestServer::Impl {
  IngestServerOptions options;
  // Declared first: everything below may record into it.
  server::Registry registry;
  std::unique_ptr<PageParser> parser;
  std::unique_ptr<BodyFingerprinter> fingerprinter;
  std::unique_ptr<ArticleStore> store;
  std::unique_ptr<ChangeNotifier> notifier;
  std::unique_ptr<Ingestor> ingestor;
  std::unique_ptr<PageCommitter> committer;
  std::unique_ptr<StoreMaintenance> maintenance;
  std::unique_ptr<IngestServiceImpl> service;
  std::unique_ptr<server::GrpcServer> server;
  absl::Mutex shutdown_mu;
  bool shut_down ABSL_GUARDED_BY(shutdown_mu) = false;
};

IngestServer::IngestServer() : impl_(std::make_unique<Impl>()) {}

IngestServer::~IngestServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<IngestServer>> IngestServer::Start(
    const IngestServerOptions& options) {
  std::unique_ptr<IngestServer> server(new IngestServer());
  Impl& impl = *server->impl_;
  impl.options = options;
  NEWSEARCH_RETURN_IF_ERROR(server::EnsureDirectory(options.data_dir));
  NEWSEARCH_ASSIGN_OR_RETURN(impl.parser, PageParser::Create());
  NEWSEARCH_ASSIGN_OR_RETURN(impl.fingerprinter, BodyFingerprinter::Create());
  StoreOptions store_options;
  store_options.path = options.data_dir + "/articles.db";
  store_options.fsync_every_commit = options.fsync;
  NEWSEARCH_ASSIGN_OR_RETURN(impl.store, ArticleStore::Open(store_options));
  impl.notifier = std::make_unique<ChangeNotifier>(impl.store->HeadSeq());
  IngestorLimits limits;
  limits.max_page_bytes = options.max_page_bytes;
  impl.ingestor = std::make_unique<Ingestor>(impl.parser.get(), impl.store.get(),
                                             impl.notifier.get(), limits,
                                             impl.fingerprinter.get());

  NEWSEARCH_ASSIGN_OR_RETURN(
      server::CounterFamily * articles,
      impl.registry.AddCounter("newsearch_ingest_articles_total",
                               "Articles written, by outcome (OUTCOME_CREATED, OUTCOME_UPDATED, "
                               "OUTCOME_UNCHANGED, DELETED).",
                               {"outcome"}));
  NEWSEARCH_ASSIGN_OR_RETURN(
      server::CounterFamily * rejected,
      impl.registry.AddCounter("newsearch_ingest_pages_rejected_total",
                               "Pages that stored nothing, by status code.", {"code"}));
  ChangeNotifier* notifier = impl.notifier.get();
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_ingest_head_seq", "Highest committed change-log sequence number.",
      [notifier] { return static_cast<double>(notifier->head_seq()); }));
  const std::string data_dir = options.data_dir;
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_ingest_disk_free_bytes",
      "Bytes available on the filesystem of the data directory (writes fail with "
      "RESOURCE_EXHAUSTED when it is full).",
      [data_dir] {
        std::error_code ec;
        const std::filesystem::space_info space = std::filesystem::space(data_dir, ec);
        return ec ? -1.0 : static_cast<double>(space.available);
      }));
  NEWSEARCH_ASSIGN_OR_RETURN(
      server::CounterFamily * warnings,
      impl.registry.AddCounter("newsearch_ingest_parse_warnings_total",
                               "Parser warnings on stored articles, by kind (the text before "
                               "the first \": \" of the warning).",
                               {"kind"}));
  impl.ingestor->set_warning_observer([warnings](const std::string& warning) {
    warnings->WithLabels({WarningKind(warning)}).Increment();
  });
  NEWSEARCH_ASSIGN_OR_RETURN(
      server::HistogramFamily * batch_pages,
      impl.registry.AddHistogram("newsearch_ingest_commit_batch_pages",
                                 "Pages per group commit (one transaction, one fsync).", {},
                                 {1, 2, 4, 8, 16, 32, 64, 128, 256, 512}));
  ArticleStore* store = impl.store.get();
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_ingest_store_size_bytes",
      "Bytes of the SQLite store on disk: database, WAL and shared-memory files.",
      [store] { return static_cast<double>(store->SizeBytes()); }));
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_ingest_oldest_retained_seq",
      "Highest seq of a tombstone retention purged (0: none): a follower whose position is "
      "above 0 and below it must rebuild its index.",
      [store] { return static_cast<double>(store->PurgedThroughSeq()); }));
  // Followers that hold back the purge: those heard from within the horizon
  // (all of them when tombstones are kept for ever).
  const absl::Duration horizon = options.tombstone_retention;
  auto current_followers = [store, horizon] {
    std::vector<FollowerPosition> current;
    absl::StatusOr<std::vector<FollowerPosition>> all = store->Followers();
    if (!all.ok()) return current;
    for (FollowerPosition& follower : *all) {
      if (horizon == absl::ZeroDuration() || follower.seen_at >= absl::Now() - horizon) {
        current.push_back(std::move(follower));
      }
    }
    return current;
  };
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_ingest_followers",
      "Change-log followers (search replicas) heard from within the tombstone retention "
      "horizon; each holds back the purge of tombstones it has not applied.",
      [current_followers] { return static_cast<double>(current_followers().size()); }));
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_ingest_slowest_follower_acked_seq",
      "Lowest seq applied by a follower heard from within the retention horizon (-1: none); "
      "tombstones above it are kept.",
      [current_followers] {
        int64_t slowest = -1;
        for (const FollowerPosition& follower : current_followers()) {
          if (slowest < 0 || follower.acked_seq < slowest) slowest = follower.acked_seq;
        }
        return static_cast<double>(slowest);
      }));
  NEWSEARCH_ASSIGN_OR_RETURN(
      server::CounterFamily * purged,
      impl.registry.AddCounter("newsearch_ingest_tombstones_purged_total",
                               "Tombstones removed by retention.", {}));
  RetentionOptions retention;
  retention.tombstone_retention = options.tombstone_retention;
  retention.interval = options.maintenance_interval;
  retention.on_purge = [purged](int64_t n) { purged->Get().Increment(n); };
  impl.maintenance = std::make_unique<StoreMaintenance>(store, retention);
  PageCommitterOptions committer_options;
  committer_options.parse_threads = options.parse_threads;
  committer_options.max_batch_pages = options.commit_max_pages;
  committer_options.max_batch_delay = options.commit_max_delay;
  committer_options.on_batch = [batch_pages](int pages) { batch_pages->Get().Observe(pages); };
  impl.committer = std::make_unique<PageCommitter>(impl.ingestor.get(), committer_options);
  impl.service = std::make_unique<IngestServiceImpl>(
      impl.ingestor.get(), impl.committer.get(), impl.store.get(), impl.notifier.get(), options.heartbeat_interval,
      articles, rejected, options.max_articles_per_stream);
  impl.service->set_data_dir(options.data_dir);
  NEWSEARCH_RETURN_IF_ERROR(PrepareBackupScratch(options.data_dir));

  server::GrpcServerOptions grpc_options;
  grpc_options.listen = options.listen;
  grpc_options.port_file = options.port_file;
  grpc_options.metrics_listen = options.metrics_listen;
  grpc_options.metrics_service = "ingest";
  grpc_options.max_message_bytes = options.max_message_bytes;
  grpc_options.shutdown_grace = options.shutdown_grace;
  server::ApplyServingOptions(options.serving, &grpc_options);
  NEWSEARCH_ASSIGN_OR_RETURN(impl.server,
                             server::GrpcServer::Start(grpc_options, {impl.service.get()},
                                                       {"newsearch.v1.IngestService"},
                                                       &impl.registry));
  Log(LogLevel::kInfo, "ingest", "serving",
      {{"listen", options.listen},
       {"port", impl.server->port()},
       {"metrics_port", impl.server->metrics_port()},
       {"data_dir", options.data_dir},
       {"head_seq", static_cast<long long>(impl.store->HeadSeq())},
       {"max_page_bytes", static_cast<long long>(options.max_page_bytes)},
       {"fsync", options.fsync},
       {"parse_threads", options.parse_threads},
       {"commit_max_pages", options.commit_max_pages},
       {"commit_max_delay_ms", absl::ToDoubleMilliseconds(options.commit_max_delay)},
       {"tombstone_retention_seconds",
        static_cast<long long>(absl::ToInt64Seconds(options.tombstone_retention))},
       {"purged_through_seq", static_cast<long long>(impl.store->PurgedThroughSeq())}});
  return server;
}

int IngestServer::port() const { return impl_->server->port(); }

int IngestServer::health_port() const { return impl_->server->health_port(); }

void IngestServer::Shutdown() {
  {
    absl::MutexLock lock(&impl_->shutdown_mu);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
  }
  if (impl_->server == nullptr) return;
  Log(LogLevel::kInfo, "ingest", "shutting down");
  // Change streams wait on the notifier: wake them so they end.
  impl_->server->Shutdown([this] { impl_->notifier->Shutdown(); });
  // Every stream has ended; the committer finishes what they handed it.
  impl_->committer.reset();
  impl_->maintenance.reset();
  impl_->store.reset();
  Log(LogLevel::kInfo, "ingest", "stopped");
}

}  // namespace newsearch::ingest
