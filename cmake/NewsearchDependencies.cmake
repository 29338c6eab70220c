# Finds the Debian 12 packages newsearch builds against and wraps the ones
# without CMake configs in INTERFACE targets, so library targets only ever
# name `newsearch::<dep>` or the packages' own imported targets.

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# Protobuf 3.21 ships no CMake config on Debian 12: module mode.
find_package(Protobuf REQUIRED)
# gRPC's config needs protobuf-compiler-grpc installed.
find_package(gRPC CONFIG REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
find_package(absl CONFIG REQUIRED)
# nlohmann-json3-dev: JSON string escaping in common/base/logging.
find_package(nlohmann_json CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc i18n)
find_package(Xapian CONFIG REQUIRED)
# prometheus-cpp-dev (core + pull) brings civetweb's config along: its
# Exposer serves /metrics.
find_package(prometheus-cpp CONFIG REQUIRED)
# CLI11 (libcli11-dev, header-only) parses the newsearch client's command line.
find_package(CLI11 CONFIG REQUIRED)

add_library(newsearch_xapian INTERFACE)
target_include_directories(newsearch_xapian SYSTEM INTERFACE ${XAPIAN_INCLUDE_DIR})
target_link_libraries(newsearch_xapian INTERFACE ${XAPIAN_LIBRARIES})
add_library(newsearch::xapian ALIAS newsearch_xapian)

pkg_check_modules(OPENCC REQUIRED IMPORTED_TARGET opencc)
add_library(newsearch::opencc ALIAS PkgConfig::OPENCC)
pkg_check_modules(GUMBO REQUIRED IMPORTED_TARGET gumbo)
add_library(newsearch::gumbo ALIAS PkgConfig::GUMBO)
# The search index's document data (search-service/schema/document_data.h).
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
add_library(newsearch::zstd ALIAS PkgConfig::ZSTD)

# OpenCC's conversion tables (t2s.json and its dictionaries).
find_path(NEWSEARCH_OPENCC_DATA_DIR t2s.json PATHS /usr/share/opencc REQUIRED)
# grpc-proto ships grpc/health/v1/health.proto, compiled into newsearch_proto so
# that reflection-only clients can call the health service.
find_path(NEWSEARCH_GRPC_PROTO_DIR grpc/health/v1/health.proto
          PATHS /usr/share/grpc-proto REQUIRED)

if(NEWSEARCH_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
