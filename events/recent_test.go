package events

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// recentSpans says what a map of the last DedupeSpans spans says, for
// spans drawn again both within and beyond that many spans of each other,
// as its table grows, fills and its oldest entries are taken out.
func TestRecentSpansMatchesAMap(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	var r recentSpans
	type key struct {
		trace pcommon.TraceID
		span  pcommon.SpanID
	}
	held := map[key]int{} // span → how many times it is in ring
	var ring []key
	newSpans, repeats := 0, 0
	for n := range 4 * DedupeSpans {
		// Mostly new spans; some from the last 1.5 windows' worth.
		var k key
		if n > 0 && rnd.IntN(4) == 0 {
			k = ring[max(0, len(ring)-1-rnd.IntN(DedupeSpans*3/2))]
		} else {
			binary.BigEndian.PutUint64(k.trace[:], rnd.Uint64())
			binary.BigEndian.PutUint64(k.span[:], rnd.Uint64())
		}
		want := held[k] == 0
		if got := r.add(k.trace, k.span); got != want {
			t.Fatalf("add %d: new=%v, want %v", n, got, want)
		}
		if !want {
			repeats++
			continue
		}
		newSpans++
		ring = append(ring, k)
		held[k]++
		if len(ring) > DedupeSpans {
			old := ring[len(ring)-DedupeSpans-1]
			if held[old]--; held[old] == 0 {
				delete(held, old)
			}
		}
	}
	if repeats < DedupeSpans/4 || newSpans < 2*DedupeSpans {
		t.Fatalf("%d repeats, %d new spans: the test does not exercise the set", repeats, newSpans)
	}
	if r.count() != DedupeSpans || len(r.slots) != 2*DedupeSpans {
		t.Fatalf("holds %d spans in %d slots, want %d in %d", r.count(), len(r.slots), DedupeSpans, 2*DedupeSpans)
	}
}
