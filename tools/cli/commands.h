// Runs a parsed `newsearch` command line (args.h) against the ingest and
// search services, through the generated gRPC stubs only, and writes what it
// prints to the given streams. main.cc is a thin wrapper around
// RunInvocation; tests drive it against in-process fake services.
#ifndef NEWSEARCH_TOOLS_CLI_COMMANDS_H_
#define NEWSEARCH_TOOLS_CLI_COMMANDS_H_

#include <ostream>

#include "absl/time/time.h"
#include "tools/cli/args.h"

namespace newsearch::cli {

// Where output goes and what the terminal can do.
struct CommandIo {
  std::ostream* out = nullptr;  // Results (hits, articles, JSON).
  std::ostream* err = nullptr;  // Progress, failures, errors.
  // Progress redrawn in place on stderr (else one line per 1000 pages).
  bool stderr_is_tty = false;
  // Highlights in ANSI bold on stdout (else 【…】).
  bool color = false;
  // Pause between two index status polls of `wait`.
  absl::Duration wait_poll_interval = absl::Milliseconds(100);
};

// Runs `invocation` and returns the process exit code (kExitOk,
// kExitError, kExitSomePagesFailed; see args.h). RPC failures are printed
// on io.err as `newsearch: <CODE_NAME>: <message> (<service> <address>)`.
// Blocks until the command is done; for `wait` at most the timeout.
//
// `wait` reads the ingest head once (the head_seq of the first StreamChanges
// response after seq 0, sent at once when the store holds anything), then
// polls the replica's GetIndexStatus until applied_seq >= that head. Both
// calls wait for their server to come up, so `wait` also serves as "both
// servers are ready" right after starting them. If the ingest service is
// connected but silent for 7 s (an empty store), it falls back to the
// replica's own view: following and lag 0. It gives up at once on a
// non-transient error such as UNIMPLEMENTED or UNAUTHENTICATED.
// Limitations: pages stored after the head was read are not waited for.
int RunInvocation(const Invocation& invocation, const CommandIo& io);

}  // namespace newsearch::cli

#endif  // NEWSEARCH_TOOLS_CLI_COMMANDS_H_
