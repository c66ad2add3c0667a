// Package pbwire reads and writes protobuf's wire encoding (protobuf
// encoding, "Message Structure"): the part of
// google.golang.org/protobuf/encoding/protowire that agentops uses, with
// the same names, signatures, results and error codes, so that a caller
// switches by changing its import path.
//
// It exists for start-up time: protowire imports protobuf's
// internal/errors, whose internal/detrand reads and hashes the whole
// executable (/proc/self/exe) at init to randomise error strings, about a
// millisecond of every `agentops run`. pbwire has no init work. The
// differential fuzz test (pbwire_test.go) holds it to protowire's results.
//
// Like protowire, the Consume functions return a negative length on
// error; ParseError turns it into an error value.
package pbwire

import (
	"errors"
	"io"
	"math"
	"math/bits"
)

// Number is a field number.
type Number int32

// The field number limits and the recursion limit of ConsumeFieldValue,
// as protowire's.
const (
	MinValidNumber        Number = 1
	FirstReservedNumber   Number = 19000
	LastReservedNumber    Number = 19999
	MaxValidNumber        Number = 1<<29 - 1
	DefaultRecursionLimit        = 10000
)

// IsValid reports whether the field number is semantically valid.
func (n Number) IsValid() bool {
	return MinValidNumber <= n && n <= MaxValidNumber
}

// Type is a wire type.
type Type int8

// The wire types.
const (
	VarintType     Type = 0
	Fixed32Type    Type = 5
	Fixed64Type    Type = 1
	BytesType      Type = 2
	StartGroupType Type = 3
	EndGroupType   Type = 4
)

// The negative lengths the Consume functions return, protowire's values.
const (
	_ = -iota
	errCodeTruncated
	errCodeFieldNumber
	errCodeOverflow
	errCodeReserved
	errCodeEndGroup
	errCodeRecursionDepth
)

var (
	errFieldNumber = errors.New("proto: invalid field number")
	errOverflow    = errors.New("proto: variable length integer overflow")
	errReserved    = errors.New("proto: cannot parse reserved wire type")
	errEndGroup    = errors.New("proto: mismatching end group marker")
	errParse       = errors.New("proto: parse error")
)

// ParseError converts a negative length returned by a Consume function
// into an error: io.ErrUnexpectedEOF for truncated input. It returns nil
// for a length that is not negative.
func ParseError(n int) error {
	if n >= 0 {
		return nil
	}
	switch n {
	case errCodeTruncated:
		return io.ErrUnexpectedEOF
	case errCodeFieldNumber:
		return errFieldNumber
	case errCodeOverflow:
		return errOverflow
	case errCodeReserved:
		return errReserved
	case errCodeEndGroup:
		return errEndGroup
	default:
		return errParse
	}
}

// ConsumeField parses a whole field (tag and value) and returns its
// number, wire type and total length, which includes a group's end
// marker. It returns a negative length on error.
func ConsumeField(b []byte) (Number, Type, int) {
	num, typ, n := ConsumeTag(b)
	if n < 0 {
		return 0, 0, n
	}
	m := ConsumeFieldValue(num, typ, b[n:])
	if m < 0 {
		return 0, 0, m
	}
	return num, typ, n + m
}

// ConsumeFieldValue parses the value of a field whose tag has been read
// and returns its length. A group's length includes its end marker, which
// must carry num. It returns a negative length on error.
func ConsumeFieldValue(num Number, typ Type, b []byte) (n int) {
	return consumeFieldValueD(num, typ, b, DefaultRecursionLimit)
}

func consumeFieldValueD(num Number, typ Type, b []byte, depth int) int {
	switch typ {
	case VarintType:
		_, n := ConsumeVarint(b)
		return n
	case Fixed32Type:
		_, n := ConsumeFixed32(b)
		return n
	case Fixed64Type:
		_, n := ConsumeFixed64(b)
		return n
	case BytesType:
		_, n := ConsumeBytes(b)
		return n
	case StartGroupType:
		if depth < 0 {
			return errCodeRecursionDepth
		}
		n0 := len(b)
		for {
			num2, typ2, n := ConsumeTag(b)
			if n < 0 {
				return n
			}
			b = b[n:]
			if typ2 == EndGroupType {
				if num != num2 {
					return errCodeEndGroup
				}
				return n0 - len(b)
			}
			n = consumeFieldValueD(num2, typ2, b, depth-1)
			if n < 0 {
				return n
			}
			b = b[n:]
		}
	case EndGroupType:
		return errCodeEndGroup
	default:
		return errCodeReserved
	}
}

// AppendTag appends the tag of field num with wire type typ to b.
func AppendTag(b []byte, num Number, typ Type) []byte {
	return AppendVarint(b, EncodeTag(num, typ))
}

// ConsumeTag parses a tag and returns its length; a field number below
// MinValidNumber is an error. It returns a negative length on error.
func ConsumeTag(b []byte) (Number, Type, int) {
	v, n := ConsumeVarint(b)
	if n < 0 {
		return 0, 0, n
	}
	num, typ := DecodeTag(v)
	if num < MinValidNumber {
		return 0, 0, errCodeFieldNumber
	}
	return num, typ, n
}

// SizeTag returns the encoded size of field num's tag.
func SizeTag(num Number) int {
	return SizeVarint(EncodeTag(num, 0))
}

// AppendVarint appends v to b as a varint.
func AppendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// ConsumeVarint parses a varint of at most ten bytes (denormalised ones
// included; the tenth may hold only the top bit) and returns it and its
// length. It returns a negative length on error.
func ConsumeVarint(b []byte) (v uint64, n int) {
	for i := 0; i < 10; i++ {
		if i >= len(b) {
			return 0, errCodeTruncated
		}
		y := uint64(b[i])
		if i == 9 && y >= 2 {
			return 0, errCodeOverflow
		}
		v |= (y & 0x7f) << (7 * i)
		if y < 0x80 {
			return v, i + 1
		}
	}
	return 0, errCodeOverflow // not reached: the tenth byte ends it
}

// SizeVarint returns the encoded size of v as a varint, 1 to 10.
func SizeVarint(v uint64) int {
	return (bits.Len64(v|1) + 6) / 7
}

// AppendFixed32 appends v to b as a little-endian uint32.
func AppendFixed32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// ConsumeFixed32 parses a little-endian uint32. It returns a negative
// length on error.
func ConsumeFixed32(b []byte) (v uint32, n int) {
	if len(b) < 4 {
		return 0, errCodeTruncated
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24, 4
}

// SizeFixed32 returns the encoded size of a fixed32, 4.
func SizeFixed32() int { return 4 }

// AppendFixed64 appends v to b as a little-endian uint64.
func AppendFixed64(b []byte, v uint64) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24),
		byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
}

// ConsumeFixed64 parses a little-endian uint64. It returns a negative
// length on error.
func ConsumeFixed64(b []byte) (v uint64, n int) {
	if len(b) < 8 {
		return 0, errCodeTruncated
	}
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56, 8
}

// SizeFixed64 returns the encoded size of a fixed64, 8.
func SizeFixed64() int { return 8 }

// AppendBytes appends v to b with its length before it.
func AppendBytes(b []byte, v []byte) []byte {
	return append(AppendVarint(b, uint64(len(v))), v...)
}

// ConsumeBytes parses a length-prefixed value and returns it (a slice of
// b) and its total length. It returns a negative length on error.
func ConsumeBytes(b []byte) (v []byte, n int) {
	m, n := ConsumeVarint(b)
	if n < 0 {
		return nil, n
	}
	if m > uint64(len(b[n:])) {
		return nil, errCodeTruncated
	}
	return b[n:][:m], n + int(m)
}

// SizeBytes returns the encoded size of a length-prefixed value of n
// bytes.
func SizeBytes(n int) int {
	return SizeVarint(uint64(n)) + n
}

// AppendString appends v to b with its length before it.
func AppendString(b []byte, v string) []byte {
	return append(AppendVarint(b, uint64(len(v))), v...)
}

// ConsumeString parses a length-prefixed value and returns it as a string
// and its total length. It returns a negative length on error.
func ConsumeString(b []byte) (v string, n int) {
	bb, n := ConsumeBytes(b)
	return string(bb), n
}

// AppendGroup appends v, the fields of group num, and the group's end
// marker to b. v must not hold the end marker.
func AppendGroup(b []byte, num Number, v []byte) []byte {
	return AppendVarint(append(b, v...), EncodeTag(num, EndGroupType))
}

// ConsumeGroup parses the fields of group num up to its end marker and
// returns them without the marker, and the length with it. It returns a
// negative length on error.
func ConsumeGroup(num Number, b []byte) (v []byte, n int) {
	n = ConsumeFieldValue(num, StartGroupType, b)
	if n < 0 {
		return nil, n
	}
	b = b[:n]
	// The end marker's tag may be a denormalised varint: its trailing
	// bytes of zero low bits go first (a tag is never zero).
	for len(b) > 0 && b[len(b)-1]&0x7f == 0 {
		b = b[:len(b)-1]
	}
	return b[:len(b)-SizeTag(num)], n
}

// SizeGroup returns the encoded size of group num whose fields take n
// bytes.
func SizeGroup(num Number, n int) int {
	return n + SizeTag(num)
}

// DecodeTag splits a tag into field number and wire type. The number is
// -1 when it overflows int32; it is not otherwise checked.
func DecodeTag(x uint64) (Number, Type) {
	if x>>3 > uint64(math.MaxInt32) {
		return -1, 0
	}
	return Number(x >> 3), Type(x & 7)
}

// EncodeTag joins a field number and wire type into a tag.
func EncodeTag(num Number, typ Type) uint64 {
	return uint64(num)<<3 | uint64(typ&7)
}

// DecodeZigZag decodes a zig-zag encoded int64 (sint64).
func DecodeZigZag(x uint64) int64 {
	return int64(x>>1) ^ int64(x)<<63>>63
}

// EncodeZigZag zig-zag encodes an int64 (sint64).
func EncodeZigZag(x int64) uint64 {
	return uint64(x<<1) ^ uint64(x>>63)
}

// DecodeBool decodes a varint as a bool: any value but 0 is true.
func DecodeBool(x uint64) bool {
	return x != 0
}

// EncodeBool encodes a bool as a varint's value.
func EncodeBool(x bool) uint64 {
	if x {
		return 1
	}
	return 0
}
