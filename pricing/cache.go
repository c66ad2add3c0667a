package pricing

import "sync"

// lookups remembers Lookup's answers: a session asks about the same few
// models for every call, and each Lookup tries a dozen name variants
// (regular expressions included), some microseconds a call.
type lookups struct {
	mu sync.Mutex
	m  map[[2]string]lookup
}

type lookup struct {
	key string
	p   Price
	ok  bool
}

// maxCachedLookups bounds the cache against a child inventing model names.
const maxCachedLookups = 4096

// cachedLookup is Lookup, remembered.
func (t *Table) cachedLookup(model, provider string) (string, Price, bool) {
	k := [2]string{model, provider}
	t.lookups.mu.Lock()
	r, hit := t.lookups.m[k]
	t.lookups.mu.Unlock()
	if hit {
		return r.key, r.p, r.ok
	}
	r.key, r.p, r.ok = t.Lookup(model, provider)
	t.lookups.mu.Lock()
	if t.lookups.m == nil {
		t.lookups.m = map[[2]string]lookup{}
	}
	if len(t.lookups.m) < maxCachedLookups {
		t.lookups.m[k] = r
	}
	t.lookups.mu.Unlock()
	return r.key, r.p, r.ok
}
