// An agent instrumented the usual way: the OpenTelemetry JS SDK with the
// OpenAI instrumentation (@opentelemetry/instrumentation-openai) and the
// fetch instrumentation (@opentelemetry/instrumentation-undici, which puts
// the traceparent header on the request), exporting where agentops' env
// says. Its LLM call goes through the capture proxy too: the session must
// count it once.
//
// Usage: node instrumented-agent.js [--stream]
'use strict';
const api = require('@opentelemetry/api');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');
const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');

const sdk = new NodeSDK({
  serviceName: 'instrumented-agent',
  traceExporter: new OTLPTraceExporter(),
  instrumentations: [new OpenAIInstrumentation(), new UndiciInstrumentation()],
});
sdk.start();
// Required after the SDK started, so the instrumentation patches it.
const OpenAI = require('openai');

async function main() {
  const parent = new W3CTraceContextPropagator().extract(
    api.context.active(), { traceparent: process.env.TRACEPARENT }, api.defaultTextMapGetter);
  const openai = new OpenAI({ maxRetries: 0 });
  const stream = process.argv.includes('--stream');
  const out = await api.context.with(parent, async () => {
    if (!stream) {
      const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] });
      return { text: r.choices[0].message.content, usage: r.usage };
    }
    const s = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello.' }] });
    let text = '';
    for await (const chunk of s) text += chunk.choices[0].delta.content || '';
    return { text };
  });
  console.log(JSON.stringify(out));
  await sdk.shutdown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
