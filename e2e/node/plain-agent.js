// A plain agent: the real openai and @anthropic-ai/sdk clients, no
// OpenTelemetry at all, configured from the environment only
// (OPENAI_BASE_URL, OPENAI_API_KEY, ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY).
// It prints what each call returned, one JSON line per call, so that a
// test can compare its stdout with and without agentops.
//
//   node plain-agent.js                    every call shape once
//   node plain-agent.js --only chat-stream one of them
//   node plain-agent.js --model M          the model asked for (faults of the stand-in)
//   node plain-agent.js --concurrent N     N chat streams at once
//   node plain-agent.js --abort-after N    cancel a stream after N chunks
//   node plain-agent.js --big-bytes N      a prompt of N bytes
//   node plain-agent.js --exit-after N     exit (0) in the middle of a stream, after N chunks
//
// Ids are not printed: the stand-in makes new ones for every call.
'use strict';
const OpenAI = require('openai');
const Anthropic = require('@anthropic-ai/sdk');

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
}
const only = arg('--only', '');
const model = arg('--model', '');
const concurrent = Number(arg('--concurrent', '0'));
const abortAfter = Number(arg('--abort-after', '-1'));
const bigBytes = Number(arg('--big-bytes', '0'));
const exitAfter = Number(arg('--exit-after', '-1'));

// No retries: a test sees each outcome once, as a direct call gives it.
const openai = new OpenAI({ maxRetries: 0 });
const anthropic = new Anthropic({ maxRetries: 0 });

const prompt = bigBytes > 0 ? 'x'.repeat(bigBytes) : 'Say hello.';
const messages = [{ role: 'user', content: prompt }];

async function chatStream(m, n) {
  const stream = await openai.chat.completions.create({ model: m || 'gpt-4o-mini', messages, stream: true });
  let text = '', chunks = 0, usage = null;
  for await (const chunk of stream) {
    chunks++;
    // A client that indexes choices[0] crashes on a usage-only chunk.
    text += chunk.choices[0].delta.content || '';
    if (chunk.usage) usage = chunk.usage;
    if (exitAfter >= 0 && chunks >= exitAfter) {
      console.log(JSON.stringify({ exiting: true, chunks }));
      process.exit(0);
    }
    if (abortAfter >= 0 && chunks >= abortAfter) {
      stream.controller.abort();
      break;
    }
  }
  return { text, chunks, usage, n };
}

const calls = {
  'chat': async () => {
    const r = await openai.chat.completions.create({ model: model || 'gpt-4o-mini', messages });
    return { model: r.model, text: r.choices[0].message.content, usage: r.usage };
  },
  'chat-stream': async () => chatStream(model),
  'chat-stream-usage': async () => {
    const stream = await openai.chat.completions.create({ model: model || 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    let text = '', usage = null;
    for await (const chunk of stream) {
      if (chunk.choices.length) text += chunk.choices[0].delta.content || '';
      if (chunk.usage) usage = chunk.usage;
    }
    return { text, usage };
  },
  'responses': async () => {
    const r = await openai.responses.create({ model: model || 'gpt-5-mini', input: prompt });
    return { model: r.model, text: r.output_text, usage: r.usage };
  },
  'responses-stream': async () => {
    const stream = await openai.responses.create({ model: model || 'gpt-5-mini', input: prompt, stream: true });
    let text = '', usage = null;
    for await (const ev of stream) {
      if (ev.type === 'response.output_text.delta') text += ev.delta;
      if (ev.type === 'response.completed') usage = ev.response.usage;
    }
    return { text, usage };
  },
  'messages': async () => {
    const r = await anthropic.messages.create({ model: model || 'claude-haiku-4-5', max_tokens: 64, messages });
    return { model: r.model, text: r.content.map((c) => c.text || '').join(''), usage: r.usage };
  },
  'messages-stream': async () => {
    const stream = anthropic.messages.stream({ model: model || 'claude-haiku-4-5', max_tokens: 64, messages });
    let text = '';
    stream.on('text', (t) => { text += t; });
    const final = await stream.finalMessage();
    return { text, usage: final.usage };
  },
};

function describe(err) {
  // What the SDK raised, without anything that differs between runs.
  return { error: err.constructor.name, status: err.status === undefined ? null : err.status, message: String(err.message).split('\n')[0] };
}

async function main() {
  if (concurrent > 0) {
    const rs = await Promise.all(Array.from({ length: concurrent }, (_, n) => chatStream(model, n).catch(describe)));
    for (const r of rs) console.log(JSON.stringify(r));
    return;
  }
  const names = only ? only.split(',') : Object.keys(calls);
  for (const name of names) {
    let out;
    try {
      out = await calls[name]();
    } catch (err) {
      out = describe(err);
    }
    console.log(JSON.stringify({ call: name, ...out }));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
