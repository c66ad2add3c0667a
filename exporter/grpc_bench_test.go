package exporter

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// BenchmarkOTLPGRPCExport: one Export of 512 spans to a grpc-go server on
// loopback, by our client and, side by side, by grpc-go's own (what
// otlpgrpc used before), plain and gzip.
func BenchmarkOTLPGRPCExport(b *testing.B) {
	g := startGRPCGo(b, nil)
	g.discard = true
	td := spansWithIDs(0, 512)
	for _, compression := range []string{"none", "gzip"} {
		b.Run("ours/"+compression, func(b *testing.B) {
			o, err := NewOTLPGRPC("http://"+g.addr, Settings{Compression: compression})
			if err != nil {
				b.Fatal(err)
			}
			defer o.Shutdown(context.Background())
			b.ReportAllocs()
			for b.Loop() {
				if err := o.ExportTraces(context.Background(), td); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("grpc-go/"+compression, func(b *testing.B) {
			cc, err := grpc.NewClient(g.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer cc.Close()
			c := ptraceotlp.NewGRPCClient(cc)
			var opts []grpc.CallOption
			if compression == "gzip" {
				opts = append(opts, grpc.UseCompressor("gzip"))
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(td), opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
