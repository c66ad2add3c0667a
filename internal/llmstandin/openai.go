package llmstandin

import (
	"encoding/json"
	"time"
)

// OpenAI Chat Completions (https://platform.openai.com/docs/api-reference/chat),
// Responses (https://platform.openai.com/docs/api-reference/responses) and
// Embeddings.

func chatUsage(u Usage) map[string]any {
	return map[string]any{
		"prompt_tokens":     u.Input,
		"completion_tokens": u.Output,
		"total_tokens":      u.Input + u.Output,
		"prompt_tokens_details": map[string]int{
			"cached_tokens": u.CacheRead, "audio_tokens": 0},
		"completion_tokens_details": map[string]int{
			"reasoning_tokens": u.Reasoning, "audio_tokens": 0,
			"accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
	}
}

func openAIChat(r *Request) Response {
	r.ResponseID = "chatcmpl-" + randomID(base62, 29)
	created := time.Now().Unix()
	stop := r.Reply.StopReason
	if stop == "" {
		stop = "stop"
	}
	chunk := func(choices []any, usage any) map[string]any {
		c := map[string]any{
			"id": r.ResponseID, "object": "chat.completion.chunk", "created": created,
			"model": r.Reply.Model, "service_tier": "default", "system_fingerprint": "fp_standin",
			"choices": choices,
		}
		// With include_usage every chunk has "usage": null but the last,
		// which has empty choices and the usage.
		if r.IncludeUsage {
			c["usage"] = usage
		}
		return c
	}
	if !r.Stream {
		return jsonResponse(map[string]any{
			"id": r.ResponseID, "object": "chat.completion", "created": created,
			"model": r.Reply.Model, "service_tier": "default", "system_fingerprint": "fp_standin",
			"choices": []any{map[string]any{
				"index":         0,
				"message":       map[string]any{"role": "assistant", "content": r.Reply.Text, "refusal": nil, "annotations": []any{}},
				"logprobs":      nil,
				"finish_reason": stop,
			}},
			"usage": chatUsage(r.Reply.Usage),
		})
	}
	choice := func(delta map[string]any, finish any) []any {
		return []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}
	}
	data := func(v any) Event { return Event{Data: mustJSON(v)} }
	events := []Event{data(chunk(choice(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil), nil))}
	for _, p := range pieces(r.Reply.Text) {
		events = append(events, data(chunk(choice(map[string]any{"content": p}, nil), nil)))
	}
	events = append(events, data(chunk(choice(map[string]any{}, stop), nil)))
	if r.IncludeUsage {
		events = append(events, data(chunk([]any{}, chatUsage(r.Reply.Usage))))
	}
	events = append(events, Event{Data: []byte("[DONE]")})
	return Response{Events: events}
}

func responsesUsage(u Usage) map[string]any {
	return map[string]any{
		"input_tokens":          u.Input,
		"input_tokens_details":  map[string]int{"cached_tokens": u.CacheRead},
		"output_tokens":         u.Output,
		"output_tokens_details": map[string]int{"reasoning_tokens": u.Reasoning},
		"total_tokens":          u.Input + u.Output,
	}
}

func openAIResponses(r *Request) Response {
	r.ResponseID = "resp_" + randomID(hexDigits, 48)
	itemID := "msg_" + randomID(hexDigits, 48)
	created := time.Now().Unix()
	text := r.Reply.Text
	part := func(text string) map[string]any {
		return map[string]any{"type": "output_text", "text": text, "annotations": []any{}, "logprobs": []any{}}
	}
	item := func(status string, content []any) map[string]any {
		return map[string]any{"id": itemID, "type": "message", "status": status, "role": "assistant", "content": content}
	}
	response := func(status string, output []any, usage any) map[string]any {
		return map[string]any{
			"id": r.ResponseID, "object": "response", "created_at": created, "status": status,
			"background": false, "error": nil, "incomplete_details": nil, "instructions": nil,
			"max_output_tokens": nil, "model": r.Reply.Model, "output": output,
			"parallel_tool_calls": true, "previous_response_id": nil,
			"reasoning": map[string]any{"effort": nil, "summary": nil}, "service_tier": "default",
			"store": false, "temperature": 1.0, "text": map[string]any{"format": map[string]string{"type": "text"}},
			"tool_choice": "auto", "tools": []any{}, "top_p": 1.0, "truncation": "disabled",
			"usage": usage, "user": nil, "metadata": map[string]any{},
		}
	}
	done := item("completed", []any{part(text)})
	final := response("completed", []any{done}, responsesUsage(r.Reply.Usage))
	if !r.Stream {
		return jsonResponse(final)
	}
	seq := 0
	ev := func(name string, fields map[string]any) Event {
		fields["type"] = name
		fields["sequence_number"] = seq
		seq++
		return Event{Name: name, Data: mustJSON(fields)}
	}
	events := []Event{
		ev("response.created", map[string]any{"response": response("in_progress", []any{}, nil)}),
		ev("response.in_progress", map[string]any{"response": response("in_progress", []any{}, nil)}),
		ev("response.output_item.added", map[string]any{"output_index": 0, "item": item("in_progress", []any{})}),
		ev("response.content_part.added", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "part": part("")}),
	}
	for _, p := range pieces(text) {
		events = append(events, ev("response.output_text.delta", map[string]any{
			"item_id": itemID, "output_index": 0, "content_index": 0, "delta": p, "logprobs": []any{}}))
	}
	events = append(events,
		ev("response.output_text.done", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "text": text, "logprobs": []any{}}),
		ev("response.content_part.done", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "part": part(text)}),
		ev("response.output_item.done", map[string]any{"output_index": 0, "item": done}),
		ev("response.completed", map[string]any{"response": final}),
	)
	return Response{Events: events}
}

// embeddingInputs counts the inputs of an embeddings request: a string, an
// array of strings, or token arrays.
func embeddingInputs(raw json.RawMessage) int {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		// An array of numbers is one tokenised input.
		var n float64
		if json.Unmarshal(list[0], &n) == nil {
			return 1
		}
		return len(list)
	}
	return 1
}

// vector is a fixed unit-length embedding of dims dimensions.
func vector(dims, seed int) []float64 {
	v := make([]float64, dims)
	v[seed%dims] = 1
	return v
}

func openAIEmbeddings(r *Request, rb requestBody) Response {
	dims := rb.Dimensions
	if dims <= 0 {
		dims = 8
	}
	var data []any
	for i := range embeddingInputs(rb.Input) {
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": vector(dims, i)})
	}
	return jsonResponse(map[string]any{
		"object": "list", "data": data, "model": r.Reply.Model,
		"usage": map[string]int{"prompt_tokens": r.Reply.Usage.Input, "total_tokens": r.Reply.Usage.Input},
	})
}
