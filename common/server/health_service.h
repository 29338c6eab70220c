// grpc.health.v1.Health served from the code generated out of Debian's
// grpc-proto, so reflection-only clients (buf curl, grpcurl) can call it.
// gRPC's built-in health service is listed by reflection without a schema.
// Each server registers its service names ("" is the whole server).
// Check is a callback method: it runs on gRPC's callback executor, never on
// the sync server's bounded thread pool, so probes are answered while every
// pool thread is busy (or held by streams).
#ifndef NEWSEARCH_COMMON_SERVER_HEALTH_SERVICE_H_
#define NEWSEARCH_COMMON_SERVER_HEALTH_SERVICE_H_

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace newsearch::server {

// Thread-safe.
class HealthService final
    : public grpc::health::v1::Health::WithCallbackMethod_Check<grpc::health::v1::Health::Service> {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // Sets the status of `service` ("" for the whole server) and wakes Watch
  // streams.
  void SetStatus(const std::string& service, ServingStatus status);
  // Marks every service NOT_SERVING and ends Watch streams (server shutdown).
  void Shutdown();
  // Repeats every later SetStatus and Shutdown on `mirror` (not owned; must
  // outlive this), e.g. the health service of a second listener.
  void MirrorTo(HealthService* mirror);

  // NOT_FOUND for a service name never set.
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  // Sends the current status, then every change, until the client cancels
  // or the server shuts down. SERVICE_UNKNOWN for names never set.
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, ServingStatus> statuses_ ABSL_GUARDED_BY(mu_);
  int64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  HealthService* mirror_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_HEALTH_SERVICE_H_
