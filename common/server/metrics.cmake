# Metrics: registry on prometheus-cpp's core, the /metrics listener on its
# pull Exposer (Debian's prometheus-cpp-dev), and the gRPC interceptor that
# records every RPC. Included from common/server/CMakeLists.txt.
newsearch_cc_library(
  NAME newsearch_metrics
  HDRS metrics.h metrics_http.h rpc_observer.h
  SRCS metrics.cc metrics_http.cc rpc_observer.cc
  DEPS gRPC::grpc++ prometheus-cpp::core absl::status absl::statusor absl::strings
       absl::synchronization
  PRIVATE_DEPS newsearch_base prometheus-cpp::pull civetweb::civetweb-cpp)
