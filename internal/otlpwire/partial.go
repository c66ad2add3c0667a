package otlpwire

import (
	"encoding/json"
	"fmt"
	"strconv"

	protowire "github.com/agentops-dev/agentops/internal/pbwire"
)

// Partial is the partial_success of an Export{Trace,Logs,Metrics}Service
// response: how many items the server rejected and why. The three
// responses have the same wire form (field 1, a message of rejected_* =
// 1 and error_message = 2); only the JSON name of rejected_* differs.
type Partial struct {
	Rejected int64
	Message  string
}

// JSON names of rejected_* in the three responses.
const (
	RejectedSpans      = "rejectedSpans"
	RejectedLogRecords = "rejectedLogRecords"
	RejectedDataPoints = "rejectedDataPoints"
)

// AppendProto appends the response holding p, byte for byte as pdata's
// ExportResponse.MarshalProto writes it: partial_success always present
// (empty when p is), error_message before rejected_*.
func (p Partial) AppendProto(dst []byte) []byte {
	size := 0
	if p.Message != "" {
		size += 1 + protowire.SizeBytes(len(p.Message))
	}
	if p.Rejected != 0 {
		size += 1 + protowire.SizeVarint(uint64(p.Rejected))
	}
	dst = protowire.AppendTag(dst, 1, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(size))
	if p.Message != "" {
		dst = protowire.AppendTag(dst, 2, protowire.BytesType)
		dst = protowire.AppendString(dst, p.Message)
	}
	if p.Rejected != 0 {
		dst = protowire.AppendTag(dst, 1, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(p.Rejected))
	}
	return dst
}

// AppendJSON appends the response holding p in OTLP JSON, byte for byte
// as pdata's ExportResponse.MarshalJSON writes it:
// {"partialSuccess":{"rejectedSpans":"2","errorMessage":"..."}}, zero
// fields left out, {"partialSuccess":{}} when p is empty. rejectedName is
// the response's name for rejected_* (RejectedSpans...).
func (p Partial) AppendJSON(dst []byte, rejectedName string) []byte {
	dst = append(dst, `{"partialSuccess":{`...)
	if p.Rejected != 0 {
		dst = append(dst, '"')
		dst = append(dst, rejectedName...)
		dst = append(dst, `":"`...)
		dst = strconv.AppendInt(dst, p.Rejected, 10)
		dst = append(dst, '"')
	}
	if p.Message != "" {
		if p.Rejected != 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"errorMessage":`...)
		dst = AppendJSONString(dst, p.Message)
	}
	return append(dst, "}}"...)
}

// ParsePartial reads the partial_success of an Export*ServiceResponse in
// protobuf or OTLP JSON (any of the three rejected_* names, as a number
// or a string, in lowerCamelCase or the proto's names). A response
// without one is the empty Partial.
func ParsePartial(body []byte, isJSON bool) (Partial, error) {
	if isJSON {
		return parsePartialJSON(body)
	}
	var p Partial
	var inner []byte
	found := false
	ok := eachField(body, func(num protowire.Number, typ protowire.Type, _ uint64, b []byte) bool {
		if num == 1 && typ == protowire.BytesType {
			// Repeated occurrences of a message field merge (proto3).
			inner, found = append(inner, b...), true
		}
		return true
	})
	if !ok {
		return Partial{}, fmt.Errorf("malformed export response (%d bytes of protobuf)", len(body))
	}
	if !found {
		return p, nil
	}
	ok = eachField(inner, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) bool {
		switch {
		case num == 1 && typ == protowire.VarintType:
			p.Rejected = int64(v)
		case num == 2 && typ == protowire.BytesType:
			p.Message = string(b)
		}
		return true
	})
	if !ok {
		return Partial{}, fmt.Errorf("malformed partial_success in the export response")
	}
	return p, nil
}

func parsePartialJSON(body []byte) (Partial, error) {
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(body, &resp); err != nil {
		return Partial{}, fmt.Errorf("malformed export response: %w", err)
	}
	raw, ok := resp["partialSuccess"]
	if !ok {
		raw, ok = resp["partial_success"]
	}
	if !ok || string(raw) == "null" {
		return Partial{}, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Partial{}, fmt.Errorf("malformed partial_success: %w", err)
	}
	var p Partial
	for _, name := range []string{RejectedSpans, RejectedLogRecords, RejectedDataPoints,
		"rejected_spans", "rejected_log_records", "rejected_data_points"} {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			continue
		}
		// OTLP JSON writes int64 as a string; a number is accepted too.
		var n json.Number
		if len(v) > 0 && v[0] == '"' {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return Partial{}, fmt.Errorf("malformed %s: %w", name, err)
			}
			n = json.Number(s)
		} else if err := json.Unmarshal(v, &n); err != nil {
			return Partial{}, fmt.Errorf("malformed %s: %w", name, err)
		}
		r, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return Partial{}, fmt.Errorf("malformed %s %q: want an integer", name, n)
		}
		p.Rejected = r
		break
	}
	for _, name := range []string{"errorMessage", "error_message"} {
		if v, ok := fields[name]; ok && string(v) != "null" {
			if err := json.Unmarshal(v, &p.Message); err != nil {
				return Partial{}, fmt.Errorf("malformed %s: %w", name, err)
			}
			break
		}
	}
	return p, nil
}
