#include "tests/integration/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace newsearch::testing {

std::string SourceDir() {
  const char* dir = std::getenv("NEWSEARCH_SOURCE_DIR");
  return dir != nullptr ? dir : NEWSEARCH_DEFAULT_SOURCE_DIR;
}

std::string BinaryDir() {
  const char* dir = std::getenv("NEWSEARCH_BINARY_DIR");
  return dir != nullptr ? dir : NEWSEARCH_DEFAULT_BINARY_DIR;
}

std::string MakeTempDir(const std::string& name) {
  std::string tmpl = (std::filesystem::temp_directory_path() / ("newsearch-" + name + "-XXXXXX")).string();
  char* made = mkdtemp(tmpl.data());
  return made != nullptr ? std::string(made) : std::string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

int RunCommand(const std::string& command, std::string* output) {
  output->clear();
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output->append(buffer, n);
  return pclose(pipe);
}

std::string RunShell(const std::string& command, int* exit_code) {
  std::string output;
  *exit_code = RunCommand(command, &output);
  return output;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: localhost\r\n\r\n");
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, n);
  close(fd);
  return response;
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (done()) return true;
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

ServerProcess::ServerProcess(std::string binary, std::vector<std::string> args,
                             std::string work_dir)
    : binary_(std::move(binary)), args_(std::move(args)), work_dir_(std::move(work_dir)) {}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
}

std::string ServerProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

bool ServerProcess::Start(absl::Duration timeout) {
  std::filesystem::create_directories(work_dir_);
  const std::string port_file = absl::StrCat(work_dir_, "/port-", ++starts_);
  const std::string log_file = absl::StrCat(work_dir_, "/server-", starts_, ".log");
  std::filesystem::remove(port_file);
  std::vector<std::string> argv_strings = {BinaryDir() + "/" + binary_,
                                           absl::StrCat("--listen=127.0.0.1:", fixed_port_),
                                           "--port_file=" + port_file};
  argv_strings.insert(argv_strings.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  port_ = 0;
  const bool up = WaitFor(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          return true;  // exited early
        }
        std::string text = ReadFile(port_file);
        int port = 0;
        if (absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port) && port > 0) {
          port_ = port;
          return true;
        }
        return false;
      },
      timeout);
  if (!up || pid_ <= 0 || port_ == 0) {
    if (pid_ > 0) Kill();
    return false;
  }
  return true;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int ServerProcess::Terminate(absl::Duration timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  pid_t reaped = 0;
  const bool exited = WaitFor(
      [&] {
        reaped = waitpid(pid_, &status, WNOHANG);
        return reaped == pid_;
      },
      timeout);
  if (!exited) {
    Kill();
    return -1;
  }
  pid_ = -1;
  return status;
}

IngestFixture::IngestFixture(const std::string& data_root, std::vector<std::string> extra_args)
    : process_("ingest-service/server/newsearch-ingest",
               [&] {
                 std::vector<std::string> args = {"--data_dir=" + data_root + "/ingest",
                                                  "--heartbeat_seconds=1"};
                 args.insert(args.end(), extra_args.begin(), extra_args.end());
                 return args;
               }(),
               data_root + "/ingest-run") {}

bool IngestFixture::Connect() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  stub_ = v1::IngestService::NewStub(
      grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args));
  return true;
}

grpc::Status IngestFixture::Ingest(const std::string& content,
                                   v1::IngestArticleResponse* response,
                                   const std::string& external_id, const std::string& url) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::IngestArticleRequest request;
  request.set_content(content);
  request.set_external_id(external_id);
  request.set_url(url);
  return stub_->IngestArticle(&context, request, response);
}

int64_t IngestFixture::HeadSeq() {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::StreamChangesRequest request;
  // Every response carries head_seq; ask for the smallest first one.
  request.set_after_seq(0);
  request.set_max_batch_size(1);
  request.set_max_batch_bytes(1);
  auto reader = stub_->StreamChanges(&context, request);
  v1::StreamChangesResponse response;
  int64_t head = -1;
  if (reader->Read(&response)) head = response.head_seq();
  context.TryCancel();
  reader->Finish();
  return head;
}

SearchFixture::SearchFixture(const std::string& data_dir, const std::string& ingest_address,
                             std::vector<std::string> extra_args)
    : process_("search-service/server/newsearch-search",
               [&] {
                 std::vector<std::string> args = {"--data_dir=" + data_dir,
                                                  "--ingest_address=" + ingest_address,
                                                  "--flush_interval_ms=50",
                                                  "--log_level=debug"};
                 args.insert(args.end(), extra_args.begin(), extra_args.end());
                 return args;
               }(),
               data_dir + "-run") {}

bool SearchFixture::Connect() {
  stub_ = v1::SearchService::NewStub(
      grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  return true;
}

grpc::Status SearchFixture::Search(const v1::SearchRequest& request,
                                   v1::SearchResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return stub_->Search(&context, request, response);
}

std::vector<std::string> SearchFixture::AllHitIds(const std::string& query) {
  std::vector<std::string> ids;
  v1::SearchRequest request;
  request.set_query(query);
  request.set_page_size(100);
  while (true) {
    v1::SearchResponse response;
    if (!Search(request, &response).ok()) break;
    for (const auto& hit : response.hits()) ids.push_back(hit.id());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return ids;
}

v1::GetIndexStatusResponse SearchFixture::Status() {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetIndexStatusResponse response;
  stub_->GetIndexStatus(&context, v1::GetIndexStatusRequest(), &response);
  return response;
}

bool SearchFixture::WaitForSeq(int64_t seq, absl::Duration timeout) {
  return WaitFor([&] { return Status().applied_seq() >= seq; }, timeout);
}

ServedPages::ServedPages(const std::string& root, const std::vector<KeyedPage>& pages,
                         std::vector<std::string> search_args)
    : ingest_(root) {
  const bool ingest_started = ingest_.Start();
  search_ = std::make_unique<SearchFixture>(
      root + "/search", ingest_started ? ingest_.address() : "", std::move(search_args));
  if (!ingest_started) {
    error_ = absl::StrCat("newsearch-ingest did not start; see ", root);
    return;
  }
  if (!search_->Start()) {
    error_ = absl::StrCat("newsearch-search did not start; see ", root);
    return;
  }
  int64_t max_seq = 0;
  for (const KeyedPage& page : pages) {
    v1::IngestArticleResponse response;
    const grpc::Status status = ingest_.Ingest(page.text, &response, page.key);
    if (!status.ok() || response.articles_size() != 1) {
      error_ = absl::StrCat("ingesting page '", page.key, "': ", status.error_message(), " (",
                            response.articles_size(), " articles); see ", root);
      return;
    }
    ids_[page.key] = response.articles(0).id();
    max_seq = std::max(max_seq, response.articles(0).seq());
  }
  if (!search_->WaitForSeq(max_seq)) {
    error_ = absl::StrCat("search did not reach seq ", max_seq, "; see ", root);
  }
}

std::string ServedPages::KeyOf(const std::string& id) const {
  for (const auto& [key, value] : ids_) {
    if (value == id) return key;
  }
  return "?";
}

}  // namespace newsearch::testing
