// Command forward measures agentops forwarding a session to a real
// OpenTelemetry Collector (bench/collector, built with the Collector's own
// builder) and, side by side, a Collector forwarding the same load: a child
// sends N spans as fast as it can (bench/loadgen -mix llm -unique: every
// span an LLM call with its own id) and, when Node.js and e2e/node are
// there, log records and metrics (e2e/node/agent.js); the receiving
// Collector writes what it gets to a file, which is counted at the end:
// delivered, duplicated and lost spans, log records and data points, with
// the forwarder's CPU time and peak RSS.
//
//	OTELCOL=$(bash bench/collector/build.sh)
//	go build -o /tmp/agentops . && go build -o /tmp/loadgen ./bench/loadgen
//	go run ./bench/forward -otelcol "$OTELCOL" -agentops /tmp/agentops -loadgen /tmp/loadgen -spans 1000000
//
// agentops runs with default flags: its upstream is the Collector named by
// OTEL_EXPORTER_OTLP_ENDPOINT in its environment, its store in a temporary
// directory.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type config struct {
	otelcol, agentops, loadgen, node, nodeAgent, collectorDir string
	spans, logs                                               int
	flags, compression                                        string
	peer                                                      bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.otelcol, "otelcol", os.Getenv("OTELCOL"), "the Collector binary (bash bench/collector/build.sh prints it)")
	flag.StringVar(&cfg.agentops, "agentops", "", "the agentops binary")
	flag.StringVar(&cfg.loadgen, "loadgen", "", "the bench/loadgen binary")
	flag.StringVar(&cfg.nodeAgent, "node-agent", "e2e/node/agent.js", "the Node.js agent sending log records and metrics (skipped when node or its packages are missing)")
	flag.StringVar(&cfg.collectorDir, "collector-dir", "bench/collector", "the directory of the Collector configurations")
	flag.IntVar(&cfg.spans, "spans", 1_000_000, "spans the child sends")
	flag.IntVar(&cfg.logs, "logs", 2000, "log records the Node.js agent sends (its SDK's queue holds 2048)")
	flag.StringVar(&cfg.flags, "flags", "", "extra agentops run flags, space-separated (default: none, the defaults)")
	flag.StringVar(&cfg.compression, "compression", "", "OTEL_EXPORTER_OTLP_COMPRESSION of the upstream (gzip or none; default none, the SDKs' default)")
	flag.BoolVar(&cfg.peer, "peer", true, "also measure a Collector forwarding the same load (forward.yaml)")
	flag.Parse()
	if cfg.otelcol == "" || cfg.agentops == "" || cfg.loadgen == "" {
		fmt.Fprintln(os.Stderr, "forward: -otelcol, -agentops and -loadgen are required (see the package comment)")
		os.Exit(2)
	}
	if node, err := exec.LookPath("node"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(cfg.nodeAgent), "node_modules", "@opentelemetry", "sdk-node")); err == nil {
			cfg.node = node
		}
	}
	rows := []result{}
	r, err := measure(cfg, "agentops")
	if err != nil {
		fmt.Fprintln(os.Stderr, "forward:", err)
		os.Exit(1)
	}
	rows = append(rows, r)
	if cfg.peer {
		if r, err = measure(cfg, "collector"); err != nil {
			fmt.Fprintln(os.Stderr, "forward:", err)
			os.Exit(1)
		}
		rows = append(rows, r)
	}
	fmt.Printf("\n%-10s %10s %9s %6s %6s %8s %9s %9s %8s %9s %9s %8s\n", "forwarder", "spans", "delivered", "dups", "lost", "in_doubt", "logs", "points", "wall_s", "spans/s", "cpu_s", "rss_MiB")
	for _, r := range rows {
		// Only agentops knows how many points the child sent (its record).
		points := fmt.Sprintf("%d/%d", r.pointsGot, r.pointsSent)
		if r.who != "agentops" {
			points = fmt.Sprintf("%d/?", r.pointsGot)
		}
		fmt.Printf("%-10s %10d %9d %6d %6d %8d %9s %9s %8.1f %9.0f %9.1f %8.0f\n",
			r.who, r.sent, r.distinct, r.dups, r.sent-r.distinct, r.inDoubt, fmt.Sprintf("%d/%d", r.logsGot, r.logsSent), points,
			r.wall.Seconds(), float64(r.sent)/r.wall.Seconds(), r.cpu.Seconds(), float64(r.rssKiB)/1024)
	}
}

type result struct {
	who                                      string
	sent, distinct, dups, inDoubt            int
	logsSent, logsGot, pointsSent, pointsGot int
	wall, cpu                                time.Duration
	rssKiB                                   int64
}

// measure runs one forwarder (agentops, or a Collector with forward.yaml)
// in front of a receiving Collector writing a file, and counts the file.
func measure(cfg config, who string) (result, error) {
	// loadgen sends whole batches of 512; agent.js 5 LLM spans and its agent span.
	res := result{who: who, sent: (cfg.spans + 511) / 512 * 512}
	if cfg.node != "" {
		res.sent += 6
	}
	dir, err := os.MkdirTemp("", "agentops-forward-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "received.jsonl")
	sinkHTTP := freeAddr()
	sink := exec.Command(cfg.otelcol, "--config", filepath.Join(cfg.collectorDir, "file.yaml"))
	sink.Env = append(os.Environ(), "OTELCOL_HTTP="+sinkHTTP, "OTELCOL_GRPC="+freeAddr(), "OTELCOL_FILE="+out)
	sink.Stderr = os.Stderr
	if err := sink.Start(); err != nil {
		return res, err
	}
	waitPort(sinkHTTP)
	defer func() { _ = sink.Process.Kill() }()

	child := []string{cfg.loadgen, "-spans", fmt.Sprint(cfg.spans), "-mix", "llm", "-unique"}
	if cfg.node != "" {
		// Log records and metrics too: the Node.js SDK, after the spans.
		script := fmt.Sprintf("%s && %s %s --llm 5 --tools 0 --logs %d --error-logs 0", shellJoin(child), cfg.node, cfg.nodeAgent, cfg.logs)
		child = []string{"sh", "-c", script}
	}
	var fwd *exec.Cmd
	jsonPath := filepath.Join(dir, "session.json")
	start := time.Now()
	switch who {
	case "agentops":
		args := append([]string{"run", "--json", jsonPath, "--summary", "none"}, strings.Fields(cfg.flags)...)
		fwd = exec.Command(cfg.agentops, append(append(args, "--"), child...)...)
		fwd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=http://"+sinkHTTP, "AGENTOPS_STORE="+filepath.Join(dir, "store"), "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf")
		if cfg.compression != "" {
			fwd.Env = append(fwd.Env, "OTEL_EXPORTER_OTLP_COMPRESSION="+cfg.compression)
		}
		fwd.Stdout, fwd.Stderr = os.Stderr, os.Stderr
		if err := fwd.Run(); err != nil {
			return res, fmt.Errorf("agentops: %w", err)
		}
	default:
		fwdHTTP := freeAddr()
		fwd = exec.Command(cfg.otelcol, "--config", filepath.Join(cfg.collectorDir, "forward.yaml"))
		fwd.Env = append(os.Environ(), "OTELCOL_HTTP="+fwdHTTP, "OTELCOL_GRPC="+freeAddr(), "OTELCOL_FORWARD_PROTOCOL=otlp_http", "OTELCOL_FORWARD_HTTP=http://"+sinkHTTP)
		fwd.Stderr = os.Stderr
		if err := fwd.Start(); err != nil {
			return res, err
		}
		waitPort(fwdHTTP)
		c := exec.Command(child[0], child[1:]...)
		c.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=http://"+fwdHTTP, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "OTEL_RESOURCE_ATTRIBUTES=bench=peer")
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		if err := c.Run(); err != nil {
			return res, fmt.Errorf("child: %w", err)
		}
		// The Collector's shutdown drains its sending queue.
		_ = fwd.Process.Signal(syscall.SIGTERM)
		_ = fwd.Wait()
	}
	res.wall = time.Since(start)
	if ru, ok := fwd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		res.rssKiB = ru.Maxrss
	}
	_ = sink.Process.Signal(syscall.SIGTERM)
	_ = sink.Wait()
	if who == "agentops" {
		b, err := os.ReadFile(jsonPath)
		if err != nil {
			return res, err
		}
		var rec struct {
			SpansReceived   int `json:"spans_received"`
			LogsReceived    int `json:"logs_received"`
			MetricsReceived int `json:"metrics_received"`
			Exports         []struct {
				InDoubt int `json:"in_doubt"`
			} `json:"exports"`
		}
		_ = json.Unmarshal(b, &rec)
		// Every span the session received, and its own.
		res.sent = rec.SpansReceived + 1
		res.logsSent, res.pointsSent = rec.LogsReceived, rec.MetricsReceived
		for _, e := range rec.Exports {
			res.inDoubt += e.InDoubt
		}
	} else if cfg.node != "" {
		res.logsSent = cfg.logs
	}
	return res, count(out, &res)
}

// count reads the receiving Collector's file (OTLP JSON lines).
func count(path string, res *result) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	seen := make(map[pcommon.SpanID]struct{}, res.sent)
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 1 {
			switch {
			case strings.HasPrefix(string(line[:min(len(line), 20)]), `{"resourceSpans"`):
				td, derr := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(line)
				if derr != nil {
					return derr
				}
				rss := td.ResourceSpans()
				for i := 0; i < rss.Len(); i++ {
					for j := 0; j < rss.At(i).ScopeSpans().Len(); j++ {
						spans := rss.At(i).ScopeSpans().At(j).Spans()
						for k := 0; k < spans.Len(); k++ {
							id := spans.At(k).SpanID()
							if _, dup := seen[id]; dup {
								res.dups++
							}
							seen[id] = struct{}{}
						}
					}
				}
			case strings.HasPrefix(string(line[:min(len(line), 20)]), `{"resourceLogs"`):
				ld, derr := (&plog.JSONUnmarshaler{}).UnmarshalLogs(line)
				if derr != nil {
					return derr
				}
				res.logsGot += ld.LogRecordCount()
			case strings.HasPrefix(string(line[:min(len(line), 20)]), `{"resourceMetrics"`):
				md, derr := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(line)
				if derr != nil {
					return derr
				}
				res.pointsGot += md.DataPointCount()
			}
		}
		if err != nil {
			break
		}
	}
	res.distinct = len(seen)
	return nil
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitPort waits until something accepts connections on addr.
func waitPort(addr string) {
	for i := 0; i < 3000; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
