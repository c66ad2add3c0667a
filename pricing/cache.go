package pricing

import "sync"

// lookups remembers lookup's answers: a session asks about the same few
// models for every call, and each lookup tries several forms of the id
// against up to four providers' rules (regular expressions included).
// Answered from here, a call's price costs a map read and no allocation.
type lookups struct {
	mu sync.RWMutex
	m  map[lookupKey]*model // nil: no price
}

type lookupKey struct{ model, provider, server string }

// maxCachedLookups bounds the cache against a child inventing model names.
const maxCachedLookups = 4096

// cachedLookup is lookup, remembered: the model matched, or nil.
func (t *Table) cachedLookup(name, provider, server string) *model {
	k := lookupKey{name, provider, server}
	t.lookups.mu.RLock()
	m, hit := t.lookups.m[k]
	t.lookups.mu.RUnlock()
	if hit {
		return m
	}
	if r, ok := t.table().lookup(name, provider, server); ok {
		m = r.m
	}
	t.lookups.mu.Lock()
	if t.lookups.m == nil {
		t.lookups.m = map[lookupKey]*model{}
	}
	if len(t.lookups.m) < maxCachedLookups {
		t.lookups.m[k] = m
	}
	t.lookups.mu.Unlock()
	return m
}
