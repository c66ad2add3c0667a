package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/exporter"
	"github.com/agentops-dev/agentops/store"
)

// resume sends what each exporter of the run left, by its unsent record,
// to that exporter, and rewrites the record with what is still left.
// Batches in doubt stay out unless --in-doubt.
func resume(ctx context.Context, opts *Options, st exporter.Settings, e *store.Entry) error {
	paths, _ := filepath.Glob(filepath.Join(e.Path, "unsent-*.json"))
	if len(paths) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "✓ session %s has nothing unsent: its exporters delivered everything\n", e.ID)
		return nil
	}
	failed := 0
	for _, path := range paths {
		if !resumeOne(ctx, opts, st, e, path) {
			failed++
		}
	}
	if failed > 0 {
		return &exitcode.Error{Code: 1, Err: fmt.Errorf("%d of %d exporters still have unsent data: check the target and run 'agentops export %s --resume' again", failed, len(paths), e.ID)}
	}
	return nil
}

// resumeOne resends one record's batches; true when nothing resendable is
// left.
func resumeOne(ctx context.Context, opts *Options, st exporter.Settings, e *store.Entry, path string) bool {
	rec, err := exporter.ReadUnsent(path)
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "✗ %s: %v\n", filepath.Base(path), err)
		return false
	}
	spec := exporter.Spec{Name: rec.Exporter, Target: rec.Target}
	var build func() (exporter.Exporter, error)
	if strings.HasPrefix(rec.Source, "OTEL_EXPORTER_OTLP_") {
		// It came from the run's environment: ours says where each signal goes.
		env := opts.Environ
		if env == nil {
			env = os.Environ()
		}
		if u, ok := exporter.UpstreamFromEnv(env); ok {
			build = u.New
		}
	}
	snd, err := newSender(ctx, opts, e, spec, st, build)
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "✗ %s: %v\n", spec, err)
		return false
	}
	snd.Source = rec.Source
	base := strings.TrimSuffix(path, ".json")
	snd.SetUnsent(path, base+".jsonl", false, 0)
	dir := filepath.Dir(path)
	offer := func(bs []exporter.UnsentBatch) {
		for _, b := range bs {
			if sig, ok := exporter.ParseSignal(b.Signal); ok {
				snd.OfferRef(sig, b.Ref(dir))
			}
		}
	}
	offer(rec.Left)
	offer(rec.Failed)
	if opts.InDoubt {
		offer(rec.InDoubt)
	}
	o := snd.Shutdown(ctx)
	left, err := snd.Unsent()
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "agentops: note: %v\n", err)
	}
	if !opts.InDoubt {
		left.InDoubt = append(left.InDoubt, rec.InDoubt...)
	}
	if _, err := snd.WriteRecord(left); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "agentops: keep what is still unsent in %s: %v\n", path, err)
	}
	t := o.Total()
	ok := t.Sent == t.Enqueued
	mark := "✓"
	if !ok {
		mark = "✗"
	}
	line := fmt.Sprintf("%s %s: sent %s left by session %s", mark, spec, tally(o, false), e.ID)
	if !ok {
		line += "; " + lastErr(o) + "; the rest stays in " + path
	}
	fmt.Fprintln(opts.IO.ErrOut, line)
	if n := exporter.Count(rec.InDoubt); n > 0 {
		if opts.InDoubt {
			fmt.Fprintf(opts.IO.ErrOut, "! %d item(s) were in doubt and were sent again: the backend may now hold them twice\n", n)
		} else {
			fmt.Fprintf(opts.IO.ErrOut, "! %d item(s) in doubt not sent: they were sent during the run, but the export timeout cut the request before the backend answered, so it may have them already; resending may duplicate them: agentops export %s --resume --in-doubt\n", n, e.ID)
		}
	}
	return ok
}
