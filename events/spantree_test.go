package events

import (
	"strings"
	"testing"
	"time"
)

func TestSpanTreeOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	rows := treeOrder([]SpanRow{
		{Name: "b2", SpanID: "b2", ParentSpanID: "a", Start: t0.Add(3)},
		{Name: "a", SpanID: "a", ParentSpanID: "lost", Start: t0.Add(1)},
		{Name: "b1", SpanID: "b1", ParentSpanID: "a", Start: t0.Add(2)},
		{Name: "c", SpanID: "c", ParentSpanID: "b1", Start: t0.Add(2)},
		{Name: "x", SpanID: "x", ParentSpanID: "y", Start: t0},
		{Name: "y", SpanID: "y", ParentSpanID: "x", Start: t0},
	})
	var got []string
	for _, r := range rows {
		got = append(got, strings.Repeat(".", r.Depth)+r.Name)
	}
	// x and y only have each other as parents: listed, not lost.
	want := "a .b1 ..c .b2 x .y"
	if strings.Join(got, " ") != want {
		t.Errorf("tree = %q, want %q", strings.Join(got, " "), want)
	}
}
