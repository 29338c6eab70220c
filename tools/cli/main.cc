// newsearch: command-line client of the ingest and search services.
// argv + environment -> Invocation (args.h) -> RunInvocation (commands.h).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "tools/cli/args.h"
#include "tools/cli/commands.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << newsearch::cli::UsageText();
    return newsearch::cli::kExitUsage;
  }
  const auto env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  absl::StatusOr<newsearch::cli::Invocation> invocation =
      newsearch::cli::ParseCommandLine(args, env);
  if (!invocation.ok()) {
    std::cerr << "newsearch: " << invocation.status().message() << "\n"
              << "Run `newsearch help` for usage.\n";
    return newsearch::cli::kExitUsage;
  }
  newsearch::cli::CommandIo io;
  io.out = &std::cout;
  io.err = &std::cerr;
  io.stderr_is_tty = isatty(STDERR_FILENO) == 1;
  // https://no-color.org: a set, non-empty NO_COLOR turns colour off.
  const char* no_color = std::getenv("NO_COLOR");
  io.color = isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0');
  const int code = newsearch::cli::RunInvocation(*invocation, io);
  std::cout.flush();
  return code;
}
