package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// openAIGoChild is a plain agent on the official Go client
// (github.com/openai/openai-go), no OpenTelemetry, configured from the
// environment only (OPENAI_BASE_URL, OPENAI_API_KEY): a chat completion,
// a chat stream, a response and a response stream. It prints what each
// returned, one JSON line per call.
func openAIGoChild() int {
	ctx := context.Background()
	client := openai.NewClient(option.WithMaxRetries(0))
	out := json.NewEncoder(os.Stdout)
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello.")}

	chat, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: msgs})
	if err != nil {
		return fail("chat", err)
	}
	_ = out.Encode(map[string]any{"call": "chat", "text": chat.Choices[0].Message.Content,
		"input": chat.Usage.PromptTokens, "output": chat.Usage.CompletionTokens})

	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: msgs})
	text, chunks := "", 0
	for stream.Next() {
		c := stream.Current()
		chunks++
		if len(c.Choices) == 0 {
			return fail("chat-stream", fmt.Errorf("chunk %d has no choices: %s", chunks, c.RawJSON()))
		}
		text += c.Choices[0].Delta.Content
	}
	if err := stream.Err(); err != nil {
		return fail("chat-stream", err)
	}
	_ = out.Encode(map[string]any{"call": "chat-stream", "text": text, "chunks": chunks})

	resp, err := client.Responses.New(ctx, responses.ResponseNewParams{Model: "gpt-5-mini",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Say hello.")}})
	if err != nil {
		return fail("responses", err)
	}
	_ = out.Encode(map[string]any{"call": "responses", "text": resp.OutputText(),
		"input": resp.Usage.InputTokens, "output": resp.Usage.OutputTokens})

	rs := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: "gpt-5-mini",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Say hello.")}})
	text = ""
	var usage responses.ResponseUsage
	for rs.Next() {
		ev := rs.Current()
		switch ev.Type {
		case "response.output_text.delta":
			text += ev.Delta
		case "response.completed":
			usage = ev.Response.Usage
		}
	}
	if err := rs.Err(); err != nil {
		return fail("responses-stream", err)
	}
	_ = out.Encode(map[string]any{"call": "responses-stream", "text": text, "input": usage.InputTokens, "output": usage.OutputTokens})
	return 0
}

func fail(call string, err error) int {
	fmt.Fprintf(os.Stderr, "%s: %v\n", call, err)
	return 1
}
