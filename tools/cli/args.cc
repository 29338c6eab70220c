#include "tools/cli/args.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
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

absl::StatusOr<int32_t> ParseCount(absl::string_view flag, absl::string_view value) {
  int32_t count = 0;
  if (!absl::SimpleAtoi(value, &count) || count < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " takes a non-negative integer, not \"", value, "\""));
  }
  return count;
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

Command CommandOf(const std::string& name) {
  for (const CommandName& c : kCommands) {
    if (name == c.name) return c.command;
  }
  return Command::kHelp;
}

// Returns `value`, or throws its status as CLI11's ValidationError from
// inside an option callback; ParseCommandLine turns it back into
// INVALID_ARGUMENT with the same message.
template <typename T>
T OrThrow(absl::StatusOr<T> value) {
  if (!value.ok()) throw CLI::ValidationError(std::string(value.status().message()));
  return *std::move(value);
}

// Parses a --after/--before value into a Timestamp.
absl::StatusOr<google::protobuf::Timestamp> ToDate(absl::string_view flag,
                                                   absl::string_view value) {
  absl::StatusOr<absl::Time> t = ParseTimeFlag(value);
  if (!t.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", t.status().message()));
  }
  return ToTimestamp(*t);
}

// What CLI11 collects for copying into the Invocation after parsing.
struct Collected {
  std::vector<std::string> positionals;
  std::vector<std::string> sources;
  std::vector<std::string> years;
  std::vector<std::string> months;
  bool facets = false;
  bool expand_duplicates = false;
  bool debug = false;
  bool strict = false;
};

// Declares the global flags on `app` and one subcommand per Command with
// its own flags. Values go into `inv` as CLI11 parses them (through our
// checks), or into `collected`.
void DeclareFlags(CLI::App* app, Invocation* inv, Collected* collected) {
  app->set_help_flag("-h,--help");
  // Subcommands inherit both: flags they do not know go to `app`, and a
  // flag given twice keeps its last value (repeatable ones say TakeAll).
  app->fallthrough();
  app->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  GlobalOptions& global = inv->global;
  app->add_option("--ingest", global.ingest_address);
  app->add_option("--search", global.search_address);
  app->add_option_function<std::string>("--timeout", [&global](const std::string& value) {
    global.timeout = OrThrow(ParseTimeoutFlag(value));
  });
  app->add_option("--token_file", global.token_file);
  app->add_option("--tls_ca_file", global.tls_ca_file);
  app->add_option("--tls_cert_file", global.tls_cert_file);
  app->add_option("--tls_key_file", global.tls_key_file);
  app->add_flag("--json", global.json);

  std::map<Command, CLI::App*> sub;
  for (const CommandName& c : kCommands) {
    sub[c.command] = app->add_subcommand(c.name);
    sub[c.command]
        ->add_option("arguments", collected->positionals)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  for (Command c : {Command::kIngest, Command::kParse}) {
    sub[c]->add_option("--source_hint", inv->ingest.source_hint);
    sub[c]->add_option("--content_type", inv->ingest.content_type);
  }
  // On by default (a file ingest is idempotent); the plain flag is still
  // accepted so older scripts keep working.
  sub[Command::kIngest]->add_flag("--external_id_from_path,!--no_external_id_from_path",
                                  inv->ingest.external_id_from_path);
  sub[Command::kWait]->add_flag("--searchable_only", inv->wait_searchable_only);
  sub[Command::kParse]->add_option("--url", inv->parse.url);
  sub[Command::kParse]->add_option("--external_id", inv->parse.external_id);
  sub[Command::kReparse]->add_option_function<std::string>(
      "--batch_size", [inv](const std::string& value) {
        inv->reparse.set_batch_size(OrThrow(ParseCount("batch_size", value)));
      });
  for (Command c : {Command::kSearch, Command::kList}) {
    sub[c]->add_option_function<std::string>("--page_size", [inv](const std::string& value) {
      const int32_t size = OrThrow(ParseCount("page_size", value));
      inv->search.set_page_size(size);
      inv->list.set_page_size(size);
    });
    sub[c]->add_option_function<std::string>("--page_token", [inv](const std::string& value) {
      inv->search.set_page_token(value);
      inv->list.set_page_token(value);
    });
  }
  CLI::App* search = sub[Command::kSearch];
  newsearch::v1::SearchRequest* request = &inv->search;
  // Repeatable, one value each: `--source a --source b`, not `--source a b`.
  for (const auto& [flag, values] : {std::make_pair("--source", &collected->sources),
                                     std::make_pair("--year", &collected->years),
                                     std::make_pair("--month", &collected->months)}) {
    search->add_option(flag, *values)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  search->add_option_function<std::string>("--after", [request](const std::string& value) {
    *request->mutable_published_after() = OrThrow(ToDate("after", value));
  });
  search->add_option_function<std::string>("--before", [request](const std::string& value) {
    *request->mutable_published_before() = OrThrow(ToDate("before", value));
  });
  search->add_option_function<std::string>("--sort", [request](const std::string& value) {
    request->set_sort(OrThrow(ParseSort(value)));
  });
  search->add_flag("--facets", collected->facets);
  search->add_flag("--expand_duplicates", collected->expand_duplicates);
  search->add_flag("--debug", collected->debug);
  search->add_flag("--strict", collected->strict);
  search->add_option_function<std::string>(
      "--relax_threshold", [request](const std::string& value) {
        int threshold = 0;
        if (!absl::SimpleAtoi(value, &threshold) || threshold < 1) {
          throw CLI::ValidationError(
              absl::StrCat("--relax_threshold must be a positive integer, got '", value, "'"));
        }
        request->set_relax_threshold(threshold);
      });
}

// Copies the repeatable and boolean search flags into `request`.
absl::Status ApplyCollected(const Collected& collected, newsearch::v1::SearchRequest* request) {
  // The server checks the form of years and months and says what is wrong.
  for (const auto& [flag, values] : {std::make_pair("source", &collected.sources),
                                     std::make_pair("year", &collected.years),
                                     std::make_pair("month", &collected.months)}) {
    for (const std::string& value : *values) {
      if (value.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("--", flag, " needs a value"));
      }
    }
  }
  *request->mutable_sources() = {collected.sources.begin(), collected.sources.end()};
  *request->mutable_years() = {collected.years.begin(), collected.years.end()};
  *request->mutable_months() = {collected.months.begin(), collected.months.end()};
  request->set_include_facets(collected.facets);
  request->set_expand_duplicates(collected.expand_duplicates);
  request->set_debug(collected.debug);
  if (collected.strict) request->set_strict(true);
  return absl::OkStatus();
}

// Words what CLI11 could not place, `extras` (flags keep any "=value").
std::string DescribeExtra(const CLI::App& app, const std::vector<std::string>& extras) {
  const std::string arg = extras.empty() ? "" : extras[0];
  if (arg.empty() || arg[0] != '-') return absl::StrCat("unknown command \"", arg, "\"");
  const std::string flag = arg.substr(0, arg.find('='));
  const std::vector<CLI::App*> parsed = app.get_subcommands();
  if (parsed.empty()) return absl::StrCat("unknown flag ", arg);
  const std::string command = parsed[0]->get_name();
  if (parsed[0]->get_option_no_throw(flag) != nullptr) {
    return absl::StrCat(flag, " goes after `", command, "`");
  }
  for (const CommandName& c : kCommands) {
    if (app.get_subcommand(c.name)->get_option_no_throw(flag) != nullptr) {
      return absl::StrCat(flag, " is not a flag of `newsearch ", command, "`");
    }
  }
  return absl::StrCat("unknown flag ", arg);
}

absl::Status ApplyEnvironment(const EnvLookup& env, GlobalOptions* global) {
  const std::pair<const char*, std::string*> strings[] = {
      {"NEWSEARCH_INGEST_ADDRESS", &global->ingest_address},
      {"NEWSEARCH_SEARCH_ADDRESS", &global->search_address},
      {"NEWSEARCH_TOKEN_FILE", &global->token_file},
      {"NEWSEARCH_TOKEN", &global->token},
      {"NEWSEARCH_TLS_CA_FILE", &global->tls_ca_file},
      {"NEWSEARCH_TLS_CERT_FILE", &global->tls_cert_file},
      {"NEWSEARCH_TLS_KEY_FILE", &global->tls_key_file},
  };
  for (const auto& [name, field] : strings) {
    if (auto v = env(name); v && !v->empty()) *field = *v;
  }
  if (auto v = env("NEWSEARCH_TIMEOUT"); v && !v->empty()) {
    absl::StatusOr<absl::Duration> timeout = ParseTimeoutFlag(*v);
    if (!timeout.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("NEWSEARCH_TIMEOUT: ", timeout.status().message()));
    }
    global->timeout = *timeout;
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
  // `--` ends the flags. CLI11 hands a `--` back to the parent command once
  // a subcommand's positionals are satisfied, so split it off here.
  std::vector<std::string> flag_args = args;
  std::vector<std::string> after_dashes;
  if (auto dashes = std::find(flag_args.begin(), flag_args.end(), "--");
      dashes != flag_args.end()) {
    after_dashes.assign(dashes + 1, flag_args.end());
    flag_args.erase(dashes, flag_args.end());
  }

  Invocation inv;
  // Environment first, so that flags parsed afterwards win.
  NEWSEARCH_RETURN_IF_ERROR(ApplyEnvironment(env, &inv.global));

  CLI::App app("newsearch");
  Collected collected;
  DeclareFlags(&app, &inv, &collected);
  // CLI11 takes the arguments last first.
  std::reverse(flag_args.begin(), flag_args.end());
  try {
    app.parse(flag_args);
  } catch (const CLI::CallForHelp&) {
    inv.command = Command::kHelp;
    return inv;
  } catch (const CLI::ExtrasError&) {
    return absl::InvalidArgumentError(DescribeExtra(app, app.remaining(/*recurse=*/true)));
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  const std::vector<CLI::App*> parsed = app.get_subcommands();
  if (parsed.empty()) return absl::InvalidArgumentError("missing command");
  inv.command = CommandOf(parsed[0]->get_name());
  if (inv.command == Command::kHelp) return inv;

  std::vector<std::string>& positionals = collected.positionals;
  positionals.insert(positionals.end(), after_dashes.begin(), after_dashes.end());
  NEWSEARCH_RETURN_IF_ERROR(CheckPositionals(inv.command, positionals));
  NEWSEARCH_RETURN_IF_ERROR(ApplyCollected(collected, &inv.search));
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
      --no_external_id_from_path
                                send no external_id: identity is then the
                                page's url, else its bytes. By default each
                                page's external_id is its path relative to
                                the directory argument (its file name for a
                                file argument), so ingesting the same files
                                again updates them instead of adding copies.
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
                      the ingest service has stored and, after a bulk load,
                      has compacted its index (bounded by --timeout,
                      default 60s).
      --searchable_only         return once everything is searchable, without
                                waiting for the compaction
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
