package capture

import (
	"bytes"
	"encoding/json"
)

// This file reads a response for the call's usage, response model and
// id, finish reasons, completion text and error, per format: a whole JSON
// body (onJSON) or the events of a stream (onEvent).

// openAIUsage covers the chat/completions/embeddings usage (prompt_ and
// completion_tokens) and the responses API's (input_ and output_tokens).
type openAIUsage struct {
	PromptTokens     *int64 `json:"prompt_tokens"`
	CompletionTokens int64  `json:"completion_tokens"`
	InputTokens      *int64 `json:"input_tokens"`
	OutputTokens     int64  `json:"output_tokens"`
	PromptDetails    struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	InputDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
}

func (u *openAIUsage) toUsage() (usage, bool) {
	switch {
	case u == nil:
		return usage{}, false
	case u.PromptTokens != nil:
		return usage{seen: true, input: *u.PromptTokens, output: u.CompletionTokens,
			cacheRead: u.PromptDetails.CachedTokens, reasoning: u.CompletionDetails.ReasoningTokens}, true
	case u.InputTokens != nil:
		return usage{seen: true, input: *u.InputTokens, output: u.OutputTokens,
			cacheRead: u.InputDetails.CachedTokens, reasoning: u.OutputDetails.ReasoningTokens}, true
	}
	return usage{}, false
}

// apiError is the error body of every provider: OpenAI's and Gemini's
// {"error":{"message","type"|"status","code"}}, Anthropic's
// {"type":"error","error":{"type","message"}}.
type apiError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Code    any    `json:"code"`
}

func (e *apiError) kind() string {
	if e.Type != "" {
		return e.Type
	}
	if e.Status != "" {
		return e.Status
	}
	if s, ok := e.Code.(string); ok {
		return s
	}
	return ""
}

type openAIChoice struct {
	FinishReason *string `json:"finish_reason"`
	Message      struct {
		Content json.RawMessage `json:"content"`
	} `json:"message"`
	Delta struct {
		Content json.RawMessage `json:"content"`
	} `json:"delta"`
	Text string `json:"text"`
}

type openAIChat struct {
	ID      string         `json:"id"`
	Model   string         `json:"model"`
	Choices []openAIChoice `json:"choices"`
	Usage   *openAIUsage   `json:"usage"`
	Error   *apiError      `json:"error"`
}

type responsesObject struct {
	ID     string       `json:"id"`
	Model  string       `json:"model"`
	Status string       `json:"status"`
	Usage  *openAIUsage `json:"usage"`
	Output []struct {
		Type    string `json:"type"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"output"`
	Error *apiError `json:"error"`
}

type anthropicUsage struct {
	InputTokens              *int64 `json:"input_tokens"`
	OutputTokens             *int64 `json:"output_tokens"`
	CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int64 `json:"cache_read_input_tokens"`
	// The cache writes by lifetime (one hour is priced apart from five
	// minutes) and the server-side web searches, priced per search.
	CacheCreation *struct {
		Ephemeral1h *int64 `json:"ephemeral_1h_input_tokens"`
	} `json:"cache_creation"`
	ServerToolUse *struct {
		WebSearchRequests *int64 `json:"web_search_requests"`
	} `json:"server_tool_use"`
}

type anthropicMessage struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Model      string          `json:"model"`
	StopReason *string         `json:"stop_reason"`
	Usage      *anthropicUsage `json:"usage"`
	Content    []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	Error *apiError `json:"error"`
}

type geminiResponse struct {
	ResponseID    string `json:"responseId"`
	ModelVersion  string `json:"modelVersion"`
	UsageMetadata *struct {
		PromptTokenCount        int64 `json:"promptTokenCount"`
		CandidatesTokenCount    int64 `json:"candidatesTokenCount"`
		CachedContentTokenCount int64 `json:"cachedContentTokenCount"`
		ThoughtsTokenCount      int64 `json:"thoughtsTokenCount"`
		TotalTokenCount         int64 `json:"totalTokenCount"`
	} `json:"usageMetadata"`
	Candidates []struct {
		FinishReason string `json:"finishReason"`
		Content      struct {
			Parts []struct {
				Text    string `json:"text"`
				Thought bool   `json:"thought"`
			} `json:"parts"`
		} `json:"content"`
	} `json:"candidates"`
	Error *apiError `json:"error"`
}

// onJSON reads a whole response body.
func (c *call) onJSON(body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	body = bytes.TrimSpace(body)
	switch c.ep.Format {
	case FormatChat, FormatCompletions, FormatEmbeddings:
		var v openAIChat
		if json.Unmarshal(body, &v) == nil {
			c.chatChunk(&v)
		}
	case FormatResponses:
		var v responsesObject
		if json.Unmarshal(body, &v) == nil {
			c.responsesObject(&v)
		}
	case FormatMessages:
		var v anthropicMessage
		if json.Unmarshal(body, &v) == nil {
			c.anthropicMessage(&v)
		}
	case FormatGemini, FormatGeminiEmbed:
		// streamGenerateContent without alt=sse streams a JSON array.
		if len(body) > 0 && body[0] == '[' {
			var vs []geminiResponse
			if json.Unmarshal(body, &vs) == nil {
				for i := range vs {
					c.geminiChunk(&vs[i])
				}
			}
			return
		}
		var v geminiResponse
		if json.Unmarshal(body, &v) == nil {
			c.geminiChunk(&v)
		}
	}
}

// onEvent reads one event of a stream.
func (c *call) onEvent(name string, data []byte) {
	if len(data) == 0 || data[0] != '{' {
		return // [DONE], keep-alive comments, ...
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.uneventful(name, data) {
		return
	}
	switch c.ep.Format {
	case FormatChat, FormatCompletions:
		var v openAIChat
		if json.Unmarshal(data, &v) == nil {
			c.chatChunk(&v)
		}
	case FormatResponses:
		var v struct {
			Type     string           `json:"type"`
			Delta    string           `json:"delta"`
			Response *responsesObject `json:"response"`
			Message  string           `json:"message"`
			Code     string           `json:"code"`
		}
		if json.Unmarshal(data, &v) != nil {
			return
		}
		switch {
		case v.Type == "response.output_text.delta":
			c.addCompletion(v.Delta)
		case v.Type == "error":
			c.res.errType, c.res.errM = first(v.Code, "error"), v.Message
		case v.Response != nil:
			// response.created, .in_progress, .completed, .incomplete,
			// .failed: the last one has the usage and the output.
			text := c.res.completion.String()
			c.res.completion.Reset()
			c.responsesObject(v.Response)
			if c.res.completion.Len() == 0 {
				c.res.completion.WriteString(text)
			}
		}
	case FormatMessages:
		var v struct {
			Type    string            `json:"type"`
			Message *anthropicMessage `json:"message"`
			Delta   struct {
				Type       string  `json:"type"`
				Text       string  `json:"text"`
				StopReason *string `json:"stop_reason"`
			} `json:"delta"`
			Usage *anthropicUsage `json:"usage"`
			Error *apiError       `json:"error"`
		}
		if json.Unmarshal(data, &v) != nil {
			return
		}
		switch v.Type {
		case "message_start":
			if v.Message != nil {
				c.anthropicMessage(v.Message)
			}
		case "content_block_delta":
			if v.Delta.Type == "text_delta" {
				c.addCompletion(v.Delta.Text)
			}
		case "message_delta":
			if v.Delta.StopReason != nil {
				c.res.finish = []string{*v.Delta.StopReason}
			}
			c.anthropicUsage(v.Usage)
		case "error":
			if v.Error != nil {
				c.res.errType, c.res.errM = v.Error.kind(), v.Error.Message
			}
		}
	case FormatGemini:
		var v geminiResponse
		if json.Unmarshal(data, &v) == nil {
			c.geminiChunk(&v)
		}
	}
}

// uneventful says, without decoding it, that an event cannot change what
// the call knows: a chunk of text once the completion kept is full (or
// not kept), with no usage, finish reason or error. Decoding every chunk
// of a long stream would cost more than the rest of the proxy.
func (c *call) uneventful(name string, data []byte) bool {
	if c.res.id == "" || !(c.p.cfg.NoContent || c.res.completion.Len() >= c.p.cfg.MaxContent) {
		return false
	}
	switch c.ep.Format {
	case FormatChat, FormatCompletions:
		return !bytes.Contains(data, []byte(`"finish_reason":"`)) && !bytes.Contains(data, []byte(`"error"`)) &&
			(!bytes.Contains(data, []byte(`"usage"`)) || bytes.Contains(data, compactUsageNull))
	case FormatResponses:
		return name == "response.output_text.delta"
	case FormatMessages:
		return name == "content_block_delta"
	}
	return false
}

func (c *call) addCompletion(s string) {
	if c.res.completion.Len() < c.p.cfg.MaxContent && !c.p.cfg.NoContent {
		c.res.completion.WriteString(s)
	}
}

func (c *call) chatChunk(v *openAIChat) {
	if v.Error != nil {
		c.res.errType, c.res.errM = v.Error.kind(), v.Error.Message
	}
	if v.ID != "" {
		c.res.id = v.ID
	}
	if v.Model != "" {
		c.res.model = v.Model
	}
	if u, ok := v.Usage.toUsage(); ok {
		c.res.usage = u
	}
	for i, ch := range v.Choices {
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			c.res.finish = append(c.res.finish, *ch.FinishReason)
		}
		if i > 0 {
			continue // the first choice's text is the completion kept
		}
		c.addCompletion(ch.Text)
		c.addCompletion(jsonText(ch.Message.Content))
		c.addCompletion(jsonText(ch.Delta.Content))
	}
}

// jsonText is the text of a content that is a JSON string; other shapes
// (null, parts) give "".
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

func (c *call) responsesObject(v *responsesObject) {
	if v.Error != nil && v.Error.Message != "" {
		c.res.errType, c.res.errM = first(v.Error.kind(), "response_failed"), v.Error.Message
	}
	if v.ID != "" {
		c.res.id = v.ID
	}
	if v.Model != "" {
		c.res.model = v.Model
	}
	if u, ok := v.Usage.toUsage(); ok {
		c.res.usage = u
	}
	switch v.Status {
	case "completed", "incomplete", "failed", "cancelled":
		c.res.finish = []string{v.Status}
	}
	for _, o := range v.Output {
		for _, part := range o.Content {
			if part.Type == "output_text" {
				c.addCompletion(part.Text)
			}
		}
	}
}

func (c *call) anthropicMessage(v *anthropicMessage) {
	if v.Error != nil {
		c.res.errType, c.res.errM = v.Error.kind(), v.Error.Message
	}
	if v.ID != "" {
		c.res.id = v.ID
	}
	if v.Model != "" {
		c.res.model = v.Model
	}
	if v.StopReason != nil {
		c.res.finish = []string{*v.StopReason}
	}
	c.anthropicUsage(v.Usage)
	for _, part := range v.Content {
		if part.Type == "text" {
			c.addCompletion(part.Text)
		}
	}
}

// anthropicUsage merges an Anthropic usage: message_start has the input
// and the first output count, message_delta the final (cumulative)
// output, and newer versions the input counts again. Anthropic's input
// excludes the cache; the span's includes it.
func (c *call) anthropicUsage(u *anthropicUsage) {
	if u == nil {
		return
	}
	s := &c.anthropic
	set := func(dst *int64, v *int64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&s.input, u.InputTokens)
	set(&s.output, u.OutputTokens)
	set(&s.cacheCreation, u.CacheCreationInputTokens)
	set(&s.cacheRead, u.CacheReadInputTokens)
	if u.CacheCreation != nil {
		set(&s.cacheCreation1h, u.CacheCreation.Ephemeral1h)
	}
	if u.ServerToolUse != nil {
		set(&s.webSearches, u.ServerToolUse.WebSearchRequests)
	}
	c.res.usage = usage{seen: true, input: s.input + s.cacheCreation + s.cacheRead, output: s.output,
		cacheRead: s.cacheRead, cacheCreation: s.cacheCreation, cacheCreation1h: s.cacheCreation1h, webSearches: s.webSearches}
}

func (c *call) geminiChunk(v *geminiResponse) {
	if v.Error != nil {
		c.res.errType, c.res.errM = v.Error.kind(), v.Error.Message
	}
	if v.ResponseID != "" {
		c.res.id = v.ResponseID
	}
	if v.ModelVersion != "" {
		c.res.model = v.ModelVersion
	}
	if m := v.UsageMetadata; m != nil {
		// Thoughts are billed as output but not in candidatesTokenCount.
		c.res.usage = usage{seen: true, input: m.PromptTokenCount, output: m.CandidatesTokenCount + m.ThoughtsTokenCount,
			cacheRead: m.CachedContentTokenCount, reasoning: m.ThoughtsTokenCount}
	}
	for i, cand := range v.Candidates {
		if cand.FinishReason != "" {
			c.res.finish = []string{cand.FinishReason}
		}
		if i > 0 {
			continue
		}
		for _, part := range cand.Content.Parts {
			if !part.Thought {
				c.addCompletion(part.Text)
			}
		}
	}
}
