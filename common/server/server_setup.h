// Plumbing shared by both servers: settings from environment variables,
// listening, keepalive, reflection, port files and termination signals.
#ifndef NEWSEARCH_COMMON_SERVER_SERVER_SETUP_H_
#define NEWSEARCH_COMMON_SERVER_SERVER_SETUP_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsearch::server {

// For each absl flag named in `flag_names` that has an environment variable
// NEWSEARCH_<UPPER_NAME>, parses that value into the flag. Call before
// absl::ParseCommandLine so that a command-line flag wins over the
// environment, which wins over the default. Returns every bad value at once.
absl::Status ApplyEnvironmentToFlags(const std::vector<std::string>& flag_names);
// Returns the environment variable name for a flag: "data_dir" -> NEWSEARCH_DATA_DIR.
std::string EnvVarForFlag(absl::string_view flag_name);

// Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread (call first in
// main, so every thread started later inherits the mask).
void BlockTerminationSignals();
// Waits for SIGTERM or SIGINT (blocked by BlockTerminationSignals) and
// returns its number.
int WaitForTerminationSignal();

// Debian builds Abseil without NDEBUG, so every absl::Mutex lock (ours and
// gRPC's) records itself in a process-wide lock graph to catch lock-order
// cycles. Release builds of the servers turn that bookkeeping off; debug
// builds, which the tests run, keep it. Call first in main, before any
// thread starts.
void ConfigureMutexChecks();

// Applies the settings both servers share to a builder: message size limits,
// keepalive that tolerates long-lived idle streams, and server reflection.
void ConfigureServerBuilder(grpc::ServerBuilder* builder, int max_receive_message_bytes);
// Channel arguments for clients of long-lived streams (keepalive pings).
grpc::ChannelArguments StreamingChannelArguments(int max_receive_message_bytes);

// Writes `port` followed by a newline to `path` atomically (temp + rename),
// so a test or script that waits for the file reads a complete number.
absl::Status WritePortFile(const std::string& path, int port);
// Creates `dir` and its parents when missing.
absl::Status EnsureDirectory(const std::string& dir);

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_SERVER_SETUP_H_
