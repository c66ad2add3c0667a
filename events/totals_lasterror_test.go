package events

import (
	"testing"
	"time"
)

func TestTotalsLastErrorByEndTime(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tot Totals
	// Arrival order differs from end order; a re-raised error never counts.
	for _, e := range []Event{
		{Kind: KindError, Name: "late", End: t0.Add(2 * time.Second), Error: &Error{Type: "Timeout", Message: "slow"}},
		{Kind: KindError, Name: "early", End: t0, Error: &Error{Message: "first"}},
		{Kind: KindError, Name: "wrapper", End: t0.Add(3 * time.Second), Error: &Error{Message: "slow", Propagated: true}},
	} {
		tot.Add(e)
	}
	if tot.Errors != 2 {
		t.Errorf("errors = %d, want 2", tot.Errors)
	}
	if l := tot.LastError; l == nil || l.Where != "late" || l.Type != "Timeout" || l.Message != "slow" {
		t.Errorf("last error = %+v, want the one that ended last (late)", l)
	}
}
