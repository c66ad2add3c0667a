// Package exporter holds the session pipeline's exporters (OTLP/HTTP,
// OTLP/gRPC, AgentOps, file, console), the registry that builds them from a
// `--exporter NAME[=TARGET]` spec, each exporter's sending queue (Sender:
// memory first, then the journal, the local store, or a spill file), the
// unsent record of what an exporter did not deliver, the conversions
// between the SDK's read-only spans and pdata, and the Prometheus
// Pushgateway push of a finished session's metrics.
//
// The plug-in point is Exporter: it takes pdata batches as received, so an
// OTLP exporter forwards them field for field. Adding one is implementing
// Exporter (and LogsExporter, MetricsExporter for those signals) and
// calling Register with a name; an OpenTelemetry SDK span exporter plugs
// in through FromSpanExporter.
package exporter
