package exporter

import (
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// splitTraces copies td into batches of at most n spans, each span under
// a copy of its own resource and scope.
func splitTraces(td ptrace.Traces, n int) []Batch {
	var out []Batch
	var cur ptrace.Traces
	count := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			var dst ptrace.SpanSlice
			for k := 0; k < spans.Len(); k++ {
				if count == 0 || count == n || k == 0 {
					if count == 0 || count == n {
						cur = ptrace.NewTraces()
						out = append(out, TracesBatch(cur))
						count = 0
					}
					nrs := cur.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(nrs.Resource())
					nrs.SetSchemaUrl(rs.SchemaUrl())
					nss := nrs.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(nss.Scope())
					nss.SetSchemaUrl(ss.SchemaUrl())
					dst = nss.Spans()
				}
				spans.At(k).CopyTo(dst.AppendEmpty())
				count++
			}
		}
	}
	return out
}

// splitLogs copies ld into batches of at most n log records.
func splitLogs(ld plog.Logs, n int) []Batch {
	var out []Batch
	var cur plog.Logs
	count := 0
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			recs := sl.LogRecords()
			var dst plog.LogRecordSlice
			for k := 0; k < recs.Len(); k++ {
				if count == 0 || count == n || k == 0 {
					if count == 0 || count == n {
						cur = plog.NewLogs()
						out = append(out, LogsBatch(cur))
						count = 0
					}
					nrl := cur.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(nrl.Resource())
					nrl.SetSchemaUrl(rl.SchemaUrl())
					nsl := nrl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(nsl.Scope())
					nsl.SetSchemaUrl(sl.SchemaUrl())
					dst = nsl.LogRecords()
				}
				recs.At(k).CopyTo(dst.AppendEmpty())
				count++
			}
		}
	}
	return out
}

// splitMetrics copies md into batches of about n data points: a metric is
// never cut, so one with more points than n travels alone.
func splitMetrics(md pmetric.Metrics, n int) []Batch {
	var out []Batch
	var cur pmetric.Metrics
	count := 0
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			ms := sm.Metrics()
			var dst pmetric.MetricSlice
			for k := 0; k < ms.Len(); k++ {
				points := metricPoints(ms.At(k))
				full := count > 0 && count+points > n
				if count == 0 || full || k == 0 {
					if count == 0 || full {
						cur = pmetric.NewMetrics()
						out = append(out, MetricsBatch(cur))
						count = 0
					}
					nrm := cur.ResourceMetrics().AppendEmpty()
					rm.Resource().CopyTo(nrm.Resource())
					nrm.SetSchemaUrl(rm.SchemaUrl())
					nsm := nrm.ScopeMetrics().AppendEmpty()
					sm.Scope().CopyTo(nsm.Scope())
					nsm.SetSchemaUrl(sm.SchemaUrl())
					dst = nsm.Metrics()
				}
				ms.At(k).CopyTo(dst.AppendEmpty())
				count += points
			}
		}
	}
	return out
}

// metricPoints counts one metric's data points, as DataPointCount does.
func metricPoints(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}
