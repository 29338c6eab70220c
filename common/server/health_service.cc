#include "common/server/health_service.h"

#include "absl/time/time.h"

namespace newsearch::server {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

void HealthService::SetStatus(const std::string& service, ServingStatus status) {
  HealthService* mirror;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    statuses_[service] = status;
    ++version_;
    mirror = mirror_;
  }
  if (mirror != nullptr) mirror->SetStatus(service, status);
}

void HealthService::Shutdown() {
  HealthService* mirror;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, status] : statuses_) status = HealthCheckResponse::NOT_SERVING;
    shut_down_ = true;
    ++version_;
    mirror = mirror_;
  }
  if (mirror != nullptr) mirror->Shutdown();
}

void HealthService::MirrorTo(HealthService* mirror) {
  std::map<std::string, ServingStatus> statuses;
  {
    absl::MutexLock lock(&mu_);
    mirror_ = mirror;
    statuses = statuses_;
  }
  for (const auto& [name, status] : statuses) mirror->SetStatus(name, status);
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status status;
  {
    absl::MutexLock lock(&mu_);
    auto it = statuses_.find(request->service());
    if (it == statuses_.end()) {
      status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                            "unknown service \"" + request->service() + "\"");
    } else {
      response->set_status(it->second);
    }
  }
  reactor->Finish(status);
  return reactor;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context, const HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  int64_t seen_version = -1;
  ServingStatus last_sent = HealthCheckResponse::UNKNOWN;
  bool sent_any = false;
  while (!context->IsCancelled()) {
    ServingStatus current;
    bool done;
    {
      absl::MutexLock lock(&mu_);
      // Wake on a change, or every second to notice a cancelled client.
      auto changed = [this, seen_version]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return version_ != seen_version;
      };
      mu_.AwaitWithTimeout(absl::Condition(&changed), absl::Seconds(1));
      seen_version = version_;
      auto it = statuses_.find(request->service());
      current = it == statuses_.end() ? HealthCheckResponse::SERVICE_UNKNOWN : it->second;
      done = shut_down_;
    }
    if (!sent_any || current != last_sent) {
      HealthCheckResponse response;
      response.set_status(current);
      if (!writer->Write(response)) break;
      last_sent = current;
      sent_any = true;
    }
    if (done) break;
  }
  return grpc::Status::OK;
}

}  // namespace newsearch::server
