package receiver

import (
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
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
	unmarshalTraces(req ptraceotlp.ExportRequest, body []byte) error
	unmarshalLogs(req plogotlp.ExportRequest, body []byte) error
	unmarshalMetrics(req pmetricotlp.ExportRequest, body []byte) error
	marshalTracesResponse(resp ptraceotlp.ExportResponse) ([]byte, error)
	marshalLogsResponse(resp plogotlp.ExportResponse) ([]byte, error)
	marshalMetricsResponse(resp pmetricotlp.ExportResponse) ([]byte, error)
	marshalStatus(st *spb.Status) ([]byte, error)
}

// protoEncoder is binary protobuf, decoded by the official generated types
// behind pdata.
type protoEncoder struct{}

func (protoEncoder) contentType() string { return contentTypeProto }
func (protoEncoder) unmarshalTraces(req ptraceotlp.ExportRequest, b []byte) error {
	return req.UnmarshalProto(b)
}
func (protoEncoder) unmarshalLogs(req plogotlp.ExportRequest, b []byte) error {
	return req.UnmarshalProto(b)
}
func (protoEncoder) unmarshalMetrics(req pmetricotlp.ExportRequest, b []byte) error {
	return req.UnmarshalProto(b)
}
func (protoEncoder) marshalTracesResponse(r ptraceotlp.ExportResponse) ([]byte, error) {
	return r.MarshalProto()
}
func (protoEncoder) marshalLogsResponse(r plogotlp.ExportResponse) ([]byte, error) {
	return r.MarshalProto()
}
func (protoEncoder) marshalMetricsResponse(r pmetricotlp.ExportResponse) ([]byte, error) {
	return r.MarshalProto()
}
func (protoEncoder) marshalStatus(st *spb.Status) ([]byte, error) { return proto.Marshal(st) }

// jsonEncoder is OTLP JSON: pdata's decoder follows the OTLP JSON mapping
// (hex trace and span ids, integer enums, int64 as strings), which plain
// protojson does not.
type jsonEncoder struct{}

func (jsonEncoder) contentType() string { return contentTypeJSON }
func (jsonEncoder) unmarshalTraces(req ptraceotlp.ExportRequest, b []byte) error {
	if jsonTooDeep(b, maxJSONDepth) {
		return errTooDeep
	}
	return req.UnmarshalJSON(b)
}
func (jsonEncoder) unmarshalLogs(req plogotlp.ExportRequest, b []byte) error {
	if jsonTooDeep(b, maxJSONDepth) {
		return errTooDeep
	}
	return req.UnmarshalJSON(b)
}
func (jsonEncoder) unmarshalMetrics(req pmetricotlp.ExportRequest, b []byte) error {
	if jsonTooDeep(b, maxJSONDepth) {
		return errTooDeep
	}
	return req.UnmarshalJSON(b)
}
func (jsonEncoder) marshalTracesResponse(r ptraceotlp.ExportResponse) ([]byte, error) {
	return r.MarshalJSON()
}
func (jsonEncoder) marshalLogsResponse(r plogotlp.ExportResponse) ([]byte, error) {
	return r.MarshalJSON()
}
func (jsonEncoder) marshalMetricsResponse(r pmetricotlp.ExportResponse) ([]byte, error) {
	return r.MarshalJSON()
}
func (jsonEncoder) marshalStatus(st *spb.Status) ([]byte, error) { return protojson.Marshal(st) }
