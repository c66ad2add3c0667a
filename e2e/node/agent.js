// A stand-in AI agent using the real OpenTelemetry JS SDK (@opentelemetry/sdk-node),
// for agentops' end-to-end tests. Like a real agent it is configured only by
// the environment agentops injects: OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS and
// _PROTOCOL pick the exporters (http/protobuf, http/json or grpc), and
// TRACEPARENT parents its spans under the session span.
//
// Usage: node agent.js [--llm N] [--tools N] [--logs N] [--error-logs N] [--linger-ms N] [--exit N]
// It prints one JSON line on stdout: what it sent. With --linger-ms it keeps
// working for N ms and then exits without flushing its SDK, as agents killed
// or exiting abruptly do: only the SDK's own schedule delivers its telemetry.
'use strict';

const api = require('@opentelemetry/api');
const { logs: logsAPI, SeverityNumber } = require('@opentelemetry/api-logs');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { NodeSDK, logs, metrics } = require('@opentelemetry/sdk-node');

function flag(name, def) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0) return def;
  if (typeof def === 'boolean') return true;
  return Number(process.argv[i + 1]);
}

const protocol = process.env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
// One exporter package per protocol and signal, as a user would pick them.
const packages = {
  'http/protobuf': ['trace-otlp-proto', 'logs-otlp-proto', 'metrics-otlp-proto'],
  'http/json': ['trace-otlp-http', 'logs-otlp-http', 'metrics-otlp-http'],
  grpc: ['trace-otlp-grpc', 'logs-otlp-grpc', 'metrics-otlp-grpc'],
}[protocol];
if (!packages) {
  console.error(`agent.js: unknown OTEL_EXPORTER_OTLP_PROTOCOL ${protocol}`);
  process.exit(70);
}
const [tracePkg, logsPkg, metricsPkg] = packages.map((p) => require('@opentelemetry/exporter-' + p));

const sdk = new NodeSDK({
  serviceName: 'node-agent',
  traceExporter: new tracePkg.OTLPTraceExporter(),
  logRecordProcessors: [new logs.BatchLogRecordProcessor({ exporter: new logsPkg.OTLPLogExporter() })],
  metricReaders: [new metrics.PeriodicExportingMetricReader({ exporter: new metricsPkg.OTLPMetricExporter() })],
});
sdk.start();

const llmCalls = flag('llm', 3);
const tools = flag('tools', 2);
const infoLogs = flag('logs', 4);
const errorLogs = flag('error-logs', 1);
const lingerMs = flag('linger-ms', 0);
const exitCode = flag('exit', 0);

// Parent under the session span, as the OpenTelemetry env-carrier spec says.
const parent = new W3CTraceContextPropagator().extract(
  api.context.active(),
  { traceparent: process.env.TRACEPARENT, tracestate: process.env.TRACESTATE },
  api.defaultTextMapGetter,
);
const tracer = api.trace.getTracer('node-agent');
const logger = logsAPI.getLogger('node-agent');
const calls = api.metrics.getMeter('node-agent').createCounter('agent.llm.calls');

let spans = 0;
tracer.startActiveSpan('invoke_agent node-agent', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'node-agent' } }, parent, (agent) => {
  spans++;
  for (let i = 0; i < llmCalls; i++) {
    const s = tracer.startSpan('chat gpt-4o-mini', {
      kind: api.SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.usage.output_tokens': 20,
      },
    });
    s.end();
    spans++;
    calls.add(1);
  }
  for (let i = 0; i < tools; i++) {
    const s = tracer.startSpan('execute_tool search', { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' } });
    s.end();
    spans++;
  }
  for (let i = 0; i < infoLogs; i++) {
    logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: `step ${i} done` });
  }
  for (let i = 0; i < errorLogs; i++) {
    logger.emit({
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: 'tool search failed',
      attributes: { 'exception.type': 'TimeoutError', 'exception.message': `search backend timed out ${i}` },
    });
  }
  agent.end();
});

console.log(JSON.stringify({ protocol, spans, logs: infoLogs + errorLogs }));
if (lingerMs > 0) {
  setTimeout(() => process.exit(exitCode), lingerMs);
} else {
  process.exitCode = exitCode;
  sdk.shutdown().catch((err) => {
    console.error('agent.js: shutdown:', err);
    process.exitCode = 1;
  });
}
