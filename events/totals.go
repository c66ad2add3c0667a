package events

// Totals is the running tally of a session's events.
type Totals struct {
	LLMCalls     int      `json:"llm_calls"`
	InputTokens  int64    `json:"input_tokens"`
	OutputTokens int64    `json:"output_tokens"`
	ToolCalls    int      `json:"tool_calls"`
	Errors       int      `json:"errors"`
	ErrorSamples []string `json:"error_messages,omitempty"`
}

// maxErrorSamples bounds the error messages kept for the summary.
const maxErrorSamples = 5

// Add counts one event.
func (t *Totals) Add(e Event) {
	switch e.Kind {
	case KindLLM:
		t.LLMCalls++
		t.InputTokens += e.LLM.InputTokens
		t.OutputTokens += e.LLM.OutputTokens
	case KindTool:
		t.ToolCalls++
	case KindError:
		t.Errors++
		if len(t.ErrorSamples) < maxErrorSamples && e.Error != nil {
			msg := e.Error.Message
			if msg == "" {
				msg = e.Name
			}
			t.ErrorSamples = append(t.ErrorSamples, msg)
		}
	}
}
