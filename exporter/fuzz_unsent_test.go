package exporter

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzScanLines: whatever a JSON lines file holds (the store's, an unsent
// file cut by a crash), ScanLines walks it without panicking, every Ref it
// gives lies inside the file and holds no newline, and the lines cover
// the file's bytes in order.
func FuzzScanLines(f *testing.F) {
	f.Add([]byte("{\"resourceSpans\":[]}\n{\"resourceLogs\":[]}\n{\"resourceMetrics\":[]}\n"))
	f.Add([]byte("{\"resourceSpans\":[]}\n\n\n{\"resourceSpans\""))
	f.Add([]byte("no json at all\n\x00\xff\n"))
	f.Add(bytes.Repeat([]byte("x"), 1<<20+10)) // longer than the reader's buffer
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "lines.jsonl")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		var last int64
		err := ScanLines(path, Traces, true, func(s Signal, r Ref) {
			if r.Offset < last || r.Length <= 0 || r.Offset+r.Length > int64(len(b)) {
				t.Fatalf("ref %+v outside the file (%d bytes) or out of order", r, len(b))
			}
			line := b[r.Offset : r.Offset+r.Length]
			if bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("ref %+v holds a newline", r)
			}
			if got, ok := SignalOfLine(line); !ok || got != s {
				t.Fatalf("line %q: signal %v, SignalOfLine says %v %v", line[:min(len(line), 40)], s, got, ok)
			}
			last = r.Offset + r.Length
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzReadUnsent: an unsent record that is not one is an error, never a
// panic; one that reads back names only its own batches.
func FuzzReadUnsent(f *testing.F) {
	f.Add([]byte(`{"version":1,"exporter":"otlp","left":[{"signal":"traces","file":"spans.jsonl","offset":0,"length":10,"items":1}]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "unsent-0-otlp.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		rec, err := ReadUnsent(path)
		if err != nil {
			return
		}
		if rec.Version != UnsentVersion {
			t.Fatalf("version %d accepted", rec.Version)
		}
		_ = Count(rec.Left) + Count(rec.Failed) + Count(rec.InDoubt)
	})
}
