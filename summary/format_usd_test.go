package summary

import (
	"math"
	"testing"
)

// "<$0.0001" means a cost between 0 and that, never a negative one.
func TestFormatUSD(t *testing.T) {
	for usd, want := range map[float64]string{
		0: "$0.00", 0.00005: "<$0.0001", 0.5: "$0.5000", 12.345: "$12.35",
		-230e12: "-$230000000000000.00", -0.00005: "-<$0.0001", math.NaN(): "$?", math.Inf(1): "$?",
	} {
		if got := formatUSD(usd); got != want {
			t.Errorf("formatUSD(%v) = %q, want %q", usd, got, want)
		}
	}
}
