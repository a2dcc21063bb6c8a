// apptrust_metric_names: prints the list of common/metrics/metric_names.h, so
// scripts (tests/deploy) and the README read the one list the code uses.
//   --format=list      one line per metric: name type service labels
//   --format=markdown  the README's metrics table
#include <cstdio>
#include <cstring>
#include <string>

#include "common/metrics/metric_names.h"

namespace {

const char* TypeName(apptrust::metrics::MetricType type) {
  switch (type) {
    case apptrust::metrics::MetricType::kCounter:
      return "counter";
    case apptrust::metrics::MetricType::kGauge:
      return "gauge";
    case apptrust::metrics::MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

int main(int argc, char** argv) {
  std::string format = "list";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--format=", 9) == 0) {
      format = argv[i] + 9;
    } else {
      std::fprintf(stderr, "usage: %s [--format=list|markdown]\n", argv[0]);
      return 2;
    }
  }
  using apptrust::metrics::kAllMetrics;
  if (format == "list") {
    for (const auto& metric : kAllMetrics) {
      std::printf("%s %s %s %s\n", metric.name, TypeName(metric.type), metric.service,
                  *metric.labels ? metric.labels : "-");
    }
    for (const char* name : apptrust::metrics::kPrometheusSeries) {
      std::printf("%s gauge prometheus -\n", name);
    }
    return 0;
  }
  if (format == "markdown") {
    std::printf("| Metric | Type | Service | Labels | Meaning |\n|---|---|---|---|---|\n");
    for (const auto& metric : kAllMetrics) {
      std::string labels;
      for (const char* c = metric.labels; *c; ++c)
        labels += *c == ',' ? std::string(", ") : std::string(1, *c);
      std::printf("| `%s` | %s | %s | %s | %s |\n", metric.name, TypeName(metric.type),
                  metric.service, labels.empty() ? "" : ("`" + labels + "`").c_str(), metric.help);
    }
    return 0;
  }
  std::fprintf(stderr, "%s: --format must be list or markdown, not '%s'\n", argv[0],
               format.c_str());
  return 2;
}
