// Command-line parsing for the `newsearch` client: argv -> Invocation.
//
// The client has subcommands with their own flags (`search --source S
// --source T`), repeated flags and positional arguments: CLI11 (Debian's
// libcli11-dev) matches them, and this file checks and converts the values
// with messages that name the flag. It stays unit-testable: it never
// touches the process environment or the network (environment variables
// come in through an EnvLookup). commands.h runs the Invocation it returns.
#ifndef NEWSEARCH_TOOLS_CLI_ARGS_H_
#define NEWSEARCH_TOOLS_CLI_ARGS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "newsearch/v1/ingest.pb.h"
#include "newsearch/v1/search.pb.h"

namespace newsearch::cli {

// Process exit codes of the client.
inline constexpr int kExitOk = 0;
// RPC or connection error, unreadable input, `wait` timed out.
inline constexpr int kExitError = 1;
// `ingest` or `reparse` finished but some pages failed.
inline constexpr int kExitSomePagesFailed = 2;
// Bad command line (EX_USAGE from sysexits.h).
inline constexpr int kExitUsage = 64;

inline constexpr char kDefaultIngestAddress[] = "127.0.0.1:50051";
inline constexpr char kDefaultSearchAddress[] = "127.0.0.1:50052";

enum class Command {
  kHelp,
  kIngest,
  kSearch,
  kGet,
  kList,
  kDelete,
  kStatus,
  kWait,
  kParse,
  kReparse,
  kBackup,
};

// Flags every subcommand accepts.
struct GlobalOptions {
  // --ingest, env NEWSEARCH_INGEST_ADDRESS: the IngestService address.
  std::string ingest_address = kDefaultIngestAddress;
  // --search, env NEWSEARCH_SEARCH_ADDRESS: the SearchService address.
  std::string search_address = kDefaultSearchAddress;
  // --timeout (seconds, or an absl duration such as "500ms"), env
  // NEWSEARCH_TIMEOUT. Unset: 30 s per unary call, no deadline for the ingest
  // stream, 60 s in total for `wait`. For `wait` it bounds the whole wait.
  std::optional<absl::Duration> timeout;
  // --token_file, env NEWSEARCH_TOKEN_FILE: file holding a bearer token sent
  // as `authorization: Bearer <token>` metadata on every call. Empty: none.
  std::string token_file;
  // Env NEWSEARCH_TOKEN: the bearer token itself, used when no token file
  // is given.
  std::string token;
  // --tls_ca_file, env NEWSEARCH_TLS_CA_FILE: PEM CA bundle that signed the
  // servers' certificates; set = connect with TLS.
  std::string tls_ca_file;
  // --tls_cert_file / --tls_key_file, env NEWSEARCH_TLS_CERT_FILE /
  // NEWSEARCH_TLS_KEY_FILE: client certificate and key for mutual TLS.
  std::string tls_cert_file;
  std::string tls_key_file;
  // --json: print responses as JSON (one object per line) instead of text.
  bool json = false;
};

// Flags of `ingest`.
struct IngestOptions {
  // Files and directories; directories are walked recursively (input_files.h).
  std::vector<std::string> paths;
  // --source_hint: IngestArticleRequest.source_hint of every page.
  std::string source_hint;
  // --content_type: IngestArticleRequest.content_type of every page.
  std::string content_type;
  // external_id = the path relative to the directory argument (or the file
  // name for a file argument), unless --no_external_id_from_path.
  bool external_id_from_path = true;
};

// Flags of `parse` (besides --source_hint and --content_type, kept in
// IngestOptions).
struct ParseOptions {
  // The page file to send.
  std::string path;
  // --url, --external_id: the request fields (they decide the article ids).
  std::string url;
  std::string external_id;
};

// A fully parsed command line.
struct Invocation {
  Command command = Command::kHelp;
  GlobalOptions global;
  IngestOptions ingest;
  // `search`: the request to send (query, sources, time range, sort, paging).
  newsearch::v1::SearchRequest search;
  // `list`: the request to send.
  newsearch::v1::ListArticlesRequest list;
  // `get` / `delete`: the article id.
  std::string article_id;
  // `parse`: the file and request fields.
  ParseOptions parse;
  // `reparse`: the request to send (--batch_size).
  newsearch::v1::ReparseArticlesRequest reparse;
  // `backup`: the file to write (must not exist).
  std::string backup_path;
  // `wait --searchable_only`: return once everything is searchable, without
  // waiting for the replica's compaction after a bulk load.
  bool wait_searchable_only = false;
};

// Returns the value of an environment variable, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Parses `args` (argv without the program name). Global flags may come
// before or after the subcommand, the subcommand's own flags after it, as
// `--name=value` or `--name value` (booleans: `--json`, `--json=false`);
// `--` ends the flags. Precedence: flag, then environment (through `env`), then default.
// Returns INVALID_ARGUMENT with a message naming the offending argument for
// an unknown subcommand or flag, a flag given to a subcommand that does not
// take it, a missing or malformed value, or a wrong number of positionals.
// `--help`, `-h` and `help` give Command::kHelp.
absl::StatusOr<Invocation> ParseCommandLine(const std::vector<std::string>& args,
                                            const EnvLookup& env);

// Parses a --after/--before value: `YYYY-MM-DD` (midnight), `YYYY-MM-DD HH:MM`,
// `YYYY-MM-DDTHH:MM[:SS]`, read as China Standard Time (UTC+8), or RFC 3339
// with an explicit offset. INVALID_ARGUMENT otherwise.
absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view value);

// Parses a --timeout value: seconds ("2.5") or an absl duration ("500ms",
// "1m"). Must be positive. INVALID_ARGUMENT otherwise.
absl::StatusOr<absl::Duration> ParseTimeoutFlag(absl::string_view value);

// The text `newsearch help` prints.
std::string UsageText();

}  // namespace newsearch::cli

#endif  // NEWSEARCH_TOOLS_CLI_ARGS_H_
