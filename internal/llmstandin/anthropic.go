package llmstandin

// Anthropic Messages API: https://docs.anthropic.com/en/api/messages and
// https://docs.anthropic.com/en/docs/build-with-claude/streaming.

// anthropicUsage renders u as the Messages API does: input_tokens counts
// only the uncached input; the cache reads and writes are beside it.
func anthropicUsage(u Usage, output int) map[string]any {
	return map[string]any{
		"input_tokens":                max(u.Input-u.CacheRead-u.CacheCreation, 0),
		"cache_creation_input_tokens": u.CacheCreation,
		"cache_read_input_tokens":     u.CacheRead,
		"cache_creation": map[string]int{
			"ephemeral_5m_input_tokens": u.CacheCreation,
			"ephemeral_1h_input_tokens": 0,
		},
		"output_tokens": output,
		"service_tier":  "standard",
	}
}

func anthropicMessages(r *Request) Response {
	r.ResponseID = "msg_01" + randomID(base62, 22)
	stop := r.Reply.StopReason
	if stop == "" {
		stop = "end_turn"
		if len(r.Reply.ToolCalls) > 0 {
			stop = "tool_use"
		}
	}
	for i := range r.Reply.ToolCalls {
		if r.Reply.ToolCalls[i].ID == "" {
			r.Reply.ToolCalls[i].ID = "toolu_01" + randomID(base62, 22)
		}
		if r.Reply.ToolCalls[i].Input == nil {
			r.Reply.ToolCalls[i].Input = map[string]any{}
		}
	}
	message := func(content []any, stopReason any, output int) map[string]any {
		return map[string]any{
			"id":            r.ResponseID,
			"type":          "message",
			"role":          "assistant",
			"model":         r.Reply.Model,
			"content":       content,
			"stop_reason":   stopReason,
			"stop_sequence": nil,
			"usage":         anthropicUsage(r.Reply.Usage, output),
		}
	}
	if !r.Stream {
		content := []any{map[string]any{"type": "text", "text": r.Reply.Text}}
		for _, tc := range r.Reply.ToolCalls {
			content = append(content, map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Name, "input": tc.Input})
		}
		return jsonResponse(message(content, stop, r.Reply.Usage.Output))
	}
	// message_start carries the input usage and a first output count;
	// message_delta the final (cumulative) output count.
	ev := func(name string, v any) Event { return Event{Name: name, Data: mustJSON(v)} }
	events := []Event{
		ev("message_start", map[string]any{"type": "message_start", "message": message([]any{}, nil, min(1, r.Reply.Usage.Output))}),
		ev("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
			"content_block": map[string]any{"type": "text", "text": ""}}),
		ev("ping", map[string]any{"type": "ping"}),
	}
	for _, p := range pieces(r.Reply.Text) {
		events = append(events, ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": p}}))
	}
	events = append(events, ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}))
	for i, tc := range r.Reply.ToolCalls {
		// A tool use streams as an empty input and its JSON in a delta.
		events = append(events,
			ev("content_block_start", map[string]any{"type": "content_block_start", "index": i + 1,
				"content_block": map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Name, "input": map[string]any{}}}),
			ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": i + 1,
				"delta": map[string]any{"type": "input_json_delta", "partial_json": string(mustJSON(tc.Input))}}),
			ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": i + 1}),
		)
	}
	events = append(events,
		ev("message_delta", map[string]any{"type": "message_delta",
			"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil},
			"usage": map[string]any{"output_tokens": r.Reply.Usage.Output}}),
		ev("message_stop", map[string]any{"type": "message_stop"}),
	)
	return Response{Events: events}
}
