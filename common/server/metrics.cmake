# Metrics: registry + Prometheus text format, the /metrics HTTP server
# (Debian's civetweb) and the gRPC interceptor that records every RPC.
# Included from common/server/CMakeLists.txt.
#
# Debian 12's civetweb CMake config also imports the civetweb::server
# executable, which only the `civetweb` binary package installs, so
# find_package(civetweb) fails without it: wrap the C library by hand.
if(NOT TARGET newsearch::civetweb)
  find_path(NEWSEARCH_CIVETWEB_INCLUDE_DIR civetweb.h REQUIRED)
  find_library(NEWSEARCH_CIVETWEB_LIBRARY civetweb REQUIRED)
  add_library(newsearch_civetweb INTERFACE)
  target_include_directories(newsearch_civetweb SYSTEM INTERFACE ${NEWSEARCH_CIVETWEB_INCLUDE_DIR})
  target_link_libraries(newsearch_civetweb INTERFACE ${NEWSEARCH_CIVETWEB_LIBRARY} ${CMAKE_DL_LIBS})
  add_library(newsearch::civetweb ALIAS newsearch_civetweb)
endif()

newsearch_cc_library(
  NAME newsearch_metrics
  HDRS metrics.h metrics_http.h rpc_observer.h
  SRCS metrics.cc metrics_http.cc rpc_observer.cc
  DEPS gRPC::grpc++ absl::status absl::statusor absl::strings absl::synchronization
  PRIVATE_DEPS newsearch_base newsearch::civetweb)
