#include "tools/cli/commands.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/base/sha256.h"
#include "newsearch/v1/ingest.grpc.pb.h"
#include "newsearch/v1/search.grpc.pb.h"
#include "tools/cli/format.h"
#include "tools/cli/input_files.h"

namespace newsearch::cli {
namespace {

namespace v1 = ::newsearch::v1;

// Deadline of a unary call when --timeout is not given.
constexpr absl::Duration kDefaultCallTimeout = absl::Seconds(30);
// Total time `wait` waits when --timeout is not given.
constexpr absl::Duration kDefaultWaitTimeout = absl::Seconds(60);
// Longest single StreamChanges probe of `wait`: an empty store answers only
// with its first heartbeat (5 s by default on the ingest side).
constexpr absl::Duration kHeadProbeTimeout = absl::Seconds(7);
// Longest single GetIndexStatus call of `wait`.
constexpr absl::Duration kStatusPollTimeout = absl::Seconds(5);
// Responses can hold up to 1000 articles (ListArticles) or an 8 MiB page.
constexpr int kMaxReceiveMessageBytes = 64 << 20;

// Everything a command needs to make calls.
class Session {
 public:
  Session(const Invocation& inv, const CommandIo& io, std::string token,
          std::shared_ptr<grpc::ChannelCredentials> credentials)
      : inv_(inv), io_(io), token_(std::move(token)), credentials_(std::move(credentials)) {}

  std::shared_ptr<grpc::Channel> IngestChannel() const {
    return Channel(inv_.global.ingest_address);
  }
  std::unique_ptr<v1::IngestService::Stub> IngestStub() const {
    return v1::IngestService::NewStub(IngestChannel());
  }
  std::unique_ptr<v1::SearchService::Stub> SearchStub() const {
    return v1::SearchService::NewStub(Channel(inv_.global.search_address));
  }

  // Adds the bearer token and a deadline: `timeout` if given, else --timeout,
  // else `fallback` (none when fallback is infinite).
  void Prepare(grpc::ClientContext* ctx, absl::Duration fallback,
               std::optional<absl::Duration> timeout = std::nullopt) const {
    if (!token_.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
    const absl::Duration d = timeout ? *timeout : inv_.global.timeout.value_or(fallback);
    if (d != absl::InfiniteDuration()) ctx->set_deadline(absl::ToChronoTime(absl::Now() + d));
  }

  // Prints `newsearch: CODE: message (service address)`; returns kExitError.
  int Fail(const grpc::Status& status, absl::string_view service) const {
    const std::string& address = service == "ingest" ? inv_.global.ingest_address
                                                     : inv_.global.search_address;
    *io_.err << "newsearch: " << StatusCodeName(status.error_code()) << ": "
             << status.error_message() << " (" << service << " " << address << ")\n";
    return kExitError;
  }

  // Prints `message` as proto3 JSON on one line: lowerCamelCase names
  // (`appliedSeq`, `publishedAt`), as buf curl and grpcurl print them.
  void PrintJson(const google::protobuf::Message& message) const {
    std::string json;
    // Cannot fail for a message built by the generated code.
    (void)google::protobuf::util::MessageToJsonString(message, &json);
    *io_.out << json << "\n";
  }

  const Invocation& inv() const { return inv_; }
  const CommandIo& io() const { return io_; }

 private:
  std::shared_ptr<grpc::Channel> Channel(const std::string& address) const {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
    return grpc::CreateCustomChannel(address, credentials_, args);
  }

  const Invocation& inv_;
  const CommandIo& io_;
  std::string token_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
};

// --- ingest ---------------------------------------------------------------

// State shared by the writer thread and the reading thread of `ingest`.
struct IngestShared {
  std::mutex mu;
  // sent[request_index] = index into `files` of the page sent at that position.
  std::vector<size_t> sent;
  // Pages that could not be read locally: (file index, message).
  std::vector<std::pair<size_t, std::string>> local_failures;
};

class IngestRun {
 public:
  IngestRun(const Session& session, std::vector<InputFile> files)
      : session_(session), files_(std::move(files)), throttle_(session.io().stderr_is_tty) {
    counts_.total_pages = static_cast<int64_t>(files_.size());
  }

  int Run() {
    std::unique_ptr<v1::IngestService::Stub> stub = session_.IngestStub();
    grpc::ClientContext ctx;
    session_.Prepare(&ctx, absl::InfiniteDuration());
    start_ = absl::Now();
    std::unique_ptr<grpc::ClientReaderWriter<v1::IngestArticleRequest, v1::IngestArticleResponse>>
        stream = stub->IngestArticles(&ctx);
    // Writing on its own thread lets gRPC flow control pace the writer while
    // responses are drained here, so neither side's buffers fill up.
    std::thread writer([&] { WriteAll(stream.get()); });
    v1::IngestArticleResponse response;
    int64_t answered = 0;
    while (stream->Read(&response)) {
      ++answered;
      DrainLocalFailures();
      OnResponse(response);
    }
    writer.join();
    const grpc::Status status = stream->Finish();
    DrainLocalFailures();
    FinishProgress();
    if (!status.ok()) return session_.Fail(status, "ingest");
    if (answered != sent_count_) {
      *session_.io().err << "newsearch: INTERNAL: the ingest service answered " << answered
                         << " of " << sent_count_ << " pages\n";
      return kExitError;
    }
    return counts_.failed_pages > 0 ? kExitSomePagesFailed : kExitOk;
  }

 private:
  void WriteAll(grpc::ClientReaderWriter<v1::IngestArticleRequest, v1::IngestArticleResponse>*
                    stream) {
    const IngestOptions& opts = session_.inv().ingest;
    for (size_t i = 0; i < files_.size(); ++i) {
      absl::StatusOr<std::string> bytes = ReadFileBytes(files_[i].path);
      if (!bytes.ok()) {
        std::lock_guard<std::mutex> lock(shared_.mu);
        shared_.local_failures.emplace_back(
            i, absl::StrCat(StatusCodeName(static_cast<int>(bytes.status().code())), ": ",
                            bytes.status().message()));
        continue;
      }
      v1::IngestArticleRequest request;
      request.set_content(*std::move(bytes));
      request.set_source_hint(opts.source_hint);
      request.set_content_type(opts.content_type);
      if (opts.external_id_from_path) request.set_external_id(files_[i].relative);
      {
        std::lock_guard<std::mutex> lock(shared_.mu);
        shared_.sent.push_back(i);
      }
      if (!stream->Write(request)) {
        // The stream broke; Finish() on the reading side reports why.
        std::lock_guard<std::mutex> lock(shared_.mu);
        shared_.sent.pop_back();
        break;
      }
    }
    {
      std::lock_guard<std::mutex> lock(shared_.mu);
      sent_count_ = static_cast<int64_t>(shared_.sent.size());
    }
    stream->WritesDone();
  }

  void OnResponse(const v1::IngestArticleResponse& response) {
    counts_.Add(response);
    if (response.has_error()) {
      std::string path = absl::StrCat("#", response.request_index());
      {
        std::lock_guard<std::mutex> lock(shared_.mu);
        const int64_t index = response.request_index();
        if (index >= 0 && index < static_cast<int64_t>(shared_.sent.size())) {
          path = files_[shared_.sent[index]].path;
        }
      }
      PrintFailure(path, absl::StrCat(StatusCodeName(response.error().code()), ": ",
                                      response.error().message()));
    }
    if (session_.inv().global.json) session_.PrintJson(response);
    MaybePrintProgress();
  }

  void DrainLocalFailures() {
    std::vector<std::pair<size_t, std::string>> failures;
    {
      std::lock_guard<std::mutex> lock(shared_.mu);
      failures.swap(shared_.local_failures);
    }
    for (const auto& [index, message] : failures) {
      ++counts_.done_pages;
      ++counts_.failed_pages;
      PrintFailure(files_[index].path, message);
      MaybePrintProgress();
    }
  }

  void PrintFailure(absl::string_view path, absl::string_view message) {
    std::ostream& err = *session_.io().err;
    // Clears a progress line drawn in place, which is redrawn next time.
    if (session_.io().stderr_is_tty) err << "\r\033[K";
    err << "FAILED " << path << ": " << message << "\n";
  }

  void MaybePrintProgress() {
    const absl::Time now = absl::Now();
    if (!throttle_.ShouldPrint(counts_.done_pages, now)) return;
    std::ostream& err = *session_.io().err;
    const std::string line = FormatIngestProgress(counts_, now - start_);
    if (session_.io().stderr_is_tty) {
      err << "\r" << line << "\033[K" << std::flush;
    } else {
      err << line << "\n";
    }
  }

  void FinishProgress() {
    const absl::Duration elapsed = absl::Now() - start_;
    std::ostream& err = *session_.io().err;
    if (session_.io().stderr_is_tty) err << "\r";
    err << FormatIngestProgress(counts_, elapsed)
        << absl::StrFormat(" in %.1fs", absl::ToDoubleSeconds(elapsed));
    if (session_.io().stderr_is_tty) err << "\033[K";
    err << "\n";
  }

  const Session& session_;
  const std::vector<InputFile> files_;
  IngestShared shared_;
  int64_t sent_count_ = 0;  // Written under shared_.mu before WritesDone.
  IngestCounts counts_;
  ProgressThrottle throttle_;
  absl::Time start_;
};

int RunIngest(const Session& session) {
  absl::StatusOr<std::vector<InputFile>> files = CollectInputFiles(session.inv().ingest.paths);
  if (!files.ok()) {
    *session.io().err << "newsearch: " << StatusCodeName(static_cast<int>(files.status().code()))
                      << ": " << files.status().message() << "\n";
    return kExitError;
  }
  if (session.inv().ingest.external_id_from_path) {
    // Two files with one relative name would be one article, the second
    // silently replacing the first.
    std::map<std::string, const InputFile*> by_id;
    for (const InputFile& file : *files) {
      auto [it, added] = by_id.emplace(file.relative, &file);
      if (added) continue;
      *session.io().err << "newsearch: INVALID_ARGUMENT: " << it->second->path << " and "
                        << file.path << " would both get external_id '" << file.relative
                        << "' (the path relative to their argument); pass their directory "
                           "instead, or --no_external_id_from_path\n";
      return kExitError;
    }
  }
  return IngestRun(session, *std::move(files)).Run();
}

// --- search side ----------------------------------------------------------

int RunSearch(const Session& session) {
  std::unique_ptr<v1::SearchService::Stub> stub = session.SearchStub();
  grpc::ClientContext ctx;
  session.Prepare(&ctx, kDefaultCallTimeout);
  v1::SearchResponse response;
  const grpc::Status status = stub->Search(&ctx, session.inv().search, &response);
  if (!status.ok()) return session.Fail(status, "search");
  if (session.inv().global.json) {
    session.PrintJson(response);
  } else {
    *session.io().out << FormatSearchResponse(response, session.io().color
                                                            ? AnsiBoldHighlightStyle()
                                                            : BracketHighlightStyle());
  }
  return kExitOk;
}

int RunStatus(const Session& session) {
  std::unique_ptr<v1::SearchService::Stub> stub = session.SearchStub();
  grpc::ClientContext ctx;
  session.Prepare(&ctx, kDefaultCallTimeout);
  v1::GetIndexStatusResponse response;
  const grpc::Status status = stub->GetIndexStatus(&ctx, v1::GetIndexStatusRequest(), &response);
  if (!status.ok()) return session.Fail(status, "search");
  if (session.inv().global.json) {
    session.PrintJson(response);
  } else {
    *session.io().out << FormatIndexStatus(response);
  }
  return kExitOk;
}

// Returns the ingest store's head seq from the first StreamChanges response
// after seq 0: a batch at once when the store holds anything, else the first
// heartbeat. Waits for the server to come up until `timeout`.
grpc::Status ProbeIngestHead(const Session& session, v1::IngestService::Stub* stub,
                             absl::Duration timeout, int64_t* head) {
  grpc::ClientContext ctx;
  session.Prepare(&ctx, timeout, timeout);
  ctx.set_wait_for_ready(true);
  v1::StreamChangesRequest request;
  request.set_after_seq(0);
  request.set_max_batch_size(1);
  std::unique_ptr<grpc::ClientReader<v1::StreamChangesResponse>> reader =
      stub->StreamChanges(&ctx, request);
  v1::StreamChangesResponse response;
  if (reader->Read(&response)) {
    *head = response.head_seq();
    ctx.TryCancel();
    reader->Finish();  // CANCELLED, by us.
    return grpc::Status::OK;
  }
  const grpc::Status status = reader->Finish();
  if (status.ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "StreamChanges ended without a response");
  }
  return status;
}

// Whether `wait` should keep polling after `status`: the server may be
// starting, restarting or busy. Anything else (UNIMPLEMENTED,
// UNAUTHENTICATED, ...) will not go away by waiting.
bool IsRetryable(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::CANCELLED:
      return true;
    default:
      return false;
  }
}

int RunWait(const Session& session) {
  const CommandIo& io = session.io();
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + session.inv().global.timeout.value_or(kDefaultWaitTimeout);
  const std::shared_ptr<grpc::Channel> ingest_channel = session.IngestChannel();
  std::unique_ptr<v1::IngestService::Stub> ingest = v1::IngestService::NewStub(ingest_channel);
  std::unique_ptr<v1::SearchService::Stub> search = session.SearchStub();

  std::optional<int64_t> head;
  // Set when the ingest service is up but sent nothing within the probe
  // timeout (an empty store with a long heartbeat interval): then only the
  // replica's own view (following, lag 0) is checked.
  bool head_unknown = false;
  std::optional<v1::GetIndexStatusResponse> last;
  // Caught up, waiting for the compaction after a bulk load (said once).
  bool announced_compaction = false;
  grpc::Status last_error;
  std::string last_error_service;
  // Keeps the most telling error for the timeout message: a call cut short
  // by the end of the wait says less than the UNAVAILABLE before it.
  auto remember_error = [&](const grpc::Status& s, const char* service) {
    if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
        (!last_error.ok() || absl::Now() >= deadline)) {
      // A poll cut short by the wait's own end says nothing about the
      // servers (a loaded machine answers late).
      return;
    }
    last_error = s;
    last_error_service = service;
  };
  while (true) {
    if (!head && !head_unknown) {
      const absl::Duration probe = std::min(kHeadProbeTimeout, deadline - absl::Now());
      int64_t value = 0;
      const grpc::Status s = ProbeIngestHead(session, ingest.get(), probe, &value);
      if (s.ok()) {
        head = value;
      } else if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
                 probe == kHeadProbeTimeout &&
                 ingest_channel->GetState(false) == GRPC_CHANNEL_READY) {
        // Connected, yet silent for the whole probe: nothing to send.
        head_unknown = true;
      } else if (!IsRetryable(s)) {
        return session.Fail(s, "ingest");
      } else {
        remember_error(s, "ingest");
      }
    }
    if (head || head_unknown) {
      grpc::ClientContext ctx;
      const absl::Duration poll = std::min(kStatusPollTimeout, deadline - absl::Now());
      session.Prepare(&ctx, poll, std::max(poll, absl::Milliseconds(1)));
      ctx.set_wait_for_ready(true);
      v1::GetIndexStatusResponse status;
      const grpc::Status s = search->GetIndexStatus(&ctx, v1::GetIndexStatusRequest(), &status);
      if (s.ok()) {
        last = status;
        last_error = grpc::Status::OK;
        const bool caught_up = head ? status.applied_seq() >= *head
                                    : status.following() && status.lag() == 0;
        if (caught_up && status.compaction_pending() && !session.inv().wait_searchable_only) {
          // Searchable already; the index settles to its size on disk once
          // the compaction after the bulk load is done.
          if (!announced_compaction && !session.inv().global.json) {
            *io.err << "caught up after "
                    << absl::StrFormat("%.1fs", absl::ToDoubleSeconds(absl::Now() - start))
                    << "; waiting for the replica to compact its index\n";
          }
          announced_compaction = true;
        } else if (caught_up) {
          if (session.inv().global.json) {
            session.PrintJson(status);
          } else {
            *io.out << "caught up: applied_seq " << status.applied_seq() << ", ingest head "
                    << (head ? absl::StrCat(*head) : std::string("unknown")) << ", "
                    << status.document_count() << " documents, after "
                    << absl::StrFormat("%.1fs", absl::ToDoubleSeconds(absl::Now() - start))
                    << "\n";
          }
          return kExitOk;
        }
      } else if (!IsRetryable(s)) {
        return session.Fail(s, "search");
      } else {
        remember_error(s, "search");
      }
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) break;
    absl::SleepFor(std::min(io.wait_poll_interval, deadline - now));
  }

  if (announced_compaction && last_error.ok() && last && last->compaction_pending()) {
    // Everything is searchable; only the compaction outlasted the wait.
    *io.err << "newsearch: caught up (applied_seq " << last->applied_seq()
            << "); the replica was still compacting its index when the wait ended after "
            << absl::StrFormat("%.1fs", absl::ToDoubleSeconds(absl::Now() - start)) << "\n";
    return kExitOk;
  }
  // The last state seen, then the last error since (either may be missing).
  std::vector<std::string> detail;
  if (last) {
    detail.push_back(absl::StrCat("search applied_seq ", last->applied_seq(), ", ingest head ",
                                  head ? absl::StrCat(*head) : std::string("unknown"), ", lag ",
                                  last->lag(), ", following ", last->following() ? "yes" : "no"));
  }
  if (!last_error.ok()) {
    detail.push_back(absl::StrCat("last error from ", last_error_service, ": ",
                                  StatusCodeName(last_error.error_code()), ": ",
                                  last_error.error_message()));
  }
  *io.err << "newsearch: DEADLINE_EXCEEDED: not caught up after "
          << absl::StrFormat("%.1fs", absl::ToDoubleSeconds(absl::Now() - start)) << ": "
          << absl::StrJoin(detail, "; ") << "\n";
  return kExitError;
}

// --- ingest unary calls ---------------------------------------------------

int RunGet(const Session& session) {
  std::unique_ptr<v1::IngestService::Stub> stub = session.IngestStub();
  grpc::ClientContext ctx;
  session.Prepare(&ctx, kDefaultCallTimeout);
  v1::GetArticleRequest request;
  request.set_id(session.inv().article_id);
  v1::Article article;
  const grpc::Status status = stub->GetArticle(&ctx, request, &article);
  if (!status.ok()) return session.Fail(status, "ingest");
  if (session.inv().global.json) {
    session.PrintJson(article);
  } else {
    *session.io().out << FormatArticle(article);
  }
  return kExitOk;
}

int RunList(const Session& session) {
  std::unique_ptr<v1::IngestService::Stub> stub = session.IngestStub();
  grpc::ClientContext ctx;
  session.Prepare(&ctx, kDefaultCallTimeout);
  v1::ListArticlesResponse response;
  const grpc::Status status = stub->ListArticles(&ctx, session.inv().list, &response);
  if (!status.ok()) return session.Fail(status, "ingest");
  if (session.inv().global.json) {
    session.PrintJson(response);
  } else {
    *session.io().out << FormatArticleList(response);
  }
  return kExitOk;
}

int RunDelete(const Session& session) {
  std::unique_ptr<v1::IngestService::Stub> stub = session.IngestStub();
  grpc::ClientContext ctx;
  session.Prepare(&ctx, kDefaultCallTimeout);
  v1::DeleteArticleRequest request;
  request.set_id(session.inv().article_id);
  v1::DeleteArticleResponse response;
  const grpc::Status status = stub->DeleteArticle(&ctx, request, &response);
  if (!status.ok()) return session.Fail(status, "ingest");
  if (session.inv().global.json) {
    session.PrintJson(response);
  } else {
    *session.io().out << "deleted " << request.id() << " (seq " << response.seq() << ")\n";
  }
  return kExitOk;
}

int RunParse(const Session& session) {
  const Invocation& inv = session.inv();
  absl::StatusOr<std::string> bytes = ReadFileBytes(inv.parse.path);
  if (!bytes.ok()) {
    *session.io().err << "newsearch: " << StatusCodeName(static_cast<int>(bytes.status().code()))
                      << ": " << bytes.status().message() << "\n";
    return kExitError;
  }
  v1::IngestArticleRequest request;
  request.set_content(*std::move(bytes));
  request.set_url(inv.parse.url);
  request.set_external_id(inv.parse.external_id);
  request.set_source_hint(inv.ingest.source_hint);
  request.set_content_type(inv.ingest.content_type);
  std::unique_ptr<v1::IngestService::Stub> stub = session.IngestStub();
  grpc::ClientContext ctx;
  session.Prepare(&ctx, kDefaultCallTimeout);
  v1::ParseArticleResponse response;
  const grpc::Status status = stub->ParseArticle(&ctx, request, &response);
  if (!status.ok()) return session.Fail(status, "ingest");
  if (inv.global.json) {
    session.PrintJson(response);
  } else {
    *session.io().out << FormatParseResult(response);
  }
  return kExitOk;
}

int RunReparse(const Session& session) {
  const CommandIo& io = session.io();
  std::unique_ptr<v1::IngestService::Stub> stub = session.IngestStub();
  grpc::ClientContext ctx;
  session.Prepare(&ctx, absl::InfiniteDuration());
  std::unique_ptr<grpc::ClientReader<v1::ReparseArticlesResponse>> reader =
      stub->ReparseArticles(&ctx, session.inv().reparse);
  v1::ReparseArticlesResponse progress;
  v1::ReparseArticlesResponse last;
  bool any = false;
  while (reader->Read(&progress)) {
    last = progress;
    any = true;
    if (session.inv().global.json) {
      session.PrintJson(progress);
    } else if (io.stderr_is_tty) {
      *io.err << "\r" << FormatReparseProgress(progress) << "\033[K" << std::flush;
    } else {
      *io.err << FormatReparseProgress(progress) << "\n";
    }
  }
  if (io.stderr_is_tty && any && !session.inv().global.json) *io.err << "\n";
  const grpc::Status status = reader->Finish();
  if (!status.ok()) return session.Fail(status, "ingest");
  for (const std::string& failure : last.failures()) *io.err << "FAILED " << failure << "\n";
  if (!session.inv().global.json) *io.out << FormatReparseProgress(last) << "\n";
  return last.pages_failed() > 0 ? kExitSomePagesFailed : kExitOk;
}

// Streams a BackupStore snapshot into `<path>.partial`, checks its size and
// SHA-256, then renames it to `path` (never overwriting an existing file).
int RunBackup(const Session& session) {
  const CommandIo& io = session.io();
  const std::string& path = session.inv().backup_path;
  const std::string partial = path + ".partial";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    *io.err << "newsearch: " << path << " already exists; a backup never overwrites a file\n";
    return kExitError;
  }
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) {
    *io.err << "newsearch: cannot write " << partial << "\n";
    return kExitError;
  }
  std::unique_ptr<v1::IngestService::Stub> stub = session.IngestStub();
  grpc::ClientContext ctx;
  session.Prepare(&ctx, absl::InfiniteDuration());
  std::unique_ptr<grpc::ClientReader<v1::BackupStoreResponse>> reader =
      stub->BackupStore(&ctx, v1::BackupStoreRequest());
  v1::BackupStoreResponse message;
  v1::BackupInfo info;
  std::string sha256;
  Sha256 digest;
  int64_t written = 0;
  while (reader->Read(&message)) {
    switch (message.part_case()) {
      case v1::BackupStoreResponse::kInfo:
        info = message.info();
        break;
      case v1::BackupStoreResponse::kData:
        out.write(message.data().data(), static_cast<std::streamsize>(message.data().size()));
        digest.Update(message.data());
        written += static_cast<int64_t>(message.data().size());
        if (io.stderr_is_tty && info.size_bytes() > 0) {
          *io.err << "\rbackup: " << written * 100 / info.size_bytes() << "%" << std::flush;
        }
        break;
      case v1::BackupStoreResponse::kSha256:
        sha256 = message.sha256();
        break;
      case v1::BackupStoreResponse::PART_NOT_SET:
        break;
    }
  }
  if (io.stderr_is_tty) *io.err << "\n";
  const grpc::Status status = reader->Finish();
  out.close();
  auto fail = [&](const std::string& why) {
    std::filesystem::remove(partial, ec);
    *io.err << "newsearch: backup failed: " << why << "\n";
    return kExitError;
  };
  if (!status.ok()) {
    std::filesystem::remove(partial, ec);
    return session.Fail(status, "ingest");
  }
  if (!out) return fail(absl::StrCat("cannot write ", partial));
  const std::string got = digest.HexDigest();
  if (written != info.size_bytes()) {
    return fail(absl::StrCat("received ", written, " bytes, the server announced ",
                             info.size_bytes()));
  }
  if (sha256.empty() || got != sha256) {
    return fail(absl::StrCat("SHA-256 mismatch (server ", sha256, ", received ", got, ")"));
  }
  std::filesystem::rename(partial, path, ec);
  if (ec) return fail(absl::StrCat("cannot rename ", partial, " to ", path, ": ", ec.message()));
  if (session.inv().global.json) {
    session.PrintJson(info);
  } else {
    *io.out << absl::StrFormat("backup %s: head_seq %d, %d articles, %d bytes, sha256 %s\n", path,
                               info.head_seq(), info.article_count(), written, sha256);
  }
  return kExitOk;
}

// Channel credentials from the TLS flags: plaintext without --tls_ca_file,
// TLS with it, mutual TLS with a client certificate and key too.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials(
    const GlobalOptions& global) {
  if (global.tls_cert_file.empty() != global.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert_file and --tls_key_file go together");
  }
  if (global.tls_ca_file.empty()) {
    if (!global.tls_cert_file.empty()) {
      return absl::InvalidArgumentError("--tls_cert_file needs --tls_ca_file");
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions options;
  absl::StatusOr<std::string> ca = ReadFileBytes(global.tls_ca_file);
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *std::move(ca);
  if (!global.tls_cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadFileBytes(global.tls_cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFileBytes(global.tls_key_file);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *std::move(cert);
    options.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(options);
}

// Reads the bearer token: the file's content without surrounding whitespace,
// or the token given directly (NEWSEARCH_TOKEN) when there is no file.
absl::StatusOr<std::string> ReadToken(const std::string& path, const std::string& literal) {
  if (path.empty()) return std::string(absl::StripAsciiWhitespace(literal));
  absl::StatusOr<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  std::string token(absl::StripAsciiWhitespace(*bytes));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--token_file ", path, " is empty"));
  }
  return token;
}

}  // namespace

int RunInvocation(const Invocation& invocation, const CommandIo& io) {
  if (invocation.command == Command::kHelp) {
    *io.out << UsageText();
    return kExitOk;
  }
  absl::StatusOr<std::string> token =
      ReadToken(invocation.global.token_file, invocation.global.token);
  if (!token.ok()) {
    *io.err << "newsearch: " << StatusCodeName(static_cast<int>(token.status().code())) << ": "
            << token.status().message() << "\n";
    return kExitError;
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeCredentials(invocation.global);
  if (!credentials.ok()) {
    *io.err << "newsearch: " << StatusCodeName(static_cast<int>(credentials.status().code()))
            << ": " << credentials.status().message() << "\n";
    return kExitError;
  }
  const Session session(invocation, io, *std::move(token), *std::move(credentials));
  switch (invocation.command) {
    case Command::kIngest:
      return RunIngest(session);
    case Command::kSearch:
      return RunSearch(session);
    case Command::kGet:
      return RunGet(session);
    case Command::kList:
      return RunList(session);
    case Command::kDelete:
      return RunDelete(session);
    case Command::kStatus:
      return RunStatus(session);
    case Command::kWait:
      return RunWait(session);
    case Command::kParse:
      return RunParse(session);
    case Command::kReparse:
      return RunReparse(session);
    case Command::kBackup:
      return RunBackup(session);
    case Command::kHelp:
      break;
  }
  return kExitOk;
}

}  // namespace newsearch::cli
