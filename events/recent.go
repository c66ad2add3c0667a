package events

import (
	"hash/maphash"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// recentSpans is the set of the last DedupeSpans spans' (trace id, span id),
// as 64-bit hashes: random ids of a span never collide in practice, and the
// seed is the process's own, so a child cannot make two spans collide on
// purpose. Every span received passes through it: it is an open-addressing
// table of 4-byte positions in the ring of hashes (16 bytes a span, and one
// probe of a small array, where a map of the hashes took 44 bytes and
// hashed them again).
type recentSpans struct {
	seed maphash.Seed
	ring []uint64 // the hashes, in arrival order; once full, the oldest at next
	next int
	// slots holds 1 + a position in ring, or 0 when empty; linear probing
	// from a hash's low bits, at most half full.
	slots []uint32
}

// add notes a span and reports whether it is new.
func (r *recentSpans) add(trace pcommon.TraceID, span pcommon.SpanID) bool {
	if r.slots == nil {
		r.seed = maphash.MakeSeed()
		r.slots = make([]uint32, 1024)
	}
	var b [24]byte
	copy(b[:16], trace[:])
	copy(b[16:], span[:])
	k := maphash.Bytes(r.seed, b[:])
	i, found := r.find(k)
	if found {
		return false
	}
	if len(r.ring) < DedupeSpans {
		r.ring = append(r.ring, k)
		r.slots[i] = uint32(len(r.ring))
		if 2*len(r.ring) > len(r.slots) {
			r.grow()
		}
		return true
	}
	r.remove(r.next)
	r.ring[r.next] = k
	i, _ = r.find(k) // the removal may have moved the free slot
	r.slots[i] = uint32(r.next + 1)
	r.next = (r.next + 1) % DedupeSpans
	return true
}

// find returns the slot holding k, or the free slot where it belongs.
func (r *recentSpans) find(k uint64) (slot int, found bool) {
	mask := len(r.slots) - 1
	for i := int(k) & mask; ; i = (i + 1) & mask {
		s := r.slots[i]
		if s == 0 {
			return i, false
		}
		if r.ring[s-1] == k {
			return i, true
		}
	}
}

// remove takes ring position pos out of the table, moving back the entries
// after it that could not be found past the hole (deletion in linear
// probing without tombstones).
func (r *recentSpans) remove(pos int) {
	i, found := r.find(r.ring[pos])
	if !found {
		return
	}
	mask := len(r.slots) - 1
	for j := (i + 1) & mask; r.slots[j] != 0; j = (j + 1) & mask {
		home := int(r.ring[r.slots[j]-1]) & mask
		// The entry at j stays when its home lies cyclically in (i, j].
		if (i <= j && i < home && home <= j) || (i > j && (i < home || home <= j)) {
			continue
		}
		r.slots[i] = r.slots[j]
		i = j
	}
	r.slots[i] = 0
}

// grow doubles the table and places every hash of the ring again.
func (r *recentSpans) grow() {
	r.slots = make([]uint32, 2*len(r.slots))
	for pos, k := range r.ring {
		i, _ := r.find(k)
		r.slots[i] = uint32(pos + 1)
	}
}

// count is how many spans the set holds.
func (r *recentSpans) count() int { return len(r.ring) }
