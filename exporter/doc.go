// Package exporter holds the session pipeline's span exporters (OTLP/HTTP,
// OTLP/gRPC, AgentOps, file, console), the registry that builds them from a
// `--exporter NAME[=TARGET]` spec, the conversions between the SDK's
// read-only spans and pdata, and the Prometheus Pushgateway push of a
// finished session's metrics.
//
// Every exporter is an ordinary sdktrace.SpanExporter: adding one is
// implementing that interface and calling Register with a name.
package exporter
