package llmstandin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"google.golang.org/genai"

	"github.com/agentops-dev/agentops/internal/llmstandin"
)

// The stand-in is tested with the providers' own Go SDKs: what they parse
// is what the real APIs send.

var reply = llmstandin.Reply{
	Text:  "The answer is forty two, as always.",
	Usage: llmstandin.Usage{Input: 150, Output: 17, CacheRead: 40, CacheCreation: 10, Reasoning: 5},
}

func start(t *testing.T, cfg llmstandin.Config) (*llmstandin.Server, string) {
	t.Helper()
	s, hs := llmstandin.NewServer(cfg)
	t.Cleanup(hs.Close)
	return s, hs.URL
}

func onlyCall(t *testing.T, s *llmstandin.Server, api llmstandin.API) llmstandin.Request {
	t.Helper()
	calls := s.Calls()
	if len(calls) != 1 || calls[0].API != api {
		t.Fatalf("calls = %+v, want one %s call", calls, api)
	}
	return calls[0]
}

func anthropicClient(url string, opts ...aoption.RequestOption) anthropic.Client {
	return anthropic.NewClient(append([]aoption.RequestOption{aoption.WithBaseURL(url), aoption.WithAPIKey("sk-ant-test"), aoption.WithMaxRetries(0)}, opts...)...)
}

var messageParams = anthropic.MessageNewParams{
	Model:     "claude-sonnet-4-5",
	MaxTokens: 100,
	Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("say hello"))},
}

func checkAnthropicUsage(t *testing.T, u anthropic.Usage) {
	t.Helper()
	// The Messages API's input_tokens excludes the cache.
	if u.InputTokens != 100 || u.CacheReadInputTokens != 40 || u.CacheCreationInputTokens != 10 || u.OutputTokens != 17 {
		t.Errorf("usage = in %d, cache read %d, cache write %d, out %d; want 100, 40, 10, 17",
			u.InputTokens, u.CacheReadInputTokens, u.CacheCreationInputTokens, u.OutputTokens)
	}
}

func TestAnthropicMessages(t *testing.T) {
	s, url := start(t, llmstandin.Config{Reply: &reply})
	client := anthropicClient(url)
	var raw *http.Response
	msg, err := client.Messages.New(context.Background(), messageParams, aoption.WithResponseInto(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Content[0].Text; got != reply.Text {
		t.Errorf("text = %q", got)
	}
	checkAnthropicUsage(t, msg.Usage)
	call := onlyCall(t, s, llmstandin.AnthropicMessages)
	if msg.ID != call.ResponseID || !strings.HasPrefix(msg.ID, "msg_01") {
		t.Errorf("id = %q, recorded %q", msg.ID, call.ResponseID)
	}
	if got := raw.Header.Get("request-id"); got != call.RequestID || !strings.HasPrefix(got, "req_") {
		t.Errorf("request-id = %q, recorded %q", got, call.RequestID)
	}
	if call.Model != "claude-sonnet-4-5" || string(msg.Model) != "claude-sonnet-4-5" || call.Stream {
		t.Errorf("model %q / %q, stream %v", call.Model, msg.Model, call.Stream)
	}
	if call.Header.Get("x-api-key") != "sk-ant-test" && call.Header.Get("Authorization") != "Bearer sk-ant-test" {
		t.Errorf("the request log lost the x-api-key header: %v", call.Header)
	}
}

func TestAnthropicMessagesStream(t *testing.T) {
	s, url := start(t, llmstandin.Config{Reply: &reply})
	client := anthropicClient(url)
	stream := client.Messages.NewStreaming(context.Background(), messageParams)
	var msg anthropic.Message
	var kinds []string
	for stream.Next() {
		ev := stream.Current()
		kinds = append(kinds, ev.Type)
		if err := msg.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	// The SDK drops the ping the stream carries.
	want := "message_start content_block_start content_block_delta content_block_delta content_block_delta content_block_stop message_delta message_stop"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
	if got := msg.Content[0].Text; got != reply.Text {
		t.Errorf("text = %q", got)
	}
	checkAnthropicUsage(t, msg.Usage)
	if call := onlyCall(t, s, llmstandin.AnthropicMessages); !call.Stream || call.ResponseID != msg.ID {
		t.Errorf("call %+v, message id %q", call, msg.ID)
	}
}

func TestAnthropicCountTokens(t *testing.T) {
	s, url := start(t, llmstandin.Config{Reply: &reply})
	client := anthropicClient(url)
	n, err := client.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
		Model:    "claude-sonnet-4-5",
		Messages: messageParams.Messages,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.InputTokens != 150 {
		t.Errorf("count_tokens = %d, want 150", n.InputTokens)
	}
	if len(s.Calls()) != 0 || len(s.Requests()) != 1 || s.Requests()[0].API != llmstandin.AnthropicCountTokens {
		t.Errorf("requests = %+v: count_tokens is not an LLM call", s.Requests())
	}
}

func TestAPIKeyRequired(t *testing.T) {
	s, url := start(t, llmstandin.Config{APIKey: "right"})
	wrong, right := anthropicClient(url, aoption.WithAPIKey("wrong")), anthropicClient(url, aoption.WithAPIKey("right"))
	_, err := wrong.Messages.New(context.Background(), messageParams)
	var apiErr *anthropic.Error
	if err == nil || !errorsAs(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err = %v, want a 401", err)
	}
	if _, err := right.Messages.New(context.Background(), messageParams); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Calls()); got != 1 {
		t.Errorf("%d calls answered, want the one with the key", got)
	}
}

func openAIClient(url string) openai.Client {
	return openai.NewClient(ooption.WithBaseURL(url+"/v1"), ooption.WithAPIKey("sk-test"), ooption.WithMaxRetries(0))
}

var chatParams = openai.ChatCompletionNewParams{
	Model:    "gpt-4o-mini",
	Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("say hello")},
}

func checkChatUsage(t *testing.T, u openai.CompletionUsage) {
	t.Helper()
	// OpenAI's prompt_tokens includes the cached tokens.
	if u.PromptTokens != 150 || u.PromptTokensDetails.CachedTokens != 40 || u.CompletionTokens != 17 ||
		u.CompletionTokensDetails.ReasoningTokens != 5 || u.TotalTokens != 167 {
		t.Errorf("usage = %+v", u)
	}
}

func TestOpenAIChat(t *testing.T) {
	s, url := start(t, llmstandin.Config{Reply: &reply})
	var raw *http.Response
	client := openAIClient(url)
	c, err := client.Chat.Completions.New(context.Background(), chatParams, ooption.WithResponseInto(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if c.Choices[0].Message.Content != reply.Text || c.Choices[0].FinishReason != "stop" {
		t.Errorf("choice = %+v", c.Choices[0])
	}
	checkChatUsage(t, c.Usage)
	call := onlyCall(t, s, llmstandin.OpenAIChat)
	if c.ID != call.ResponseID || raw.Header.Get("x-request-id") != call.RequestID || call.RequestID == "" {
		t.Errorf("ids: %q %q, recorded %q %q", c.ID, raw.Header.Get("x-request-id"), call.ResponseID, call.RequestID)
	}
}

func TestOpenAIChatStream(t *testing.T) {
	for _, includeUsage := range []bool{true, false} {
		s, url := start(t, llmstandin.Config{Reply: &reply})
		params := chatParams
		if includeUsage {
			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		client := openAIClient(url)
		stream := client.Chat.Completions.NewStreaming(context.Background(), params)
		acc := openai.ChatCompletionAccumulator{}
		emptyChoices := 0
		for stream.Next() {
			chunk := stream.Current()
			if len(chunk.Choices) == 0 {
				emptyChoices++
			}
			acc.AddChunk(chunk)
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if acc.Choices[0].Message.Content != reply.Text {
			t.Errorf("text = %q", acc.Choices[0].Message.Content)
		}
		call := onlyCall(t, s, llmstandin.OpenAIChat)
		if includeUsage {
			// The usage chunk is the one chunk with empty choices.
			checkChatUsage(t, acc.Usage)
			if emptyChoices != 1 || !call.IncludeUsage {
				t.Errorf("%d chunks with empty choices, include_usage recorded %v", emptyChoices, call.IncludeUsage)
			}
		} else if acc.Usage.TotalTokens != 0 || emptyChoices != 0 {
			t.Errorf("without include_usage: usage %+v, %d empty chunks", acc.Usage, emptyChoices)
		}
	}
}

func TestOpenAIResponses(t *testing.T) {
	s, url := start(t, llmstandin.Config{Reply: &reply})
	params := responses.ResponseNewParams{Model: "gpt-5", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("say hello")}}
	client := openAIClient(url)
	r, err := client.Responses.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if r.OutputText() != reply.Text || r.Usage.InputTokens != 150 || r.Usage.InputTokensDetails.CachedTokens != 40 ||
		r.Usage.OutputTokens != 17 || r.Usage.OutputTokensDetails.ReasoningTokens != 5 {
		t.Errorf("response: text %q usage %+v", r.OutputText(), r.Usage)
	}
	if call := onlyCall(t, s, llmstandin.OpenAIResponses); call.ResponseID != r.ID {
		t.Errorf("id %q, recorded %q", r.ID, call.ResponseID)
	}
}

func TestOpenAIResponsesStream(t *testing.T) {
	s, url := start(t, llmstandin.Config{Reply: &reply})
	params := responses.ResponseNewParams{Model: "gpt-5", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("say hello")}}
	client := openAIClient(url)
	stream := client.Responses.NewStreaming(context.Background(), params)
	var kinds []string
	var text strings.Builder
	var completed responses.Response
	for stream.Next() {
		ev := stream.Current()
		kinds = append(kinds, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			text.WriteString(ev.Delta)
		case "response.completed":
			completed = ev.Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if kinds[0] != "response.created" || kinds[len(kinds)-1] != "response.completed" {
		t.Errorf("events %v", kinds)
	}
	if text.String() != reply.Text || completed.Usage.InputTokens != 150 || completed.Usage.OutputTokens != 17 || completed.Status != "completed" {
		t.Errorf("text %q, completed %+v", text.String(), completed.Usage)
	}
	if call := onlyCall(t, s, llmstandin.OpenAIResponses); call.ResponseID != completed.ID || !call.Stream {
		t.Errorf("call %+v, id %q", call, completed.ID)
	}
}

func TestOpenAIEmbeddings(t *testing.T) {
	s, url := start(t, llmstandin.Config{})
	client := openAIClient(url)
	e, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "text-embedding-3-small",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Data) != 2 || len(e.Data[1].Embedding) != 8 || e.Usage.PromptTokens != 300 {
		t.Errorf("embeddings: %d vectors, usage %+v", len(e.Data), e.Usage)
	}
	onlyCall(t, s, llmstandin.OpenAIEmbeddings)
}

func geminiClient(t *testing.T, url string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: "gemini-test", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: url + "/"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkGeminiUsage(t *testing.T, u *genai.GenerateContentResponseUsageMetadata) {
	t.Helper()
	if u == nil || u.PromptTokenCount != 150 || u.CachedContentTokenCount != 40 || u.CandidatesTokenCount != 12 ||
		u.ThoughtsTokenCount != 5 || u.TotalTokenCount != 167 {
		t.Errorf("usageMetadata = %+v", u)
	}
}

func TestGeminiGenerateContent(t *testing.T) {
	s, url := start(t, llmstandin.Config{Reply: &reply})
	r, err := geminiClient(t, url).Models.GenerateContent(context.Background(), "gemini-2.5-flash", genai.Text("say hello"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Text() != reply.Text || r.ModelVersion != "gemini-2.5-flash" {
		t.Errorf("text %q model %q", r.Text(), r.ModelVersion)
	}
	checkGeminiUsage(t, r.UsageMetadata)
	call := onlyCall(t, s, llmstandin.GeminiGenerate)
	if call.ResponseID != r.ResponseID || call.Model != "gemini-2.5-flash" {
		t.Errorf("call %+v", call)
	}
	if call.Header.Get("x-goog-api-key") != "gemini-test" {
		t.Errorf("key header not recorded: %v", call.Header)
	}
}

func TestGeminiStream(t *testing.T) {
	s, url := start(t, llmstandin.Config{Reply: &reply})
	var text strings.Builder
	var last *genai.GenerateContentResponse
	chunks := 0
	for r, err := range geminiClient(t, url).Models.GenerateContentStream(context.Background(), "gemini-2.5-pro", genai.Text("say hello"), nil) {
		if err != nil {
			t.Fatal(err)
		}
		chunks++
		text.WriteString(r.Text())
		last = r
	}
	if text.String() != reply.Text || chunks != 3 {
		t.Errorf("%d chunks, text %q", chunks, text.String())
	}
	checkGeminiUsage(t, last.UsageMetadata)
	if call := onlyCall(t, s, llmstandin.GeminiStream); !call.Stream || !strings.Contains(call.Query, "alt=sse") {
		t.Errorf("call %+v", call)
	}
}

func TestGeminiCountAndEmbed(t *testing.T) {
	s, url := start(t, llmstandin.Config{})
	c := geminiClient(t, url)
	n, err := c.Models.CountTokens(context.Background(), "gemini-2.5-flash", genai.Text("hi"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Models.EmbedContent(context.Background(), "gemini-embedding-001", genai.Text("hi"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.TotalTokens <= 0 || len(e.Embeddings) != 1 || len(e.Embeddings[0].Values) != 8 {
		t.Errorf("count %d, embeddings %+v", n.TotalTokens, e.Embeddings)
	}
	if len(s.Requests()) != 2 || len(s.Calls()) != 1 {
		t.Errorf("requests %d, calls %d", len(s.Requests()), len(s.Calls()))
	}
}

func TestRepliesInOrderAndUnknownPath(t *testing.T) {
	first := llmstandin.Reply{Text: "one", Usage: llmstandin.Usage{Input: 1, Output: 2}}
	second := llmstandin.Reply{Text: "two", Usage: llmstandin.Usage{Input: 3, Output: 4}, Model: "claude-x"}
	s, url := start(t, llmstandin.Config{Replies: []llmstandin.Reply{first, second}})
	client := anthropicClient(url)
	for _, want := range []llmstandin.Reply{first, second, llmstandin.DefaultReplies["anthropic"]} {
		m, err := client.Messages.New(context.Background(), messageParams)
		if err != nil {
			t.Fatal(err)
		}
		if m.Content[0].Text != want.Text || int(m.Usage.OutputTokens) != want.Usage.Output {
			t.Errorf("got %q %d, want %q %d", m.Content[0].Text, m.Usage.OutputTokens, want.Text, want.Usage.Output)
		}
	}
	resp, err := http.Get(url + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	reqs := s.Requests()
	if resp.StatusCode != http.StatusNotFound || len(reqs) != 4 || reqs[3].API != llmstandin.Unknown || reqs[3].Path != "/v1/models" {
		t.Errorf("unknown path: status %d, log %+v", resp.StatusCode, reqs)
	}
	if reqs[1].Reply.Model != "claude-x" || reqs[0].Reply.Model != "claude-sonnet-4-5" {
		t.Errorf("models %q %q", reqs[0].Reply.Model, reqs[1].Reply.Model)
	}
}

func TestAnthropicToolUse(t *testing.T) {
	tool := llmstandin.Reply{Text: "Let me look.", Usage: llmstandin.Usage{Input: 10, Output: 5},
		ToolCalls: []llmstandin.ToolCall{{Name: "Bash", Input: map[string]any{"command": "env"}}}}
	_, url := start(t, llmstandin.Config{Replies: []llmstandin.Reply{tool, tool}})
	client := anthropicClient(url)
	check := func(m anthropic.Message) {
		t.Helper()
		if m.StopReason != "tool_use" || len(m.Content) != 2 || m.Content[1].Type != "tool_use" ||
			m.Content[1].Name != "Bash" || string(m.Content[1].Input) != `{"command":"env"}` || !strings.HasPrefix(m.Content[1].ID, "toolu_01") {
			t.Errorf("message = %+v", m)
		}
	}
	m, err := client.Messages.New(context.Background(), messageParams)
	if err != nil {
		t.Fatal(err)
	}
	check(*m)
	stream := client.Messages.NewStreaming(context.Background(), messageParams)
	var acc anthropic.Message
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	check(acc)
}

func TestAnthropicHello(t *testing.T) {
	s, url := start(t, llmstandin.Config{})
	resp, err := http.Head(url + "/api/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if reqs := s.Requests(); resp.StatusCode != http.StatusOK || len(reqs) != 1 || reqs[0].API != llmstandin.AnthropicHello || len(s.Calls()) != 0 {
		t.Errorf("HEAD /api/hello: %d, log %+v", resp.StatusCode, reqs)
	}
}
