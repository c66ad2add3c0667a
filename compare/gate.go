package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentops-dev/agentops/record"
)

// Grammar is the gate expression syntax, as usage errors show it.
const Grammar = `a gate is METRIC OP VALUE, for example cost>+10%, tokens>+20%, errors>0, llm_calls>+5
  METRIC  cost, tokens, input_tokens, output_tokens, llm_calls, tool_calls, errors, duration, end_state
  OP      >  >=  <  <=  ==  !=
  VALUE   N      the new session's own figure           (errors>0, cost>2.50, duration>10m)
          +N -N  its change from the baseline           (llm_calls>+5, duration>+30s)
          +N%    its relative change from the baseline  (cost>+10%, tokens>-50%)
          cost may be written with $, duration with units (90s, 15m); end_state takes
          Success, Fail or Indeterminate with == or != (end_state!=Success)`

// ErrBadGate is wrapped by ParseGate's errors.
var ErrBadGate = errors.New("bad gate")

// Gate is a parsed gate expression.
type Gate struct {
	Expr   string
	Metric string
	Op     string
	// Value is compared with the new session's figure (Of "value"), its
	// change (Of "delta") or its change in percent (Of "percent").
	Value float64
	Of    string
	// State is the end state an end_state gate compares with.
	State record.EndState
}

var ops = []string{">=", "<=", "==", "!=", ">", "<"}

// ParseGate parses one gate expression; the error shows the grammar.
func ParseGate(expr string) (Gate, error) {
	g := Gate{Expr: expr}
	s := strings.ReplaceAll(strings.TrimSpace(expr), " ", "")
	i := strings.IndexAny(s, "<>=!")
	if i <= 0 {
		return g, gateError(expr, "no comparison")
	}
	g.Metric = s[:i]
	rest := s[i:]
	for _, op := range ops {
		if strings.HasPrefix(rest, op) {
			g.Op, rest = op, rest[len(op):]
			break
		}
	}
	if g.Op == "" {
		return g, gateError(expr, "unknown comparison "+strconv.Quote(rest))
	}
	if rest == "" {
		return g, gateError(expr, "no value after "+g.Op)
	}
	if g.Metric == EndState {
		st := record.EndState(rest)
		if !slices.Contains([]record.EndState{record.Success, record.Fail, record.Indeterminate}, st) {
			return g, gateError(expr, "end_state takes Success, Fail or Indeterminate")
		}
		if g.Op != "==" && g.Op != "!=" {
			return g, gateError(expr, "end_state is compared with == or != only")
		}
		g.State = st
		return g, nil
	}
	if !slices.Contains(Metrics, g.Metric) {
		return g, gateError(expr, "unknown metric "+strconv.Quote(g.Metric))
	}
	g.Of = "value"
	if rest[0] == '+' || rest[0] == '-' {
		g.Of = "delta"
	}
	if strings.HasSuffix(rest, "%") {
		if g.Of != "delta" {
			return g, gateError(expr, "a relative change needs its sign: +10% or -10%")
		}
		g.Of, rest = "percent", strings.TrimSuffix(rest, "%")
	}
	v, err := parseValue(g.Metric, rest, g.Of == "percent")
	if err != nil {
		return g, gateError(expr, err.Error())
	}
	g.Value = v
	return g, nil
}

func parseValue(metric, s string, percent bool) (float64, error) {
	sign := 1.0
	if s[0] == '+' || s[0] == '-' {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	if metric == Cost && !percent {
		s = strings.TrimPrefix(s, "$")
	}
	if metric == Duration && !percent {
		if d, err := time.ParseDuration(s); err == nil {
			return sign * d.Seconds(), nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || strings.ContainsAny(s, "+-") {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return sign * v, nil
}

func gateError(expr, why string) error {
	return fmt.Errorf("%w %q: %s\n%s", ErrBadGate, expr, why, Grammar)
}

// ParseGates parses each expression; a comma inside one separates gates,
// so that "--fail-if cost>+10%,errors>0" is two.
func ParseGates(exprs []string) ([]Gate, error) {
	var gates []Gate
	for _, e := range exprs {
		for _, part := range strings.Split(e, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			g, err := ParseGate(part)
			if err != nil {
				return nil, err
			}
			gates = append(gates, g)
		}
	}
	return gates, nil
}

// Eval evaluates g on d. A cost gate on sessions with unpriced calls trips:
// their cost is unknown, and a gate that cannot tell must not pass.
func (g Gate) Eval(d *Diff) record.GateResult {
	r := record.GateResult{Gate: g.Expr}
	if g.Metric == EndState {
		got := d.B.EndState
		r.Tripped = (got == g.State) == (g.Op == "==")
		r.Detail = fmt.Sprintf("end state %s (baseline %s)", got, d.A.EndState)
		return r
	}
	m, _ := d.Metric(g.Metric)
	var x float64
	switch g.Of {
	case "value":
		x = m.B
	case "delta":
		x = m.Delta
	case "percent":
		x = m.Percent()
	}
	r.Tripped = compare(x, g.Op, g.Value)
	r.Detail = fmt.Sprintf("%s %s (%s → %s)", label(g.Metric), changeText(m), FormatValue(g.Metric, m.A), FormatValue(g.Metric, m.B))
	if m.Unknown {
		r.Tripped = true
		r.Detail += fmt.Sprintf("; cost unknown: %d unpriced calls in the new session, %d in the baseline (give their models a price with run --prices)",
			d.B.UnpricedCalls, d.A.UnpricedCalls)
	}
	return r
}

// compare applies op. Figures within a billionth of each other are equal:
// a change of 1.00 → 1.20 is +20%, though 0.2/1.0*100 is 19.999999999999996.
func compare(x float64, op string, v float64) bool {
	if math.Abs(x-v) <= 1e-9*math.Max(1, math.Abs(v)) {
		x = v
	}
	switch op {
	case ">":
		return x > v
	case ">=":
		return x >= v
	case "<":
		return x < v
	case "<=":
		return x <= v
	case "==":
		return x == v
	case "!=":
		return x != v
	}
	return false
}

// Evaluate evaluates every gate on d, records the results in d.Gates, and
// reports whether any tripped.
func Evaluate(d *Diff, gates []Gate) bool {
	tripped := false
	d.Gates = nil
	for _, g := range gates {
		r := g.Eval(d)
		tripped = tripped || r.Tripped
		d.Gates = append(d.Gates, r)
	}
	return tripped
}

func label(metric string) string { return strings.ReplaceAll(metric, "_", " ") }

// changeText is a metric's change as people read it: "+6 (+50%)", "+3 (new)".
func changeText(m Metric) string {
	if m.Delta == 0 {
		return "unchanged"
	}
	s := signed(m.Name, m.Delta)
	switch p := m.Percent(); {
	case math.IsInf(p, 0):
		s += " (from 0)"
	default:
		s += fmt.Sprintf(" (%+.0f%%)", p)
	}
	return s
}

// ChangeText is changeText for renderers.
func ChangeText(m Metric) string { return changeText(m) }

func signed(metric string, v float64) string {
	sign := "+"
	if v < 0 {
		sign, v = "-", -v
	}
	return sign + FormatValue(metric, v)
}

// FormatValue renders a figure of metric: "$0.0450", "1.3s", "12,000".
func FormatValue(metric string, v float64) string {
	switch metric {
	case Cost:
		if v == 0 {
			return "$0"
		}
		if math.Abs(v) < 1 {
			return fmt.Sprintf("$%.4f", v)
		}
		return fmt.Sprintf("$%.2f", v)
	case Duration, "time":
		d := time.Duration(v * float64(time.Second))
		if d > -time.Millisecond && d < time.Millisecond {
			return d.Round(time.Microsecond).String()
		}
		return d.Round(time.Millisecond).String()
	}
	return grouped(int64(math.Round(v)))
}

func grouped(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
