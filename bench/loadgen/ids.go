package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// A session counts a span it already has (same trace and span id) once,
// as it must when an SDK retries an export the server had in fact
// accepted. So that every batch sent is new spans although only a few
// batches are encoded, each is sent with its ids changed: idRefs says where
// the ids lie in an encoded body, and renumber rewrites them for one round.

// idRef is where one id lies in an encoded body: n bytes at off (protobuf),
// or 2n hex digits (JSON).
type idRef struct {
	off, n int
	hex    bool
}

// findIDs locates every trace, span and parent span id of td in body, the
// encoding of td. Ids are random, so their bytes (or hex digits) occur
// nowhere else.
func findIDs(td ptrace.Traces, body []byte, asHex bool) []idRef {
	seen := map[string]int{}
	ptraceEach(td, func(sp ptrace.Span) {
		t, s, p := sp.TraceID(), sp.SpanID(), sp.ParentSpanID()
		seen[string(t[:])] = 16
		seen[string(s[:])] = 8
		if !p.IsEmpty() {
			seen[string(p[:])] = 8
		}
	})
	var refs []idRef
	// The response and tool call ids spangen makes (chatcmpl-<16 hex>,
	// call_<12 hex>) name one call too: their hex digits are rewritten
	// like the span ids', in either encoding.
	ptraceEach(td, func(sp ptrace.Span) {
		for _, k := range []string{"gen_ai.response.id", "gen_ai.tool.call.id"} {
			v, ok := sp.Attributes().Get(k)
			if !ok {
				continue
			}
			s := v.Str()
			i := strings.LastIndexAny(s, "-_")
			digits := s[i+1:]
			if len(digits) < 2 || len(digits)%2 != 0 {
				continue
			}
			if b, err := hex.DecodeString(digits); err == nil {
				seen[string(b)] = -len(b) // hex digits in both encodings
			}
		}
	})
	for id, n := range seen {
		needle, isHex := []byte(id), asHex
		if n < 0 {
			n, isHex = -n, true
		}
		if isHex {
			needle = []byte(hex.EncodeToString(needle))
		}
		for off := 0; ; {
			i := bytes.Index(body[off:], needle)
			if i < 0 {
				break
			}
			refs = append(refs, idRef{off: off + i, n: n, hex: isHex})
			off += i + len(needle)
		}
	}
	return refs
}

// renumber copies body into buf with every id XORed with round's key (the
// first 8 bytes of a trace id), and returns buf. Unlike -unique's stamp,
// parents keep their children: the spans stay one tree.
func renumber(buf, body []byte, refs []idRef, round uint64) []byte {
	buf = append(buf[:0], body...)
	key := (round + 1) * 0x9e3779b97f4a7c15
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], key)
	for _, r := range refs {
		n := min(r.n, 8) // a trace id: its first 8 bytes
		if r.hex {
			var b [8]byte
			_, _ = hex.Decode(b[:n], buf[r.off:r.off+2*n])
			for i := range n {
				b[i] ^= k[i]
			}
			hex.Encode(buf[r.off:r.off+2*n], b[:n])
			continue
		}
		for i := range n {
			buf[r.off+i] ^= k[i]
		}
	}
	return buf
}

func ptraceEach(td ptrace.Traces, fn func(ptrace.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				fn(spans.At(k))
			}
		}
	}
}
