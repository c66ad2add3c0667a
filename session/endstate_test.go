package session

import (
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

func TestDecideEnd(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	errs := []events.Event{
		{Kind: events.KindError, Name: "tool a", End: t0, Error: &events.Error{Type: "IOError", Message: "first"}},
		{Kind: events.KindError, Name: "tool b", End: t0.Add(time.Second), Error: &events.Error{Message: "last one"}},
		{Kind: events.KindError, Name: "agent", End: t0.Add(2 * time.Second), Error: &events.Error{Message: "last one", Propagated: true}},
	}
	// The totals see every event; the record keeps only the first ones, so
	// the end reason must not depend on rec.Events.
	var withErrs events.Totals
	for _, e := range errs {
		withErrs.Add(e)
	}
	tests := []struct {
		name         string
		rec          record.Session
		failOnErrors bool
		want         record.EndState
		reason       string
	}{
		{"clean exit", record.Session{}, false, record.Success, "exit code 0"},
		{"exit 0 with errors", record.Session{Totals: withErrs}, false, record.Success, "exit code 0, 2 errors recorded"},
		{"errors as failure", record.Session{Totals: withErrs}, true, record.Fail, "exit code 0 but 2 errors; last: last one (in tool b)"},
		{"non-zero exit", record.Session{ExitCode: 3, Totals: withErrs}, false, record.Fail, "exit code 3; last error: last one (in tool b)"},
		{"not started", record.Session{ExitCode: 127, StartError: "agent: command not found"}, false, record.Fail, "agent: command not found"},
		{"killed", record.Session{ExitCode: 137, Signal: "killed"}, false, record.Indeterminate, "killed by a signal (killed)"},
		{"parents missing", record.Session{MissingParents: 1}, false, record.Indeterminate, "telemetry incomplete: 1 parent span never arrived"},
		{"drain timed out", record.Session{DrainTimedOut: true}, true, record.Indeterminate, "telemetry incomplete"},
		{"failure wins over incomplete", record.Session{ExitCode: 1, MissingParents: 2}, false, record.Fail, "exit code 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.rec
			decideEnd(&rec, tt.failOnErrors)
			if rec.EndState != tt.want || !strings.HasPrefix(rec.EndReason, tt.reason) {
				t.Errorf("end = %s (%q), want %s (%q...)", rec.EndState, rec.EndReason, tt.want, tt.reason)
			}
		})
	}
}
