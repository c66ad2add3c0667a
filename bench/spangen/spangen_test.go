package spangen

import "testing"

// TestRenumberKeepsIDsOfOneLength: a batch renumbered round after round,
// as the benchmarks send it, has new response ids each round, of the same
// length (they grew by 17 bytes a round, and a benchmark measured ids of
// kilobytes).
func TestRenumberKeepsIDsOfOneLength(t *testing.T) {
	td := Traces(64, 1, AllLLM)
	ids := func() []string {
		var out []string
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			for j := 0; j < rss.At(i).ScopeSpans().Len(); j++ {
				spans := rss.At(i).ScopeSpans().At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					if v, ok := spans.At(k).Attributes().Get("gen_ai.response.id"); ok {
						out = append(out, v.Str())
					}
				}
			}
		}
		return out
	}
	Renumber(td, 0)
	first := ids()
	if len(first) == 0 {
		t.Fatal("no response ids in the batch")
	}
	seen := map[string]bool{}
	for round := uint64(1); round < 50; round++ {
		Renumber(td, round)
		for i, id := range ids() {
			if len(id) != len(first[i]) {
				t.Fatalf("round %d: id %q, %d bytes; round 0 had %d", round, id, len(id), len(first[i]))
			}
			if seen[id] {
				t.Fatalf("round %d: id %q given before", round, id)
			}
			seen[id] = true
		}
	}
}
