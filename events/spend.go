package events

// Spend is what a session has consumed so far: the figures a budget is
// checked against while the child runs.
type Spend struct {
	LLMCalls     int
	InputTokens  int64
	OutputTokens int64
	// CostUSD sums the calls with a cost; UnpricedCalls counts those
	// without one, so CostUSD is exact only when UnpricedCalls is 0.
	CostUSD       float64
	UnpricedCalls int
}

// Tokens is input plus output tokens.
func (s Spend) Tokens() int64 { return s.InputTokens + s.OutputTokens }

// Spend is the session's consumption so far by the same rules as Finish:
// the calls already counted plus those the window still holds, with the
// wrapper rules applied to what has arrived. A wrapper whose children are
// still to come can be counted here and not in the end's totals, never the
// reverse: SDKs export a child before its parent, so the figure is exact
// for them. It does not change what Finish will count or price.
func (w *Window) Spend() Spend {
	s := Spend{
		LLMCalls:      w.totals.LLMCalls,
		InputTokens:   w.totals.InputTokens,
		OutputTokens:  w.totals.OutputTokens,
		CostUSD:       w.totals.CostUSD,
		UnpricedCalls: w.totals.UnpricedCalls,
	}
	w.mark()
	for i := range w.evs {
		l := w.evs[i].LLM
		if w.evs[i].Kind != KindLLM || l == nil || l.Wrapper || l.Duplicate || w.evs[i].SameAs != "" {
			continue
		}
		s.LLMCalls++
		s.InputTokens += l.InputTokens
		s.OutputTokens += l.OutputTokens
		cost, ok := 0.0, false
		if l.CostUSD != nil {
			cost, ok = *l.CostUSD, true
		} else if w.Pricer != nil {
			cost, ok = w.Pricer.Price(*l)
		}
		if ok {
			s.CostUSD += cost
		} else {
			s.UnpricedCalls++
		}
	}
	return s
}
