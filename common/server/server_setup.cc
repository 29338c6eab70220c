#include "common/server/server_setup.h"

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace newsearch::server {

std::string EnvVarForFlag(absl::string_view flag_name) {
  return absl::StrCat("NEWSEARCH_", absl::AsciiStrToUpper(flag_name));
}

absl::Status ApplyEnvironmentToFlags(const std::vector<std::string>& flag_names) {
  std::vector<std::string> problems;
  for (const std::string& name : flag_names) {
    const std::string env = EnvVarForFlag(name);
    const char* value = std::getenv(env.c_str());
    if (value == nullptr) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) {
      problems.push_back(absl::StrCat(env, ": no flag --", name));
      continue;
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      problems.push_back(absl::StrCat(env, "=\"", value, "\": ", error));
    }
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
  }
  return absl::OkStatus();
}

namespace {
sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}
}  // namespace

void ConfigureMutexChecks() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A client that goes away mid-write must not kill the server.
  signal(SIGPIPE, SIG_IGN);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

void ConfigureServerBuilder(grpc::ServerBuilder* builder, int max_receive_message_bytes) {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  builder->SetMaxReceiveMessageSize(max_receive_message_bytes);
  builder->SetMaxSendMessageSize(max_receive_message_bytes);
  // Change streams stay open for days: accept client keepalive pings every
  // 10 s even without data, and ping idle clients ourselves.
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  // Ping-flood protection: a client that pings more often than that twice
  // in a row is sent GOAWAY (gRPC's default; 0 would allow any rate).
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  // Behind a ClusterIP Service a client keeps its first connection, and so
  // its first replica, for ever: after about five minutes (gRPC adds +-10%
  // jitter) the server asks it to reconnect (GOAWAY), so load spreads over
  // replicas added since. Calls in flight, change streams and bulk ingest
  // streams included, run to their end on the old connection (the grace is
  // left unbounded); new calls go to the new connection.
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 5 * 60 * 1000);
}

grpc::ChannelArguments StreamingChannelArguments(int max_receive_message_bytes) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_receive_message_bytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Reconnect quickly after the ingest service restarts; our own loop backs off.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  return args;
}

absl::Status WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write port file ", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::Status EnsureDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create directory ", dir, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace newsearch::server
