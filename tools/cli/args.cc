#include "tools/cli/args.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/base/status_macros.h"

namespace newsearch::cli {
namespace {

// Bit per subcommand, for the table of which command accepts which flag.
constexpr uint32_t Bit(Command c) { return 1u << static_cast<uint32_t>(c); }
constexpr uint32_t kAllCommands = ~0u;

struct FlagSpec {
  const char* name;
  bool takes_value;
  uint32_t commands;  // Commands that accept the flag.
};

constexpr FlagSpec kFlags[] = {
    {"ingest", true, kAllCommands},
    {"search", true, kAllCommands},
    {"timeout", true, kAllCommands},
    {"token_file", true, kAllCommands},
    {"tls_ca_file", true, kAllCommands},
    {"tls_cert_file", true, kAllCommands},
    {"tls_key_file", true, kAllCommands},
    {"json", false, kAllCommands},
    {"help", false, kAllCommands},
    {"source_hint", true, Bit(Command::kIngest) | Bit(Command::kParse)},
    {"content_type", true, Bit(Command::kIngest) | Bit(Command::kParse)},
    {"url", true, Bit(Command::kParse)},
    {"external_id", true, Bit(Command::kParse)},
    {"batch_size", true, Bit(Command::kReparse)},
    {"external_id_from_path", false, Bit(Command::kIngest)},
    {"source", true, Bit(Command::kSearch)},
    {"after", true, Bit(Command::kSearch)},
    {"before", true, Bit(Command::kSearch)},
    {"sort", true, Bit(Command::kSearch)},
    {"page_size", true, Bit(Command::kSearch) | Bit(Command::kList)},
    {"page_token", true, Bit(Command::kSearch) | Bit(Command::kList)},
    {"year", true, Bit(Command::kSearch)},
    {"month", true, Bit(Command::kSearch)},
    {"facets", false, Bit(Command::kSearch)},
    {"expand_duplicates", false, Bit(Command::kSearch)},
    {"debug", false, Bit(Command::kSearch)},
    {"strict", false, Bit(Command::kSearch)},
    {"relax_threshold", true, Bit(Command::kSearch)},
};

const FlagSpec* FindFlag(absl::string_view name) {
  for (const FlagSpec& spec : kFlags) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

struct ParsedFlag {
  const FlagSpec* spec;
  std::string value;  // "true" for a bare boolean flag.
};

struct CommandName {
  const char* name;
  Command command;
};

constexpr CommandName kCommands[] = {
    {"help", Command::kHelp},     {"ingest", Command::kIngest}, {"search", Command::kSearch},
    {"get", Command::kGet},       {"list", Command::kList},     {"delete", Command::kDelete},
    {"status", Command::kStatus}, {"wait", Command::kWait},
    {"parse", Command::kParse},   {"reparse", Command::kReparse},
    {"backup", Command::kBackup},
};

const char* NameOf(Command command) {
  for (const CommandName& c : kCommands) {
    if (c.command == command) return c.name;
  }
  return "?";
}

absl::StatusOr<bool> ParseBool(const std::string& flag, absl::string_view value) {
  bool result = false;
  if (!absl::SimpleAtob(value, &result)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " takes true or false, not \"", value, "\""));
  }
  return result;
}

absl::StatusOr<int32_t> ParsePageSize(absl::string_view value) {
  int32_t size = 0;
  if (!absl::SimpleAtoi(value, &size) || size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--page_size takes a non-negative integer, not \"", value, "\""));
  }
  return size;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t seconds = absl::ToUnixSeconds(t);
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return ts;
}

absl::StatusOr<newsearch::v1::SortOrder> ParseSort(absl::string_view value) {
  if (value == "relevance") return newsearch::v1::SORT_ORDER_RELEVANCE;
  if (value == "date" || value == "date_desc") return newsearch::v1::SORT_ORDER_DATE_DESC;
  if (value == "date_asc") return newsearch::v1::SORT_ORDER_DATE_ASC;
  if (value == "recency") return newsearch::v1::SORT_ORDER_RELEVANCE_RECENCY;
  return absl::InvalidArgumentError(absl::StrCat(
      "--sort takes relevance, date (newest first), date_asc or recency, not \"", value, "\""));
}

// Applies one flag to `inv`; the command has already been checked to accept it.
absl::Status ApplyFlag(const ParsedFlag& flag, Invocation* inv) {
  const std::string name = flag.spec->name;
  const std::string& value = flag.value;
  if (name == "ingest") {
    inv->global.ingest_address = value;
  } else if (name == "search") {
    inv->global.search_address = value;
  } else if (name == "timeout") {
    NEWSEARCH_ASSIGN_OR_RETURN(inv->global.timeout, ParseTimeoutFlag(value));
  } else if (name == "token_file") {
    inv->global.token_file = value;
  } else if (name == "tls_ca_file") {
    inv->global.tls_ca_file = value;
  } else if (name == "tls_cert_file") {
    inv->global.tls_cert_file = value;
  } else if (name == "tls_key_file") {
    inv->global.tls_key_file = value;
  } else if (name == "json") {
    NEWSEARCH_ASSIGN_OR_RETURN(inv->global.json, ParseBool(name, value));
  } else if (name == "source_hint") {
    inv->ingest.source_hint = value;
  } else if (name == "content_type") {
    inv->ingest.content_type = value;
  } else if (name == "external_id_from_path") {
    NEWSEARCH_ASSIGN_OR_RETURN(inv->ingest.external_id_from_path, ParseBool(name, value));
  } else if (name == "url") {
    inv->parse.url = value;
  } else if (name == "external_id") {
    inv->parse.external_id = value;
  } else if (name == "batch_size") {
    int32_t size = 0;
    if (!absl::SimpleAtoi(value, &size) || size < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--batch_size takes a non-negative integer, not \"", value, "\""));
    }
    inv->reparse.set_batch_size(size);
  } else if (name == "source") {
    if (value.empty()) return absl::InvalidArgumentError("--source needs a source name");
    inv->search.add_sources(value);
  } else if (name == "after" || name == "before") {
    absl::StatusOr<absl::Time> t = ParseTimeFlag(value);
    if (!t.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", t.status().message()));
    }
    *(name == "after" ? inv->search.mutable_published_after()
                      : inv->search.mutable_published_before()) = ToTimestamp(*t);
  } else if (name == "sort") {
    NEWSEARCH_ASSIGN_OR_RETURN(newsearch::v1::SortOrder sort, ParseSort(value));
    inv->search.set_sort(sort);
  } else if (name == "page_size") {
    NEWSEARCH_ASSIGN_OR_RETURN(int32_t size, ParsePageSize(value));
    inv->search.set_page_size(size);
    inv->list.set_page_size(size);
  } else if (name == "page_token") {
    inv->search.set_page_token(value);
    inv->list.set_page_token(value);
  } else if (name == "year" || name == "month") {
    // The server checks the form and says what is wrong.
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    if (name == "year") {
      inv->search.add_years(value);
    } else {
      inv->search.add_months(value);
    }
  } else if (name == "facets") {
    NEWSEARCH_ASSIGN_OR_RETURN(bool on, ParseBool(name, value));
    inv->search.set_include_facets(on);
  } else if (name == "expand_duplicates") {
    NEWSEARCH_ASSIGN_OR_RETURN(bool on, ParseBool(name, value));
    inv->search.set_expand_duplicates(on);
  } else if (name == "debug") {
    NEWSEARCH_ASSIGN_OR_RETURN(bool on, ParseBool(name, value));
    inv->search.set_debug(on);
  } else if (name == "strict") {
    NEWSEARCH_ASSIGN_OR_RETURN(bool on, ParseBool(name, value));
    inv->search.set_strict(on);
  } else if (name == "relax_threshold") {
    int threshold = 0;
    if (!absl::SimpleAtoi(value, &threshold) || threshold < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--relax_threshold must be a positive integer, got '", value, "'"));
    }
    inv->search.set_relax_threshold(threshold);
  }
  return absl::OkStatus();
}

absl::Status CheckPositionals(Command command, const std::vector<std::string>& positionals) {
  const size_t n = positionals.size();
  auto error = [&](absl::string_view want) {
    return absl::InvalidArgumentError(absl::StrCat("`newsearch ", NameOf(command), "` takes ",
                                                   want, ", got ", n, " argument",
                                                   n == 1 ? "" : "s"));
  };
  switch (command) {
    case Command::kIngest:
      if (n == 0) return error("at least one file or directory");
      break;
    case Command::kGet:
    case Command::kDelete:
      if (n != 1) return error("exactly one article id");
      if (positionals[0].empty()) {
        return absl::InvalidArgumentError("the article id must not be empty");
      }
      break;
    case Command::kParse:
      if (n != 1) return error("exactly one page file");
      break;
    case Command::kBackup:
      if (n != 1) return error("exactly one output file");
      break;
    case Command::kList:
    case Command::kStatus:
    case Command::kWait:
    case Command::kReparse:
      if (n != 0) return error("no positional arguments");
      break;
    case Command::kHelp:
    case Command::kSearch:
      break;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view value) {
  const absl::TimeZone cst = absl::FixedTimeZone(8 * 60 * 60);
  // A `%z`/`%Ez` in the format makes the explicit offset win over `cst`.
  static constexpr const char* kFormats[] = {
      "%Y-%m-%d",         "%Y-%m-%d %H:%M",    "%Y-%m-%d %H:%M:%S",
      "%Y-%m-%dT%H:%M",   "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d%ET%H:%M:%E*S%Ez",
      "%Y-%m-%d%ET%H:%M%Ez",
  };
  const std::string text(absl::StripAsciiWhitespace(value));
  for (const char* format : kFormats) {
    absl::Time t;
    std::string ignored;
    if (absl::ParseTime(format, text, cst, &t, &ignored)) return t;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", value,
      "\" is not a date: use YYYY-MM-DD, \"YYYY-MM-DD HH:MM\" (UTC+8) or RFC 3339"));
}

absl::StatusOr<absl::Duration> ParseTimeoutFlag(absl::string_view value) {
  double seconds = 0;
  absl::Duration d;
  if (absl::SimpleAtod(value, &seconds)) {
    d = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(value, &d)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--timeout takes seconds (\"2.5\") or a duration (\"500ms\"), not \"", value, "\""));
  }
  if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout must be positive and finite, not \"", value, "\""));
  }
  return d;
}

absl::StatusOr<Invocation> ParseCommandLine(const std::vector<std::string>& args,
                                            const EnvLookup& env) {
  std::vector<ParsedFlag> flags;
  std::vector<std::string> positionals;
  bool help = false;
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_ended || arg == "-" || arg.empty() || arg[0] != '-') {
      positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    if (arg == "-h") {
      help = true;
      continue;
    }
    absl::string_view body = arg;
    if (!absl::ConsumePrefix(&body, "--")) absl::ConsumePrefix(&body, "-");
    std::string name;
    std::optional<std::string> value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = std::string(body.substr(0, eq));
      value = std::string(body.substr(eq + 1));
    } else {
      name = std::string(body);
    }
    const FlagSpec* spec = FindFlag(name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg));
    }
    if (spec->takes_value && !value.has_value()) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = args[++i];
    }
    if (name == "help") {
      help = true;
      continue;
    }
    flags.push_back({spec, value.value_or("true")});
  }

  Invocation inv;
  if (help || (!positionals.empty() && positionals[0] == "help")) {
    inv.command = Command::kHelp;
    return inv;
  }
  if (positionals.empty()) {
    return absl::InvalidArgumentError("missing command");
  }
  bool known = false;
  for (const CommandName& c : kCommands) {
    if (positionals[0] == c.name) {
      inv.command = c.command;
      known = true;
    }
  }
  if (!known) {
    return absl::InvalidArgumentError(absl::StrCat("unknown command \"", positionals[0], "\""));
  }
  positionals.erase(positionals.begin());
  NEWSEARCH_RETURN_IF_ERROR(CheckPositionals(inv.command, positionals));

  // Environment first, so that flags applied afterwards win.
  if (auto v = env("NEWSEARCH_INGEST_ADDRESS"); v && !v->empty()) {
    inv.global.ingest_address = *v;
  }
  if (auto v = env("NEWSEARCH_SEARCH_ADDRESS"); v && !v->empty()) {
    inv.global.search_address = *v;
  }
  if (auto v = env("NEWSEARCH_TOKEN_FILE"); v && !v->empty()) inv.global.token_file = *v;
  if (auto v = env("NEWSEARCH_TOKEN"); v && !v->empty()) inv.global.token = *v;
  if (auto v = env("NEWSEARCH_TLS_CA_FILE"); v && !v->empty()) inv.global.tls_ca_file = *v;
  if (auto v = env("NEWSEARCH_TLS_CERT_FILE"); v && !v->empty()) inv.global.tls_cert_file = *v;
  if (auto v = env("NEWSEARCH_TLS_KEY_FILE"); v && !v->empty()) inv.global.tls_key_file = *v;
  if (auto v = env("NEWSEARCH_TIMEOUT"); v && !v->empty()) {
    absl::StatusOr<absl::Duration> timeout = ParseTimeoutFlag(*v);
    if (!timeout.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("NEWSEARCH_TIMEOUT: ", timeout.status().message()));
    }
    inv.global.timeout = *timeout;
  }

  for (const ParsedFlag& flag : flags) {
    if ((flag.spec->commands & Bit(inv.command)) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag.spec->name,
                                                     " is not a flag of `newsearch ",
                                                     NameOf(inv.command), "`"));
    }
    NEWSEARCH_RETURN_IF_ERROR(ApplyFlag(flag, &inv));
  }
  if (inv.global.ingest_address.empty() || inv.global.search_address.empty()) {
    return absl::InvalidArgumentError("--ingest and --search must not be empty");
  }

  switch (inv.command) {
    case Command::kIngest:
      inv.ingest.paths = positionals;
      break;
    case Command::kSearch:
      inv.search.set_query(absl::StrJoin(positionals, " "));
      if (inv.search.has_published_after() && inv.search.has_published_before()) {
        const auto& a = inv.search.published_after();
        const auto& b = inv.search.published_before();
        if (std::make_pair(a.seconds(), a.nanos()) >= std::make_pair(b.seconds(), b.nanos())) {
          return absl::InvalidArgumentError("--after must be earlier than --before");
        }
      }
      break;
    case Command::kGet:
    case Command::kDelete:
      inv.article_id = positionals[0];
      break;
    case Command::kParse:
      inv.parse.path = positionals[0];
      break;
    case Command::kBackup:
      inv.backup_path = positionals[0];
      break;
    default:
      break;
  }
  return inv;
}

std::string UsageText() {
  return R"(newsearch: command-line client of the newsearch ingest and search services.

Usage: newsearch [global flags] COMMAND [flags] [arguments]

Commands:
  ingest PATH...      Send files (directories are walked recursively, in sorted
                      order, hidden entries skipped) over one IngestArticles
                      stream. Progress on stderr, one "FAILED path: message"
                      line per failed page.
      --source_hint S           source name for pages that name none
      --content_type T          MIME type, e.g. "text/html; charset=gbk"
      --external_id_from_path   external_id = path relative to the argument
  search [QUERY...]   Run a query (the words are joined with spaces). Grammar:
                      words (all must match; when that finds too little,
                      the hits matching most words follow), "phrases", OR,
                      AND, NOT, -word, +word, ( ), title: source: author:,
                      field words (来源 新华社, 作者 王伟, source X), dates
                      2018年, 2018年4月, 2018-04-23, 2018-01-01..2018-06-30
                      (see README).
      --source S                keep only this source (repeatable)
      --after DATE              published at or after DATE
      --before DATE             published before DATE (exclusive)
                                DATE: YYYY-MM-DD or "YYYY-MM-DD HH:MM" in UTC+8,
                                or RFC 3339 with an offset
      --year YYYY               keep only this year, UTC+8 (repeatable)
      --month YYYY-MM           keep only this month, UTC+8 (repeatable)
      --sort relevance|date|date_asc|recency
                                recency: relevance plus a boost for newer
      --facets                  print counts by source, year and month
      --expand_duplicates       show every copy of a story, not one hit
      --debug                   print how the query was parsed, word by word
      --strict                  never relax: every word must match
      --relax_threshold N       relax when fewer than N articles match every
                                word (server default 3)
      --page_size N             hits per page (server default 10)
      --page_token T            next_page_token of a previous page
  get ID              Print one stored article.
  list                List stored articles in id order.
      --page_size N, --page_token T
  delete ID           Delete an article (a tombstone enters the change log).
  status              Print the search replica's index status.
  wait                Wait until the search replica has applied everything
                      the ingest service has stored (bounded by --timeout,
                      default 60s).
  parse FILE          Dry run: show what the ingest service would store for
                      one page (articles, detected encoding, warnings,
                      duplicate_of); nothing is stored.
      --source_hint S, --content_type T   as for ingest
      --url U, --external_id E  request fields (they decide the ids)
  reparse             Re-parse every stored page with the service's current
                      parser; changed articles reach every search replica.
                      Progress on stderr.
      --batch_size N            pages per write transaction (server default 100)
  backup FILE         Write an online, consistent backup of the ingest store
                      (every article, raw page and change up to one seq) to
                      FILE, a new SQLite file; verified by SHA-256. Restore:
                      README "Backups".
  help                Print this text.

Global flags (environment variable in brackets):
  --ingest HOST:PORT    ingest service [NEWSEARCH_INGEST_ADDRESS] (127.0.0.1:50051)
  --search HOST:PORT    search service [NEWSEARCH_SEARCH_ADDRESS] (127.0.0.1:50052)
  --timeout SECONDS     RPC deadline [NEWSEARCH_TIMEOUT] (30s per call; none for
                        the ingest stream; the total wait for `wait`)
  --token_file PATH     send "authorization: Bearer <token>" [NEWSEARCH_TOKEN_FILE]
                        (without a file: the token in NEWSEARCH_TOKEN)
  --tls_ca_file PATH    connect with TLS, trusting this CA [NEWSEARCH_TLS_CA_FILE]
  --tls_cert_file PATH, --tls_key_file PATH
                        client certificate for mutual TLS [NEWSEARCH_TLS_CERT_FILE,
                        NEWSEARCH_TLS_KEY_FILE]
  --json                print responses as JSON, one object per line

Exit codes: 0 ok, 1 RPC/connection error or timeout, 2 some pages failed to
ingest, 64 bad command line.
)";
}

}  // namespace newsearch::cli
