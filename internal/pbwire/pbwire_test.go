package pbwire_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/agentops-dev/agentops/internal/pbwire"
)

// The tests hold pbwire to the real protowire: every function is called
// on the same input in both and the results must be equal.

// sameError reports whether the errors are the same: protowire's messages
// begin "proto: " with a space or, at random, a non-breaking one.
func sameError(got, want error) bool {
	if got == nil || want == nil {
		return got == want
	}
	if errors.Is(want, io.ErrUnexpectedEOF) {
		return got == io.ErrUnexpectedEOF
	}
	return got.Error() == strings.ReplaceAll(want.Error(), "\u00a0", " ")
}

func checkConsume(t *testing.T, data []byte, num int32, typ int8) {
	t.Helper()
	pn, pt := pbwire.Number(num), pbwire.Type(typ)
	wn, wt := protowire.Number(num), protowire.Type(typ)
	check := func(name string, got, want any, gotN, wantN int) {
		t.Helper()
		if gotN != wantN || !equal(got, want) {
			t.Fatalf("%s(%x): got %v, %d; protowire %v, %d", name, data, got, gotN, want, wantN)
		}
		if g, w := pbwire.ParseError(gotN), protowire.ParseError(wantN); !sameError(g, w) {
			t.Fatalf("%s(%x): ParseError(%d) = %v; protowire %v", name, data, gotN, g, w)
		}
	}
	v, n := pbwire.ConsumeVarint(data)
	wv, wn2 := protowire.ConsumeVarint(data)
	check("ConsumeVarint", v, wv, n, wn2)

	tn, tt, n := pbwire.ConsumeTag(data)
	wtn, wtt, wn2 := protowire.ConsumeTag(data)
	check("ConsumeTag", [2]int64{int64(tn), int64(tt)}, [2]int64{int64(wtn), int64(wtt)}, n, wn2)

	fn, ft, n := pbwire.ConsumeField(data)
	wfn, wft, wn2 := protowire.ConsumeField(data)
	check("ConsumeField", [2]int64{int64(fn), int64(ft)}, [2]int64{int64(wfn), int64(wft)}, n, wn2)

	n = pbwire.ConsumeFieldValue(pn, pt, data)
	wn2 = protowire.ConsumeFieldValue(wn, wt, data)
	check("ConsumeFieldValue", nil, nil, n, wn2)

	f32, n := pbwire.ConsumeFixed32(data)
	wf32, wn2 := protowire.ConsumeFixed32(data)
	check("ConsumeFixed32", f32, wf32, n, wn2)

	f64, n := pbwire.ConsumeFixed64(data)
	wf64, wn2 := protowire.ConsumeFixed64(data)
	check("ConsumeFixed64", f64, wf64, n, wn2)

	b, n := pbwire.ConsumeBytes(data)
	wb, wn2 := protowire.ConsumeBytes(data)
	check("ConsumeBytes", b, wb, n, wn2)

	s, n := pbwire.ConsumeString(data)
	ws, wn2 := protowire.ConsumeString(data)
	check("ConsumeString", s, ws, n, wn2)

	g, n := pbwire.ConsumeGroup(pn, data)
	wg, wn2 := protowire.ConsumeGroup(wn, data)
	check("ConsumeGroup", g, wg, n, wn2)
}

func checkEncode(t *testing.T, v uint64, num int32, typ int8, b []byte) {
	t.Helper()
	pn, pt := pbwire.Number(num), pbwire.Type(typ)
	wn, wt := protowire.Number(num), protowire.Type(typ)
	prefix := []byte{0xAA}
	check := func(name string, got, want any) {
		t.Helper()
		if !equal(got, want) {
			t.Fatalf("%s(v=%d num=%d typ=%d b=%x): got %v; protowire %v", name, v, num, typ, b, got, want)
		}
	}
	check("AppendVarint", pbwire.AppendVarint(prefix, v), protowire.AppendVarint(prefix, v))
	check("SizeVarint", pbwire.SizeVarint(v), protowire.SizeVarint(v))
	check("AppendTag", pbwire.AppendTag(prefix, pn, pt), protowire.AppendTag(prefix, wn, wt))
	check("SizeTag", pbwire.SizeTag(pn), protowire.SizeTag(wn))
	check("EncodeTag", pbwire.EncodeTag(pn, pt), protowire.EncodeTag(wn, wt))
	dn, dt := pbwire.DecodeTag(v)
	wdn, wdt := protowire.DecodeTag(v)
	check("DecodeTag", [2]int64{int64(dn), int64(dt)}, [2]int64{int64(wdn), int64(wdt)})
	check("IsValid", pn.IsValid(), wn.IsValid())
	check("AppendFixed32", pbwire.AppendFixed32(prefix, uint32(v)), protowire.AppendFixed32(prefix, uint32(v)))
	check("AppendFixed64", pbwire.AppendFixed64(prefix, v), protowire.AppendFixed64(prefix, v))
	check("SizeFixed32", pbwire.SizeFixed32(), protowire.SizeFixed32())
	check("SizeFixed64", pbwire.SizeFixed64(), protowire.SizeFixed64())
	check("AppendBytes", pbwire.AppendBytes(prefix, b), protowire.AppendBytes(prefix, b))
	check("AppendString", pbwire.AppendString(prefix, string(b)), protowire.AppendString(prefix, string(b)))
	check("SizeBytes", pbwire.SizeBytes(len(b)), protowire.SizeBytes(len(b)))
	check("AppendGroup", pbwire.AppendGroup(prefix, pn, b), protowire.AppendGroup(prefix, wn, b))
	check("SizeGroup", pbwire.SizeGroup(pn, len(b)), protowire.SizeGroup(wn, len(b)))
	check("DecodeZigZag", pbwire.DecodeZigZag(v), protowire.DecodeZigZag(v))
	check("EncodeZigZag", pbwire.EncodeZigZag(int64(v)), protowire.EncodeZigZag(int64(v)))
	check("DecodeBool", pbwire.DecodeBool(v), protowire.DecodeBool(v))
	check("EncodeBool", pbwire.EncodeBool(v&1 == 1), protowire.EncodeBool(v&1 == 1))
	// What is appended reads back as protowire reads it.
	checkConsume(t, pbwire.AppendVarint(nil, v), num, typ)
	checkConsume(t, pbwire.AppendBytes(pbwire.AppendTag(nil, pn, pt), b), num, typ)
	checkConsume(t, pbwire.AppendGroup(pbwire.AppendTag(nil, pn, pbwire.StartGroupType), pn, b), num, typ)
	checkConsume(t, pbwire.AppendGroup(nil, pn, b), num, typ)
}

func equal(got, want any) bool {
	if g, ok := got.([]byte); ok {
		w := want.([]byte)
		return bytes.Equal(g, w) && (g == nil) == (w == nil)
	}
	return got == want
}

func TestConstants(t *testing.T) {
	pairs := []struct {
		name      string
		got, want int64
	}{
		{"MinValidNumber", int64(pbwire.MinValidNumber), int64(protowire.MinValidNumber)},
		{"FirstReservedNumber", int64(pbwire.FirstReservedNumber), int64(protowire.FirstReservedNumber)},
		{"LastReservedNumber", int64(pbwire.LastReservedNumber), int64(protowire.LastReservedNumber)},
		{"MaxValidNumber", int64(pbwire.MaxValidNumber), int64(protowire.MaxValidNumber)},
		{"DefaultRecursionLimit", pbwire.DefaultRecursionLimit, protowire.DefaultRecursionLimit},
		{"VarintType", int64(pbwire.VarintType), int64(protowire.VarintType)},
		{"Fixed32Type", int64(pbwire.Fixed32Type), int64(protowire.Fixed32Type)},
		{"Fixed64Type", int64(pbwire.Fixed64Type), int64(protowire.Fixed64Type)},
		{"BytesType", int64(pbwire.BytesType), int64(protowire.BytesType)},
		{"StartGroupType", int64(pbwire.StartGroupType), int64(protowire.StartGroupType)},
		{"EndGroupType", int64(pbwire.EndGroupType), int64(protowire.EndGroupType)},
	}
	for _, p := range pairs {
		if p.got != p.want {
			t.Errorf("%s = %d; protowire %d", p.name, p.got, p.want)
		}
	}
}

func TestParseError(t *testing.T) {
	for n := -10; n <= 2; n++ {
		if g, w := pbwire.ParseError(n), protowire.ParseError(n); !sameError(g, w) {
			t.Errorf("ParseError(%d) = %v; protowire %v", n, g, w)
		}
	}
}

// TestEdges covers the inputs fuzzing is unlikely to build: the longest
// varints, overflow at each length, number limits, and groups nested past
// the recursion limit.
func TestEdges(t *testing.T) {
	ten := bytes.Repeat([]byte{0xff}, 9)
	consume := map[string][]byte{
		"empty":             {},
		"ten bytes, top 1":  append(append([]byte{}, ten...), 0x01),
		"ten bytes, top 2":  append(append([]byte{}, ten...), 0x02),
		"eleven bytes":      append(bytes.Repeat([]byte{0x80}, 10), 0x00),
		"ten denormalised":  append(bytes.Repeat([]byte{0x80}, 9), 0x00),
		"truncated nine":    ten,
		"field zero":        {0x00},
		"field 2^29-1":      pbwire.AppendTag(nil, pbwire.MaxValidNumber, pbwire.VarintType),
		"field over int32":  pbwire.AppendVarint(nil, uint64(math.MaxInt32+1)<<3),
		"reserved type 6":   {0x0e, 0x00},
		"reserved type 7":   {0x0f},
		"lone end group":    {0x0c},
		"group ok":          {0x0b, 0x08, 0x01, 0x0c},
		"group mismatch":    {0x0b, 0x14},
		"group denormal":    {0x0b, 0x8c, 0x80, 0x00},
		"group unclosed":    {0x0b, 0x08, 0x01},
		"bytes too long":    {0x0a, 0x05, 'a'},
		"bytes huge length": append([]byte{0x0a}, append(ten, 0x01)...),
	}
	for name, data := range consume {
		t.Run(name, func(t *testing.T) {
			for _, typ := range []int8{0, 1, 2, 3, 4, 5, 6, 7, -1} {
				for _, num := range []int32{-1, 0, 1, 2, math.MaxInt32} {
					checkConsume(t, data, num, typ)
				}
			}
		})
	}
	for _, depth := range []int{pbwire.DefaultRecursionLimit, pbwire.DefaultRecursionLimit + 1, pbwire.DefaultRecursionLimit + 2} {
		nested := append(bytes.Repeat([]byte{0x0b}, depth), bytes.Repeat([]byte{0x0c}, depth)...)
		checkConsume(t, nested, 1, int8(pbwire.StartGroupType))
		checkConsume(t, nested[1:], 1, int8(pbwire.StartGroupType))
	}
	for _, v := range []uint64{0, 1, 127, 128, 1<<14 - 1, 1 << 14, 1<<63 - 1, 1 << 63, math.MaxUint64} {
		for _, num := range []int32{math.MinInt32, -1, 0, 1, 15, 16, 19000, 1<<29 - 1, 1 << 29, math.MaxInt32} {
			checkEncode(t, v, num, int8(pbwire.BytesType), []byte("value"))
		}
	}
}

func FuzzConsume(f *testing.F) {
	f.Add([]byte{0x08, 0x96, 0x01}, int32(1), int8(0))
	f.Add([]byte{0x0a, 0x03, 'a', 'b', 'c'}, int32(1), int8(2))
	f.Add([]byte{0x0b, 0x08, 0x01, 0x0c}, int32(1), int8(3))
	f.Add([]byte{0x0d, 1, 2, 3, 4}, int32(1), int8(5))
	f.Add([]byte{0x09, 1, 2, 3, 4, 5, 6, 7, 8}, int32(1), int8(1))
	f.Fuzz(func(t *testing.T, data []byte, num int32, typ int8) {
		checkConsume(t, data, num, typ)
	})
}

func FuzzEncode(f *testing.F) {
	f.Add(uint64(150), int32(1), int8(0), []byte("abc"))
	f.Add(uint64(math.MaxUint64), int32(1<<29-1), int8(3), []byte{0x08, 0x01})
	f.Fuzz(func(t *testing.T, v uint64, num int32, typ int8, b []byte) {
		checkEncode(t, v, num, typ, b)
	})
}
