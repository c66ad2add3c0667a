package events

import (
	"fmt"
	"testing"
)

// Repeats answers as a map of the first maxRemembered ids would: the
// counted span of each id remembered, a log event's name, nothing for an
// id past the bound or never counted, the last span of an id counted twice.
func TestRepeatsRemembersLikeAMap(t *testing.T) {
	call := func(i int) Event {
		return Event{Kind: KindLLM, Name: "chat", SpanID: fmt.Sprintf("%016x", i+1), ResponseID: fmt.Sprintf("resp-%d", i), LLM: &LLM{}}
	}
	var r Repeats
	for i := range maxRemembered + 100 {
		e := call(i)
		if i == 7 {
			e.Source, e.Name = "log", "api_request"
		}
		r.remember(&e, idKeys(&e))
		if i == 20 {
			again := call(9)
			again.SpanID = fmt.Sprintf("%016x", 1<<40)
			r.remember(&again, idKeys(&again))
		}
	}
	for i := range maxRemembered + 100 {
		e := call(i)
		ref, ok := r.counts(idKeys(&e))
		want, wantOK := fmt.Sprintf("span %016x", i+1), i < maxRemembered
		switch i {
		case 7:
			want = "log api_request"
		case 9:
			want = fmt.Sprintf("span %016x", 1<<40)
		}
		if ok != wantOK || (ok && ref != want) {
			t.Fatalf("id %d: %q, %v; want %q, %v", i, ref, ok, want, wantOK)
		}
	}
	for i := range 1000 {
		e := Event{Kind: KindLLM, ResponseID: fmt.Sprintf("never-%d", i), LLM: &LLM{}}
		if ref, ok := r.counts(idKeys(&e)); ok {
			t.Fatalf("an id never counted repeats %s", ref)
		}
	}
	if r.len() != maxRemembered || len(r.slots) != 2*maxRemembered {
		t.Fatalf("%d ids in %d slots, want %d in %d", r.len(), len(r.slots), maxRemembered, 2*maxRemembered)
	}
}
