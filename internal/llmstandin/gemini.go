package llmstandin

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Gemini API: https://ai.google.dev/api/generate-content (generateContent,
// streamGenerateContent with ?alt=sse), countTokens, embedContent.

// geminiModel is the model of a /v1beta/models/{model}:method path.
func geminiModel(path string) string {
	_, rest, _ := strings.Cut(path, "/models/")
	model, _, _ := strings.Cut(rest, ":")
	return model
}

func geminiStatus(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	}
	return "INTERNAL"
}

// geminiUsage renders u as usageMetadata: promptTokenCount includes the
// cached content; candidatesTokenCount excludes the thoughts, which are
// counted beside it.
func geminiUsage(u Usage, final bool) map[string]any {
	m := map[string]any{
		"promptTokenCount":    u.Input,
		"promptTokensDetails": []any{map[string]any{"modality": "TEXT", "tokenCount": u.Input}},
	}
	if u.CacheRead > 0 {
		m["cachedContentTokenCount"] = u.CacheRead
	}
	if !final {
		m["totalTokenCount"] = u.Input
		return m
	}
	m["candidatesTokenCount"] = u.Output - u.Reasoning
	if u.Reasoning > 0 {
		m["thoughtsTokenCount"] = u.Reasoning
	}
	m["totalTokenCount"] = u.Input + u.Output
	return m
}

func geminiGenerate(r *Request) Response {
	r.ResponseID = randomID(base62, 22)
	stop := r.Reply.StopReason
	if stop == "" {
		stop = "STOP"
	}
	chunk := func(text string, final bool) map[string]any {
		cand := map[string]any{
			"content": map[string]any{"parts": []any{map[string]any{"text": text}}, "role": "model"},
			"index":   0,
		}
		if final {
			cand["finishReason"] = stop
		}
		return map[string]any{
			"candidates":    []any{cand},
			"usageMetadata": geminiUsage(r.Reply.Usage, final),
			"modelVersion":  r.Reply.Model,
			"responseId":    r.ResponseID,
		}
	}
	if !r.Stream {
		return jsonResponse(chunk(r.Reply.Text, true))
	}
	// Without ?alt=sse the stream is one JSON array of the chunks.
	ps := pieces(r.Reply.Text)
	var chunks []map[string]any
	for i, p := range ps {
		chunks = append(chunks, chunk(p, i == len(ps)-1))
	}
	if !strings.Contains("&"+r.Query+"&", "&alt=sse&") {
		return jsonResponse(chunks)
	}
	events := make([]Event, len(chunks))
	for i, c := range chunks {
		events[i] = Event{Data: mustJSON(c)}
	}
	return Response{Events: events, Separator: "\r\n\r\n"}
}

func geminiEmbed(r *Request, body []byte) Response {
	if strings.HasSuffix(r.Path, ":batchEmbedContents") {
		var rb struct {
			Requests []json.RawMessage `json:"requests"`
		}
		_ = json.Unmarshal(body, &rb)
		var out []any
		for i := range rb.Requests {
			out = append(out, map[string]any{"values": vector(8, i)})
		}
		return jsonResponse(map[string]any{"embeddings": out})
	}
	return jsonResponse(map[string]any{"embedding": map[string]any{"values": vector(8, 0)}})
}
