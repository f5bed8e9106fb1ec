#pragma once
// Prometheus metrics for the daemons (DESIGN.md section 6), prometheus-cpp underneath
// (no other file sees it). The catalogue of every metric, its type and help text is in
// metrics.cpp, so the code, deploy/grafana's dashboards and deploy/prometheus's alert
// rules name the same series. An endpoint serves them at http://LISTEN/metrics when a
// listen address is given (port 0: any free port).

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace zks::metrics {

using Labels = std::map<std::string, std::string>;

class Metrics {
 public:
  // component: "miner" or "validator" (the build_info labels carry it and the version).
  static Result<std::unique_ptr<Metrics>> start(const std::string& listen, const std::string& component,
                                                const std::string& version, const std::string& backend);
  ~Metrics();

  const std::string& address() const;  // host:port of /metrics, empty without an endpoint
  void inc(std::string_view counter, const Labels& labels = {}, double by = 1);
  void set(std::string_view gauge, const Labels& labels, double value);
  void observe(std::string_view histogram, const Labels& labels, double seconds);

 private:
  struct Impl;
  explicit Metrics(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace zks::metrics
