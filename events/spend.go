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
		if !w.evs[i].countedCall() {
			continue
		}
		ev := w.unpack(&w.evs[i], &w.llm, false)
		e := &ev
		s.LLMCalls++
		s.InputTokens += e.LLM.InputTokens
		s.OutputTokens += e.LLM.OutputTokens
		cost, ok := 0.0, false
		if e.LLM.CostUSD != nil {
			cost, ok = *e.LLM.CostUSD, true
		} else {
			cost, ok = tablePrice(e, w.Pricer)
		}
		if ok {
			s.CostUSD += cost
		} else {
			s.UnpricedCalls++
		}
	}
	return s
}
