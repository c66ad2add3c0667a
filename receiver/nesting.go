package receiver

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// MaxNesting is how deep an attribute value or log body may nest maps and
// arrays (a plain string is level 1, a map of strings level 2). It is one
// limit for every encoding: pdata's protobuf decoder stops at 100 nested
// messages, which is 31 to 47 value levels depending on where the value
// sits and what it nests (a map level is 3 messages, an array level 2); 30
// is below all of these, so a request deeper than 30 gets our answer over
// protobuf as over JSON, whose decoder has no limit of its own. Everything
// downstream (event text, the store, show) then only ever sees values it
// can walk recursively without risk.
const MaxNesting = 30

// errTooDeep marks a request with a value nested deeper than MaxNesting:
// permanent, the request is refused as a whole (400 / INVALID_ARGUMENT).
var errTooDeep = fmt.Errorf("a value nested deeper than %d levels of maps and arrays: flatten it (for example send it as a JSON string)", MaxNesting)

// decodeError keeps a decoder's error, except that pdata's protobuf
// recursion limit (ErrRecursionDepth, internal to pdata) is the nesting
// limit's answer: one limit, one answer, whatever the encoding.
func decodeError(err error) error {
	if strings.Contains(err.Error(), "exceeded max recursion depth") {
		return errTooDeep
	}
	return err
}

// RefusedTooDeep is the refusal count's key for requests refused by the
// nesting limit, whichever protocol carried them.
const RefusedTooDeep = "too deeply nested"

// maxJSONDepth bounds the brackets of an OTLP JSON body before it is
// decoded: the deepest envelope (a histogram exemplar's attribute) is 17
// levels, and each value level costs at most 4 brackets
// ({"kvlistValue":{"values":[{"key":..,"value":...), so no request within
// MaxNesting comes near it, and the decoder's recursion never sees a
// million levels.
const maxJSONDepth = 17 + 4*MaxNesting + 8

// jsonTooDeep reports whether a JSON text nests objects and arrays deeper
// than limit, in one pass without recursion. Brackets inside strings do
// not count; malformed JSON is left to the decoder.
func jsonTooDeep(b []byte, limit int) bool {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if depth++; depth > limit {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// checkNesting returns errTooDeep when any value of the batch nests deeper
// than MaxNesting.
func checkNesting(maps func(yield func(pcommon.Map) bool), values func(yield func(pcommon.Value) bool)) error {
	var w nestingWalk
	if maps != nil {
		maps(func(m pcommon.Map) bool { return w.mapOK(m) })
	}
	if values != nil && w.ok() {
		values(func(v pcommon.Value) bool { return w.valueOK(v, 1) })
	}
	if !w.ok() {
		return errTooDeep
	}
	return nil
}

// nestingWalk measures value depth with an explicit stack: the input
// decides the depth, so the walk must not recurse.
type nestingWalk struct {
	stack  []nested
	failed bool
}

type nested struct {
	v     pcommon.Value
	depth int
}

func (w *nestingWalk) ok() bool { return !w.failed }

// mapOK checks an attribute map: its values are level 1.
func (w *nestingWalk) mapOK(m pcommon.Map) bool {
	m.Range(func(_ string, v pcommon.Value) bool { return w.valueOK(v, 1) })
	return !w.failed
}

func (w *nestingWalk) valueOK(v pcommon.Value, depth int) bool {
	switch v.Type() {
	case pcommon.ValueTypeMap, pcommon.ValueTypeSlice:
	default:
		return true // the common case: a scalar, nothing to walk
	}
	w.stack = append(w.stack[:0], nested{v, depth})
	for len(w.stack) > 0 {
		top := w.stack[len(w.stack)-1]
		w.stack = w.stack[:len(w.stack)-1]
		if top.depth > MaxNesting {
			w.failed = true
			return false
		}
		push := func(c pcommon.Value) {
			if t := c.Type(); t == pcommon.ValueTypeMap || t == pcommon.ValueTypeSlice {
				w.stack = append(w.stack, nested{c, top.depth + 1})
			} else if top.depth+1 > MaxNesting {
				w.failed = true
			}
		}
		switch top.v.Type() {
		case pcommon.ValueTypeMap:
			top.v.Map().Range(func(_ string, c pcommon.Value) bool { push(c); return !w.failed })
		case pcommon.ValueTypeSlice:
			s := top.v.Slice()
			for i := 0; i < s.Len() && !w.failed; i++ {
				push(s.At(i))
			}
		}
		if w.failed {
			return false
		}
	}
	return true
}

func tracesNesting(td ptrace.Traces) error {
	return checkNesting(func(yield func(pcommon.Map) bool) {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			rs := rss.At(i)
			if !yield(rs.Resource().Attributes()) {
				return
			}
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j)
				if !yield(ss.Scope().Attributes()) {
					return
				}
				for k := 0; k < ss.Spans().Len(); k++ {
					sp := ss.Spans().At(k)
					if !yield(sp.Attributes()) {
						return
					}
					for e := 0; e < sp.Events().Len(); e++ {
						if !yield(sp.Events().At(e).Attributes()) {
							return
						}
					}
					for l := 0; l < sp.Links().Len(); l++ {
						if !yield(sp.Links().At(l).Attributes()) {
							return
						}
					}
				}
			}
		}
	}, nil)
}

func logsNesting(ld plog.Logs) error {
	each := func(fn func(rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord) bool) {
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			rl := rls.At(i)
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				sl := rl.ScopeLogs().At(j)
				for k := 0; k < sl.LogRecords().Len(); k++ {
					if !fn(rl, sl, sl.LogRecords().At(k)) {
						return
					}
				}
			}
		}
	}
	return checkNesting(func(yield func(pcommon.Map) bool) {
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			if !yield(rls.At(i).Resource().Attributes()) {
				return
			}
			for j := 0; j < rls.At(i).ScopeLogs().Len(); j++ {
				if !yield(rls.At(i).ScopeLogs().At(j).Scope().Attributes()) {
					return
				}
			}
		}
		each(func(_ plog.ResourceLogs, _ plog.ScopeLogs, lr plog.LogRecord) bool { return yield(lr.Attributes()) })
	}, func(yield func(pcommon.Value) bool) {
		each(func(_ plog.ResourceLogs, _ plog.ScopeLogs, lr plog.LogRecord) bool { return yield(lr.Body()) })
	})
}

func metricsNesting(md pmetric.Metrics) error {
	return checkNesting(func(yield func(pcommon.Map) bool) {
		rms := md.ResourceMetrics()
		for i := 0; i < rms.Len(); i++ {
			rm := rms.At(i)
			if !yield(rm.Resource().Attributes()) {
				return
			}
			for j := 0; j < rm.ScopeMetrics().Len(); j++ {
				sm := rm.ScopeMetrics().At(j)
				if !yield(sm.Scope().Attributes()) {
					return
				}
				for k := 0; k < sm.Metrics().Len(); k++ {
					if !metricMaps(sm.Metrics().At(k), yield) {
						return
					}
				}
			}
		}
	}, nil)
}

// metricMaps yields the attributes of every data point and exemplar of m.
func metricMaps(m pmetric.Metric, yield func(pcommon.Map) bool) bool {
	if !yield(m.Metadata()) {
		return false
	}
	exemplars := func(es pmetric.ExemplarSlice) bool {
		for i := 0; i < es.Len(); i++ {
			if !yield(es.At(i).FilteredAttributes()) {
				return false
			}
		}
		return true
	}
	switch m.Type() {
	case pmetric.MetricTypeGauge, pmetric.MetricTypeSum:
		var dps pmetric.NumberDataPointSlice
		if m.Type() == pmetric.MetricTypeSum {
			dps = m.Sum().DataPoints()
		} else {
			dps = m.Gauge().DataPoints()
		}
		for i := 0; i < dps.Len(); i++ {
			if !yield(dps.At(i).Attributes()) || !exemplars(dps.At(i).Exemplars()) {
				return false
			}
		}
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if !yield(dps.At(i).Attributes()) || !exemplars(dps.At(i).Exemplars()) {
				return false
			}
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if !yield(dps.At(i).Attributes()) || !exemplars(dps.At(i).Exemplars()) {
				return false
			}
		}
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if !yield(dps.At(i).Attributes()) {
				return false
			}
		}
	}
	return true
}

// isTooDeep reports whether err is the nesting limit's refusal.
func isTooDeep(err error) bool { return errors.Is(err, errTooDeep) }
