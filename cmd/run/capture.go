package run

import (
	"errors"
	"fmt"
	"os"

	"github.com/agentops-dev/agentops/capture"
	"github.com/agentops-dev/agentops/session"
)

// captureOptions reads the capture flags; a --capture-var that cannot be
// used is a usage error, before anything runs.
func captureOptions(opts *Options) (session.CaptureOptions, error) {
	co := session.CaptureOptions{Off: opts.NoCapture, NoContent: opts.NoCaptureContent}
	if opts.NoCapture && len(opts.CaptureVars) > 0 {
		return co, errors.New("--capture-var with --no-capture: drop one of them")
	}
	for _, v := range opts.CaptureVars {
		m, err := capture.ParseMapping(v)
		if err != nil {
			return co, fmt.Errorf("--capture-var %w", err)
		}
		co.Mappings = append(co.Mappings, m)
	}
	if _, _, err := capture.Plan(os.Environ(), co.Mappings); err != nil {
		return co, err
	}
	return co, nil
}
