package receiver

import (
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

const (
	contentTypeProto = "application/x-protobuf"
	contentTypeJSON  = "application/json"
)

// encoder is one OTLP/HTTP wire encoding. The handlers are written once over
// it; the response uses the same encoding as the request (OTLP/HTTP spec,
// "OTLP/HTTP Response").
type encoder interface {
	contentType() string
	unmarshalTraces(body []byte) (ptrace.Traces, error)
	unmarshalLogs(body []byte) (plog.Logs, error)
	unmarshalMetrics(body []byte) (pmetric.Metrics, error)
	// marshalResponse is an Export*ServiceResponse holding p;
	// rejectedName is its JSON name for rejected_*.
	marshalResponse(p otlpwire.Partial, rejectedName string) []byte
	marshalStatus(st otlpwire.Status) []byte
}

// protoEncoder is binary protobuf, decoded by pdata. An
// Export*ServiceRequest has the wire form of pdata's TracesData (LogsData,
// MetricsData), so pdata's ProtoUnmarshalers read it, once the scope
// lists of an old OTLP are moved where pdata's request types move them
// (migrateDeprecated).
type protoEncoder struct{}

func (protoEncoder) contentType() string                             { return contentTypeProto }
func (protoEncoder) unmarshalTraces(b []byte) (ptrace.Traces, error) { return unmarshalTracesProto(b) }
func (protoEncoder) unmarshalLogs(b []byte) (plog.Logs, error)       { return unmarshalLogsProto(b) }
func (protoEncoder) unmarshalMetrics(b []byte) (pmetric.Metrics, error) {
	return unmarshalMetricsProto(b)
}
func (protoEncoder) marshalResponse(p otlpwire.Partial, _ string) []byte { return p.AppendProto(nil) }
func (protoEncoder) marshalStatus(st otlpwire.Status) []byte             { return st.AppendProto(nil) }

// unmarshalTracesProto decodes an ExportTraceServiceRequest (or TracesData)
// as ptraceotlp.ExportRequest.UnmarshalProto does.
func unmarshalTracesProto(b []byte) (ptrace.Traces, error) {
	return unmarshalProto(b, (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces)
}

// unmarshalLogsProto decodes an ExportLogsServiceRequest as
// plogotlp.ExportRequest.UnmarshalProto does.
func unmarshalLogsProto(b []byte) (plog.Logs, error) {
	return unmarshalProto(b, (&plog.ProtoUnmarshaler{}).UnmarshalLogs)
}

// unmarshalMetricsProto decodes an ExportMetricsServiceRequest as
// pmetricotlp.ExportRequest.UnmarshalProto does.
func unmarshalMetricsProto(b []byte) (pmetric.Metrics, error) {
	return unmarshalProto(b, (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics)
}

// unmarshalProto decodes b with a pdata ProtoUnmarshaler after
// migrateDeprecated, and refuses it, as pdata's request types do, when
// the deprecated lists it dropped do not decode.
func unmarshalProto[T any](b []byte, unmarshal func([]byte) (T, error)) (T, error) {
	migrated, dropped := migrateDeprecated(b)
	batch, err := unmarshal(migrated)
	if err == nil && dropped != nil {
		if _, derr := unmarshal(dropped); derr != nil {
			var zero T
			return zero, derr
		}
	}
	return batch, err
}

// jsonEncoder is OTLP JSON: pdata's decoder follows the OTLP JSON mapping
// (hex trace and span ids, integer enums, int64 as strings), which plain
// protojson does not.
type jsonEncoder struct{}

func (jsonEncoder) contentType() string { return contentTypeJSON }
func (jsonEncoder) unmarshalTraces(b []byte) (ptrace.Traces, error) {
	if jsonTooDeep(b, maxJSONDepth) {
		return ptrace.Traces{}, errTooDeep
	}
	var u ptrace.JSONUnmarshaler
	return u.UnmarshalTraces(b)
}
func (jsonEncoder) unmarshalLogs(b []byte) (plog.Logs, error) {
	if jsonTooDeep(b, maxJSONDepth) {
		return plog.Logs{}, errTooDeep
	}
	var u plog.JSONUnmarshaler
	return u.UnmarshalLogs(b)
}
func (jsonEncoder) unmarshalMetrics(b []byte) (pmetric.Metrics, error) {
	if jsonTooDeep(b, maxJSONDepth) {
		return pmetric.Metrics{}, errTooDeep
	}
	var u pmetric.JSONUnmarshaler
	return u.UnmarshalMetrics(b)
}
func (jsonEncoder) marshalResponse(p otlpwire.Partial, rejectedName string) []byte {
	return p.AppendJSON(nil, rejectedName)
}
func (jsonEncoder) marshalStatus(st otlpwire.Status) []byte { return st.AppendJSON(nil) }
