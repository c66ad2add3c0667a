package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"

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
	for id, n := range seen {
		needle := []byte(id)
		if asHex {
			needle = []byte(hex.EncodeToString(needle))
		}
		for off := 0; ; {
			i := bytes.Index(body[off:], needle)
			if i < 0 {
				break
			}
			refs = append(refs, idRef{off: off + i, n: n, hex: asHex})
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
	for _, r := range refs {
		if r.hex {
			var b [8]byte
			_, _ = hex.Decode(b[:], buf[r.off:r.off+16])
			binary.BigEndian.PutUint64(b[:], binary.BigEndian.Uint64(b[:])^key)
			hex.Encode(buf[r.off:r.off+16], b[:])
			continue
		}
		binary.BigEndian.PutUint64(buf[r.off:], binary.BigEndian.Uint64(buf[r.off:])^key)
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
