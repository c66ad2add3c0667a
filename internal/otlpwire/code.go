// Package otlpwire is the wire of OTLP/gRPC without grpc-go: status codes,
// the grpc-status trailers and their RetryInfo detail, length-prefixed
// messages, grpc-timeout, and the partial_success of the Export*Service
// responses, written and read as gRPC over HTTP/2 ("PROTOCOL-HTTP2.md" of
// grpc/grpc) and grpc-go put them on the wire. The receiver serves
// OTLP/gRPC with it on net/http's HTTP/2, and the exporter sends with it:
// neither links grpc-go or google.golang.org/protobuf, which cost every
// start of the CLI.
package otlpwire

import "strconv"

// Code is a gRPC status code (google.rpc.Code).
type Code uint32

// The gRPC status codes, with grpc-go's values.
const (
	OK                 Code = 0
	Canceled           Code = 1
	Unknown            Code = 2
	InvalidArgument    Code = 3
	DeadlineExceeded   Code = 4
	NotFound           Code = 5
	AlreadyExists      Code = 6
	PermissionDenied   Code = 7
	ResourceExhausted  Code = 8
	FailedPrecondition Code = 9
	Aborted            Code = 10
	OutOfRange         Code = 11
	Unimplemented      Code = 12
	Internal           Code = 13
	Unavailable        Code = 14
	DataLoss           Code = 15
	Unauthenticated    Code = 16
)

var codeNames = [...]string{
	"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
	"PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
	"Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
}

// String is the code's name as grpc-go's codes.Code.String gives it
// ("ResourceExhausted", "Code(17)" past the known codes): refusals are
// counted under these names.
func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "Code(" + strconv.FormatInt(int64(c), 10) + ")"
}
