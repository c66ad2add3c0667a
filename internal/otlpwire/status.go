package otlpwire

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	protowire "github.com/agentops-dev/agentops/internal/pbwire"
)

// Header names of a gRPC status (gRPC over HTTP/2, "Responses"), as
// net/http canonicalises them.
const (
	HeaderStatus  = "Grpc-Status"
	HeaderMessage = "Grpc-Message"
	HeaderDetails = "Grpc-Status-Details-Bin"
)

// retryInfoType is the type URL of google.rpc.RetryInfo in an Any.
const retryInfoType = "type.googleapis.com/google.rpc.RetryInfo"

// Status is the status an RPC ends with. Retry says it carries a
// google.rpc.RetryInfo detail, RetryDelay its delay: OTLP asks a server
// that cannot take more for now to say when to come back (OTLP spec,
// "OTLP/gRPC Throttling").
type Status struct {
	Code       Code
	Message    string
	RetryDelay time.Duration
	Retry      bool
}

// Err is s as an error, nil when s is OK.
func (s Status) Err() error {
	if s.Code == OK {
		return nil
	}
	return &Error{Status: s}
}

// Error is an RPC's failure.
type Error struct{ Status Status }

func (e *Error) Error() string {
	return "rpc error: code = " + e.Status.Code.String() + " desc = " + e.Status.Message
}

// StatusOf is err's status when it is (or wraps) an *Error; Unknown with
// err's text otherwise, OK for nil.
func StatusOf(err error) Status {
	if err == nil {
		return Status{Code: OK}
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return Status{Code: Unknown, Message: err.Error()}
}

// Write sets s in h as grpc-go's server writes it: grpc-status,
// grpc-message when there is one (percent-encoded), and with Retry the
// google.rpc.Status{code, message, details: [RetryInfo]} in
// grpc-status-details-bin, unpadded base64. h is the headers of a
// trailers-only response or the trailers.
func (s Status) Write(h http.Header) {
	h.Set(HeaderStatus, strconv.FormatUint(uint64(s.Code), 10))
	if s.Message != "" {
		h.Set(HeaderMessage, encodeMessage(s.Message))
	}
	if s.Retry {
		h.Set(HeaderDetails, base64.RawStdEncoding.EncodeToString(s.AppendProto(nil)))
	}
}

// AppendProto appends s as a google.rpc.Status, with its RetryInfo when
// Retry: the body of an OTLP/HTTP failure (OTLP spec, "Failures"), and
// what grpc-status-details-bin carries.
func (s Status) AppendProto(b []byte) []byte {
	if s.Code != OK {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(int32(s.Code))))
	}
	if s.Message != "" {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, s.Message)
	}
	if s.Retry {
		// google.protobuf.Duration: seconds and nanos of the same sign.
		var dur []byte
		if secs := int64(s.RetryDelay / time.Second); secs != 0 {
			dur = protowire.AppendTag(dur, 1, protowire.VarintType)
			dur = protowire.AppendVarint(dur, uint64(secs))
		}
		if nanos := int64(s.RetryDelay % time.Second); nanos != 0 {
			dur = protowire.AppendTag(dur, 2, protowire.VarintType)
			dur = protowire.AppendVarint(dur, uint64(nanos))
		}
		info := protowire.AppendTag(nil, 1, protowire.BytesType)
		info = protowire.AppendBytes(info, dur)
		var anyMsg []byte
		anyMsg = protowire.AppendTag(anyMsg, 1, protowire.BytesType)
		anyMsg = protowire.AppendString(anyMsg, retryInfoType)
		anyMsg = protowire.AppendTag(anyMsg, 2, protowire.BytesType)
		anyMsg = protowire.AppendBytes(anyMsg, info)
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendBytes(b, anyMsg)
	}
	return b
}

// AppendJSON appends s's code and message as a google.rpc.Status in
// JSON ({"code":14,"message":"..."}, zero fields left out, as protojson
// writes it but for its random spaces): the body of an OTLP/HTTP failure
// in JSON. RetryInfo is not written: HTTP says when to retry with
// Retry-After.
func (s Status) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	if s.Code != OK {
		b = append(b, `"code":`...)
		b = strconv.AppendInt(b, int64(int32(s.Code)), 10)
	}
	if s.Message != "" {
		if s.Code != OK {
			b = append(b, ',')
		}
		b = append(b, `"message":`...)
		b = AppendJSONString(b, s.Message)
	}
	return append(b, '}')
}

// ReadStatus reads the status of an RPC from h, the headers of a
// trailers-only response or the trailers, as grpc-go's client does: ok is
// false when h has no grpc-status. A grpc-status-details-bin with the same
// code gives the message and the RetryInfo; one that is no
// google.rpc.Status is ignored; one with another code makes the status
// INTERNAL, as in grpc-go. The error is for a grpc-status that is no
// number, or details that are not base64.
func ReadStatus(h http.Header) (Status, bool, error) {
	v := h.Values(HeaderStatus)
	if len(v) == 0 {
		return Status{}, false, nil
	}
	code, err := strconv.ParseInt(v[0], 10, 32)
	if err != nil {
		return Status{}, true, fmt.Errorf("malformed grpc-status %q", v[0])
	}
	st := Status{Code: Code(uint32(code)), Message: decodeMessage(h.Get(HeaderMessage))}
	details := h.Values(HeaderDetails)
	if len(details) != 1 {
		return st, true, nil
	}
	b, err := decodeBinHeader(details[0])
	if err != nil {
		return st, true, fmt.Errorf("malformed grpc-status-details-bin: %w", err)
	}
	full, ok := parseStatusProto(b)
	if !ok {
		return st, true, nil
	}
	if full.Code != st.Code {
		return Status{Code: Internal, Message: fmt.Sprintf("grpc-status-details-bin mismatch: grpc-status=%v, grpc-message=%q, grpc-status-details-bin code=%v, message=%q",
			st.Code, st.Message, full.Code, full.Message)}, true, nil
	}
	return full, true, nil
}

// decodeBinHeader decodes a -bin value: base64, padded or not.
func decodeBinHeader(v string) ([]byte, error) {
	if len(v)%4 == 0 {
		return base64.StdEncoding.DecodeString(v)
	}
	return base64.RawStdEncoding.DecodeString(v)
}

// parseStatusProto reads a google.rpc.Status and the delay of its first
// RetryInfo detail; false when b is none.
func parseStatusProto(b []byte) (Status, bool) {
	var st Status
	ok := eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, inner []byte) bool {
		switch {
		case num == 1 && typ == protowire.VarintType:
			st.Code = Code(uint32(int32(v)))
		case num == 2 && typ == protowire.BytesType:
			st.Message = string(inner)
		case num == 3 && typ == protowire.BytesType:
			typeURL, value, ok := parseAny(inner)
			if !ok {
				return false
			}
			if !st.Retry && typeURL[strings.LastIndexByte(typeURL, '/')+1:] == "google.rpc.RetryInfo" {
				d, ok := parseRetryInfo(value)
				if !ok {
					return false
				}
				st.RetryDelay, st.Retry = d, true
			}
		}
		return true
	})
	return st, ok
}

func parseAny(b []byte) (typeURL string, value []byte, ok bool) {
	ok = eachField(b, func(num protowire.Number, typ protowire.Type, _ uint64, inner []byte) bool {
		switch {
		case num == 1 && typ == protowire.BytesType:
			typeURL = string(inner)
		case num == 2 && typ == protowire.BytesType:
			value = inner
		}
		return true
	})
	return typeURL, value, ok
}

// parseRetryInfo is RetryInfo.retry_delay, a google.protobuf.Duration.
func parseRetryInfo(b []byte) (time.Duration, bool) {
	var secs, nanos int64
	ok := eachField(b, func(num protowire.Number, typ protowire.Type, _ uint64, inner []byte) bool {
		if num != 1 || typ != protowire.BytesType {
			return true
		}
		return eachField(inner, func(num protowire.Number, typ protowire.Type, v uint64, _ []byte) bool {
			switch {
			case num == 1 && typ == protowire.VarintType:
				secs = int64(v)
			case num == 2 && typ == protowire.VarintType:
				nanos = int64(int32(v))
			}
			return true
		})
	})
	if !ok {
		return 0, false
	}
	const maxSecs = int64(1<<63-1) / int64(time.Second)
	switch {
	case secs > maxSecs:
		return 1<<63 - 1, true
	case secs < -maxSecs:
		return -1 << 63, true
	}
	return time.Duration(secs)*time.Second + time.Duration(nanos), true
}

// eachField calls f with every field of the message b: a varint's value,
// or a length-delimited field's bytes. Fields of other types are skipped.
// It returns false when b is malformed or f does.
func eachField(b []byte, f func(num protowire.Number, typ protowire.Type, v uint64, inner []byte) bool) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		var v uint64
		var inner []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			inner, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return false
		}
		b = b[n:]
		if (typ == protowire.VarintType || typ == protowire.BytesType) && !f(num, typ, v, inner) {
			return false
		}
	}
	return true
}

// encodeMessage percent-encodes a grpc-message value as grpc-go does:
// bytes outside printable ASCII, and '%', as %XX; a byte that is not
// UTF-8 is first replaced by U+FFFD.
func encodeMessage(msg string) string {
	clean := true
	for i := 0; i < len(msg); i++ {
		if c := msg[i]; c < ' ' || c > '~' || c == '%' {
			clean = false
			break
		}
	}
	if clean {
		return msg
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for len(msg) > 0 {
		r, size := utf8.DecodeRuneInString(msg)
		var enc [utf8.UTFMax]byte
		n := utf8.EncodeRune(enc[:], r)
		for _, c := range enc[:n] {
			if size == 1 && c >= ' ' && c <= '~' && c != '%' {
				b.WriteByte(c)
			} else {
				b.WriteByte('%')
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			}
		}
		msg = msg[size:]
	}
	return b.String()
}

// decodeMessage undoes encodeMessage; a '%' not followed by two hex
// digits stays as it is, as in grpc-go.
func decodeMessage(msg string) string {
	if !strings.Contains(msg, "%") {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '%' && i+2 < len(msg) {
			if v, err := strconv.ParseUint(msg[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
