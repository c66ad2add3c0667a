// Command exitlat measures exit-to-summary: how long after the wrapped child
// exits the session summary appears on stderr. It runs a command (normally
// `agentops run -- loadgen -stamp ...`) several times; the child prints
// child_exit_ns=<wall clock> on stdout as its very last action, and exitlat
// timestamps the first byte that then arrives on stderr.
//
//	exitlat -runs 30 -- agentops run -- loadgen -spans 512 -stamp
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	runs := flag.Int("runs", 30, "how many times to run the command")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: exitlat [-runs N] -- <command> [args...]")
		os.Exit(2)
	}
	var toSummary, toExit []time.Duration
	for i := 0; i < *runs; i++ {
		s, e, err := once(flag.Args())
		if err != nil {
			fmt.Fprintln(os.Stderr, "exitlat:", err)
			os.Exit(1)
		}
		toSummary, toExit = append(toSummary, s), append(toExit, e)
	}
	fmt.Printf("runs=%d summary_median_ms=%s summary_p90_ms=%s summary_min_ms=%s summary_max_ms=%s exit_median_ms=%s\n",
		*runs, ms(pct(toSummary, 50)), ms(pct(toSummary, 90)), ms(slices.Min(toSummary)), ms(slices.Max(toSummary)), ms(pct(toExit, 50)))
}

// once runs the command and returns the delays from the child's exit stamp
// to the first byte on stderr and to the wrapper's own exit.
func once(argv []string) (toSummary, toExit time.Duration, err error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	var wg sync.WaitGroup
	var stamp, firstErr int64
	var errText strings.Builder
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "child_exit_ns="); ok {
				stamp, _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := stderr.Read(buf)
			if n > 0 && firstErr == 0 {
				firstErr = time.Now().UnixNano()
			}
			errText.Write(buf[:n])
			if err != nil {
				_, _ = io.Copy(io.Discard, stderr)
				return
			}
		}
	}()
	wg.Wait()
	werr := cmd.Wait()
	exited := time.Now().UnixNano()
	switch {
	case werr != nil:
		return 0, 0, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), werr, errText.String())
	case stamp == 0:
		return 0, 0, errors.New("the child printed no child_exit_ns= stamp on stdout: run loadgen with -stamp")
	case firstErr == 0:
		return 0, 0, errors.New("nothing arrived on stderr: no summary")
	}
	return time.Duration(firstErr - stamp), time.Duration(exited - stamp), nil
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }
