package session

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// inheritedContext returns ctx carrying the remote span context of the
// TRACEPARENT/TRACESTATE in env, if there is a valid one.
func inheritedContext(ctx context.Context, env []string) context.Context {
	carrier := propagation.MapCarrier{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "TRACEPARENT":
			carrier.Set("traceparent", v)
		case "TRACESTATE":
			carrier.Set("tracestate", v)
		}
	}
	if carrier.Get("traceparent") == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, carrier)
}

// sessionResource lists the attributes of the session's own resource.
func sessionResource(opts Options, id string) []attribute.KeyValue {
	attrs := []attribute.KeyValue{semconv.ServiceName(opts.ServiceName)}
	for k, v := range opts.Resource {
		if k != string(semconv.ServiceNameKey) && k != AttrSessionID {
			attrs = append(attrs, attribute.String(k, v))
		}
	}
	return append(attrs, attribute.String(AttrSessionID, id))
}

// childResource is what the session adds to the child's
// OTEL_RESOURCE_ATTRIBUTES.
func childResource(opts Options, id string) map[string]string {
	m := make(map[string]string, len(opts.Resource)+2)
	for k, v := range opts.Resource {
		m[k] = v
	}
	if len(opts.Tags) > 0 {
		m[AttrTags] = strings.Join(opts.Tags, ",")
	}
	m[AttrSessionID] = id
	return m
}
