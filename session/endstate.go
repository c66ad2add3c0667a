package session

import (
	"fmt"
	"strconv"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

// decideEnd sets rec's end state and reason from how the child exited and
// what telemetry arrived, as AgentOps reports sessions:
//
//   - Indeterminate when the child was killed by a signal (nobody knows
//     whether it would have succeeded);
//   - Fail when it could not start or exited non-zero, with the exit code
//     and the last error event;
//   - Indeterminate when it exited 0 but its telemetry is incomplete;
//   - Fail when it exited 0 with error events and failOnErrors is set;
//   - Success otherwise.
func decideEnd(rec *record.Session, failOnErrors bool) {
	lastErr := lastError(rec.Totals)
	b := rec.Budget
	switch {
	case b != nil && b.Stopped:
		rec.EndState = record.Fail
		rec.EndReason = b.Exceeded.Reason() + "; agentops stopped the agent (" + stoppedHow(rec) + ")"
		return
	case rec.Signal != "":
		rec.EndState = record.Indeterminate
		rec.EndReason = "killed by a signal (" + rec.Signal + ")"
	case rec.StartError != "":
		rec.EndState = record.Fail
		rec.EndReason = rec.StartError
	case rec.ExitCode != 0:
		rec.EndState = record.Fail
		rec.EndReason = fmt.Sprintf("exit code %d", rec.ExitCode)
		if lastErr != "" {
			rec.EndReason += "; last error: " + lastErr
		}
	case rec.DrainTimedOut:
		rec.EndState = record.Indeterminate
		rec.EndReason = "telemetry incomplete: the child's exports were still arriving when agentops stopped waiting"
	case rec.MissingParents > 0:
		rec.EndState = record.Indeterminate
		count := strconv.Itoa(rec.MissingParents)
		if rec.MissingParents >= events.MaxMissingParents {
			count = "at least " + count // the window stops counting there
		}
		rec.EndReason = fmt.Sprintf("telemetry incomplete: %s parent span%s never arrived (did the child exit without flushing its OpenTelemetry SDK?)",
			count, map[bool]string{true: "", false: "s"}[rec.MissingParents == 1])
	case failOnErrors && rec.Totals.Errors > 0:
		rec.EndState = record.Fail
		rec.EndReason = fmt.Sprintf("exit code 0 but %s; last: %s", errorCount(rec.Totals.Errors), lastErr)
	default:
		rec.EndState = record.Success
		rec.EndReason = "exit code 0"
		if rec.Totals.Errors > 0 {
			rec.EndReason += ", " + errorCount(rec.Totals.Errors) + " recorded"
		}
	}
	if b != nil && b.Exceeded != nil {
		how := " (--on-budget warn: not stopped)"
		if b.OnExceed != string(BudgetWarn) {
			how = " (seen after the agent exited)"
		}
		rec.EndReason += "; " + b.Exceeded.Reason() + how
	}
}

// stoppedHow says how a child stopped by its budget ended.
func stoppedHow(rec *record.Session) string {
	if rec.Signal != "" {
		return fmt.Sprintf("exit code %d, signal %s", rec.ExitCode, rec.Signal)
	}
	return fmt.Sprintf("exit code %d", rec.ExitCode)
}

// lastError describes the error event that ended last, not counting errors
// that only repeat one raised below them. It comes from the totals, which
// see every event, not from the events the record keeps.
func lastError(t events.Totals) string {
	l := t.LastError
	if l == nil {
		return ""
	}
	msg := l.Message
	if l.Type != "" && l.Message != l.Type {
		msg = l.Type + ": " + msg
	}
	return fmt.Sprintf("%s (in %s)", msg, l.Where)
}

func errorCount(n int) string {
	if n == 1 {
		return "1 error"
	}
	return fmt.Sprintf("%d errors", n)
}
