package session

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/runner"
)

// childFailure returns the error event of a child that failed (it could not
// start, exited non-zero or was killed) carrying the end of its output, and
// keeps that output in rec.OutputTail; nil when the child succeeded.
func childFailure(rec *record.Session, res runner.Result, runErr error) *events.Event {
	if runErr == nil && rec.ExitCode == 0 {
		return nil
	}
	rec.OutputTail = string(res.Tail)
	e := &events.Event{
		Kind:    events.KindError,
		Name:    "process " + strings.Join(rec.Command, " "),
		TraceID: rec.TraceID,
		SpanID:  rec.RootSpanID,
		// The session span's own parent, when it has one.
		ParentSpanID: rec.ParentSpanID,
		Start:        rec.Start,
		End:          rec.End,
		Error:        &events.Error{Type: "exit", Source: "process", Output: rec.OutputTail},
	}
	switch {
	case runErr != nil:
		e.Error.Type, e.Error.Message = "start", runErr.Error()
	case res.Killed:
		e.Error.Type = "signal"
		e.Error.Message = fmt.Sprintf("command killed with SIGKILL: it did not exit within --kill-after of a terminating signal; exit code %d", rec.ExitCode)
	case res.Signal != 0:
		e.Error.Type = "signal"
		e.Error.Message = fmt.Sprintf("command killed by %s (%s); exit code %d", unix.SignalName(res.Signal), res.Signal, rec.ExitCode)
	default:
		e.Error.Message = fmt.Sprintf("command exited with code %d", rec.ExitCode)
	}
	return e
}
