// Test harness for integration tests: starts the real newsearch-ingest and
// newsearch-search binaries on free loopback ports (port 0, read back from
// --port_file) with their own data directories, and gives gRPC stubs to them.
#ifndef NEWSEARCH_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define NEWSEARCH_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "newsearch/v1/ingest.grpc.pb.h"
#include "newsearch/v1/search.grpc.pb.h"

namespace newsearch::testing {

// Returns $NEWSEARCH_SOURCE_DIR / $NEWSEARCH_BINARY_DIR when set, else the
// source and build directories this test was configured with.
std::string SourceDir();
std::string BinaryDir();
// Creates a fresh temporary directory for one test.
std::string MakeTempDir(const std::string& name);
// Reads a whole file; empty on error.
std::string ReadFile(const std::string& path);
// Lists the regular files of a directory, sorted.
std::vector<std::string> ListFiles(const std::string& dir);

// Runs a shell command; returns its exit status and puts stdout+stderr in
// `output`.
int RunCommand(const std::string& command, std::string* output);
// The same, returning the output and setting *exit_code.
std::string RunShell(const std::string& command, int* exit_code);
// Returns a loopback port that was free a moment ago.
int FreePort();
// GET http://127.0.0.1:port/path with HTTP/1.0; returns the whole response
// (headers and body), empty when the connection fails.
std::string HttpGet(int port, const std::string& path);

// Polls `done` every 20 ms until it returns true or `timeout` passes.
bool WaitFor(const std::function<bool()>& done, absl::Duration timeout);

// One server binary running as a child process.
class ServerProcess {
 public:
  // `binary` relative to the build dir, e.g. "ingest-service/server/newsearch-ingest".
  ServerProcess(std::string binary, std::vector<std::string> args, std::string work_dir);
  ~ServerProcess();

  // Starts the process with --listen=127.0.0.1:0 --port_file=... plus args;
  // waits until the port file appears (and the port accepts gRPC). Returns
  // false on timeout or early exit.
  bool Start(absl::Duration timeout = absl::Seconds(30));
  // SIGKILL and reap.
  void Kill();
  // SIGTERM and reap; returns the exit status (as from waitpid) or -1 on
  // timeout (then SIGKILL).
  int Terminate(absl::Duration timeout = absl::Seconds(30));
  // Makes later Start() calls listen on the port of the last start (to
  // restart a server where its clients expect it).
  void KeepPort() { fixed_port_ = port_; }
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string address() const;
  pid_t pid() const { return pid_; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string work_dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
  int fixed_port_ = 0;
};

// A running ingest service and its client stub.
class IngestFixture {
 public:
  explicit IngestFixture(const std::string& data_root, std::vector<std::string> extra_args = {});
  bool Start() { return process_.Start() && Connect(); }
  ServerProcess& process() { return process_; }
  v1::IngestService::Stub& stub() { return *stub_; }
  std::string address() const { return process_.address(); }
  // Ingests one page; returns the gRPC status and fills `response`.
  grpc::Status Ingest(const std::string& content, v1::IngestArticleResponse* response,
                      const std::string& external_id = "", const std::string& url = "");
  int64_t HeadSeq();  // via a StreamChanges heartbeat-free probe: max seq listed

 private:
  bool Connect();
  ServerProcess process_;
  std::unique_ptr<v1::IngestService::Stub> stub_;
};

// A running search replica following `ingest_address`.
class SearchFixture {
 public:
  SearchFixture(const std::string& data_dir, const std::string& ingest_address,
                std::vector<std::string> extra_args = {});
  bool Start() { return process_.Start() && Connect(); }
  ServerProcess& process() { return process_; }
  v1::SearchService::Stub& stub() { return *stub_; }
  std::string address() const { return process_.address(); }
  grpc::Status Search(const v1::SearchRequest& request, v1::SearchResponse* response);
  // Convenience: ids of all hits of `query` (paging through every page).
  std::vector<std::string> AllHitIds(const std::string& query);
  v1::GetIndexStatusResponse Status();
  // Waits until applied_seq >= seq.
  bool WaitForSeq(int64_t seq, absl::Duration timeout = absl::Seconds(120));

 private:
  bool Connect();
  ServerProcess process_;
  std::unique_ptr<v1::SearchService::Stub> stub_;
};

// A page of a suite's own corpus: `key` names it in the tests and is its
// external id; `text` is the raw page, yielding exactly one article.
struct KeyedPage {
  const char* key;
  const char* text;
};

// One ingest and one search replica under `root` (the replica started with
// `search_args`) holding `pages`: started, ingested and caught up by the
// constructor, for suites that share one pair of servers and never change
// the data. error() says what failed; empty once ready.
class ServedPages {
 public:
  ServedPages(const std::string& root, const std::vector<KeyedPage>& pages,
              std::vector<std::string> search_args);
  bool ready() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  IngestFixture& ingest() { return ingest_; }
  SearchFixture& search() { return *search_; }
  // The article id of page `key`, and back ("?" for an id of no page).
  const std::string& IdOf(const std::string& key) const { return ids_.at(key); }
  std::string KeyOf(const std::string& id) const;

 private:
  IngestFixture ingest_;
  std::unique_ptr<SearchFixture> search_;   // follows ingest_, whose port is known once started
  std::map<std::string, std::string> ids_;  // page key -> article id
  std::string error_;
};

}  // namespace newsearch::testing

#endif  // NEWSEARCH_TESTS_INTEGRATION_SERVER_PROCESS_H_
