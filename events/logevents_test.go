package events

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// logRecord builds a log record named by its event.name attribute, with
// the attributes given (numbers as the agents send them: strings too).
func logRecord(name string, attrs map[string]any) plog.LogRecord {
	lr := plog.NewLogRecord()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.Attributes().PutStr("event.name", name)
	for k, v := range attrs {
		_ = lr.Attributes().PutEmpty(k).FromRaw(v)
	}
	return lr
}

func TestLogEvents(t *testing.T) {
	type llmWant struct {
		model                  string
		in, out, cached, reasn int64
		cost                   float64
	}
	tests := []struct {
		name   string
		lr     plog.LogRecord
		kinds  []Kind
		llm    *llmWant
		tool   string
		failed bool
	}{
		{"claude api_request, input excludes the cache",
			logRecord("claude_code.api_request", map[string]any{"model": "claude-sonnet-4-5", "input_tokens": "20",
				"output_tokens": "9", "cache_read_tokens": "100", "cache_creation_tokens": int64(5), "cost_usd": "0.0012",
				"request_id": "req_1", "duration_ms": "1500"}),
			[]Kind{KindLLM}, &llmWant{"claude-sonnet-4-5", 125, 9, 100, 0, 0.0012}, "", false},
		{"claude api_request named by its body, event.name short", func() plog.LogRecord {
			lr := logRecord("api_request", map[string]any{"model": "m", "input_tokens": int64(3), "output_tokens": int64(1)})
			lr.Body().SetStr("claude_code.api_request")
			return lr
		}(), []Kind{KindLLM}, &llmWant{"m", 3, 1, 0, 0, -1}, "", false},
		{"claude api_error", logRecord("claude_code.api_error", map[string]any{"error": "overloaded", "status_code": "529"}),
			[]Kind{KindError}, nil, "", false},
		{"claude tool_result ok", logRecord("claude_code.tool_result", map[string]any{"tool_name": "Bash", "success": "true"}),
			[]Kind{KindTool}, nil, "Bash", false},
		{"claude tool_result failed", logRecord("claude_code.tool_result", map[string]any{"tool_name": "Bash", "success": "false", "error": "exit 1"}),
			[]Kind{KindTool, KindError}, nil, "Bash", true},
		{"gemini api_response, thoughts are output", logRecord("gemini_cli.api_response", map[string]any{"model": "gemini-2.5-flash",
			"input_token_count": int64(200), "output_token_count": int64(11), "thoughts_token_count": int64(4), "cached_content_token_count": int64(50)}),
			[]Kind{KindLLM}, &llmWant{"gemini-2.5-flash", 200, 15, 50, 4, -1}, "", false},
		{"gemini api_error", logRecord("gemini_cli.api_error", map[string]any{"error.message": "quota", "model_name": "gemini-2.5-flash"}),
			[]Kind{KindError}, nil, "", false},
		{"gemini tool_call failed", logRecord("gemini_cli.tool_call", map[string]any{"function_name": "read_file", "success": false}),
			[]Kind{KindTool, KindError}, nil, "read_file", true},
		{"gen_ai inference details", logRecord("gen_ai.client.inference.operation.details", map[string]any{
			"gen_ai.request.model": "gemini-2.5-flash", "gen_ai.usage.input_tokens": int64(200), "gen_ai.usage.output_tokens": int64(11)}),
			[]Kind{KindLLM}, &llmWant{"gemini-2.5-flash", 200, 11, 0, 0, -1}, "", false},
		{"codex response.completed", logRecord("codex.sse_event", map[string]any{"event.kind": "response.completed", "model": "gpt-5-codex",
			"input_token_count": "300", "output_token_count": "12", "cached_token_count": int64(100), "reasoning_token_count": int64(4)}),
			[]Kind{KindLLM}, &llmWant{"gpt-5-codex", 300, 12, 100, 4, -1}, "", false},
		{"codex other sse event", logRecord("codex.sse_event", map[string]any{"event.kind": "response.output_text.delta"}), nil, nil, "", false},
		{"codex tool_result", logRecord("codex.tool_result", map[string]any{"tool_name": "shell", "success": "true", "call_id": "c1"}),
			[]Kind{KindTool}, nil, "shell", false},
		{"codex api_request ok", logRecord("codex.api_request", map[string]any{"http.response.status_code": int64(200)}), nil, nil, "", false},
		{"codex api_request failed", logRecord("codex.api_request", map[string]any{"http.response.status_code": "500", "error.message": "boom"}),
			[]Kind{KindError}, nil, "", false},
		{"unknown event at INFO", logRecord("claude_code.user_prompt", map[string]any{"prompt_length": int64(3)}), nil, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := FromLogRecord(tt.lr)
			var kinds []Kind
			for _, e := range evs {
				kinds = append(kinds, e.Kind)
				if e.Source != "log" {
					t.Errorf("%s event source %q, want log", e.Kind, e.Source)
				}
			}
			if len(kinds) != len(tt.kinds) {
				t.Fatalf("kinds %v, want %v", kinds, tt.kinds)
			}
			for i := range kinds {
				if kinds[i] != tt.kinds[i] {
					t.Fatalf("kinds %v, want %v", kinds, tt.kinds)
				}
			}
			if tt.llm != nil {
				l, w := evs[0].LLM, tt.llm
				if l.Model() != w.model || l.InputTokens != w.in || l.OutputTokens != w.out || l.CacheReadTokens != w.cached || l.ReasoningTokens != w.reasn {
					t.Errorf("llm %+v, want %+v", *l, *w)
				}
				if (w.cost < 0) != (l.CostUSD == nil) || (l.CostUSD != nil && (*l.CostUSD != w.cost || l.CostSource != "log")) {
					t.Errorf("cost %v (%s), want %v", l.CostUSD, l.CostSource, w.cost)
				}
			}
			if tt.tool != "" && (evs[0].Tool.Name != tt.tool || evs[0].Tool.Failed != tt.failed) {
				t.Errorf("tool %+v, want %s failed=%v", *evs[0].Tool, tt.tool, tt.failed)
			}
		})
	}
}

// TestLogEventTimes checks a log event spans its reported duration, ending
// when the record was written.
func TestLogEventTimes(t *testing.T) {
	evs := FromLogRecord(logRecord("claude_code.api_request", map[string]any{"duration_ms": "1500", "request_id": "req_9"}))
	if len(evs) != 1 || evs[0].Duration() != 1500*time.Millisecond || evs[0].RequestID != "req_9" {
		t.Fatalf("got %+v", evs)
	}
}

// TestLogEventEntries checks every entry of the table names a convention
// and a kind, and is found by its name.
func TestLogEventEntries(t *testing.T) {
	for i, le := range logEvents {
		if le.convention == "" || le.kind == "" {
			t.Errorf("%s: no convention or kind", le.name)
		}
		if idx, ok := logEventIndex[le.name]; !ok || !contains(idx, i) {
			t.Errorf("%s: not indexed", le.name)
		}
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
