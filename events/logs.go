package events

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

// FromLogRecord returns the events a log record stands for: the LLM call,
// tool call or error of a named log event in the logEvents table
// (logevents.go); else an error event when its severity is ERROR or above;
// nothing otherwise (the record is still counted and kept by the session).
// The events carry the trace and span the record was emitted in, when it
// has them.
func FromLogRecord(lr plog.LogRecord) []Event {
	evs, known := fromLogEvent(lr)
	if known && (len(evs) > 0 || !IsErrorSeverity(lr.SeverityNumber(), lr.SeverityText())) {
		return evs
	}
	if !IsErrorSeverity(lr.SeverityNumber(), lr.SeverityText()) {
		return nil
	}
	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	e := Event{
		Kind:  KindError,
		Name:  logName(lr),
		Start: ts.AsTime(),
		End:   ts.AsTime(),
	}
	if !lr.TraceID().IsEmpty() {
		e.TraceID = lr.TraceID().String()
	}
	if !lr.SpanID().IsEmpty() {
		e.SpanID = lr.SpanID().String()
	}
	// A log record that reports an exception uses the same attributes as a
	// span's exception event (semantic conventions, "Exceptions in logs").
	a := lr.Attributes()
	e.Error = &Error{
		Type:    first(str(a, "exception.type"), str(a, "error.type")),
		Message: first(str(a, "exception.message"), lr.Body().AsString()),
		Stack:   str(a, "exception.stacktrace"),
		Source:  "log",
	}
	return []Event{e}
}

// IsErrorSeverity reports whether a log record's severity is ERROR or above.
// The number decides (OpenTelemetry log data model, "Severity Fields"); when
// the SDK left it unset, the text does, in the words logging libraries use.
func IsErrorSeverity(n plog.SeverityNumber, text string) bool {
	if n != plog.SeverityNumberUnspecified {
		return n >= plog.SeverityNumberError
	}
	switch strings.ToUpper(strings.TrimSpace(text)) {
	case "ERROR", "ERR", "FATAL", "CRITICAL", "CRIT", "SEVERE", "ALERT", "EMERGENCY", "EMERG", "PANIC":
		return true
	}
	return false
}

// logName names the event after the record's event name, else its severity.
func logName(lr plog.LogRecord) string {
	if n := lr.EventName(); n != "" {
		return n
	}
	if t := lr.SeverityText(); t != "" {
		return "log " + t
	}
	return "log " + lr.SeverityNumber().String()
}
