package otlpwire

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// maxTimeoutValue is the largest number grpc-timeout carries: at most 8
// digits (gRPC over HTTP/2, "Timeout").
const maxTimeoutValue = 1e8 - 1

var timeoutUnits = []struct {
	unit byte
	d    time.Duration
}{
	{'n', time.Nanosecond}, {'u', time.Microsecond}, {'m', time.Millisecond},
	{'S', time.Second}, {'M', time.Minute}, {'H', time.Hour},
}

// FormatTimeout is d as a grpc-timeout value, in the finest unit that
// holds it in 8 digits, rounded up (as grpc-go writes it: 1s is
// "1000000u"). A timeout of zero or less is "0n".
func FormatTimeout(d time.Duration) string {
	if d <= 0 {
		return "0n"
	}
	for _, u := range timeoutUnits {
		n := d / u.d
		if d%u.d > 0 {
			n++
		}
		if n <= maxTimeoutValue || u.unit == 'H' {
			return strconv.FormatInt(int64(n), 10) + string(u.unit)
		}
	}
	panic("unreachable")
}

// ParseTimeout reads a grpc-timeout value: 1 to 8 digits and a unit (H,
// M, S, m, u, n). Hours past what a time.Duration holds are clamped.
func ParseTimeout(s string) (time.Duration, error) {
	if len(s) < 2 || len(s) > 9 {
		return 0, errors.New("malformed grpc-timeout " + strconv.Quote(s) + ": want 1 to 8 digits and a unit")
	}
	var unit time.Duration
	for _, u := range timeoutUnits {
		if u.unit == s[len(s)-1] {
			unit = u.d
		}
	}
	if unit == 0 {
		return 0, errors.New("malformed grpc-timeout " + strconv.Quote(s) + ": the unit is one of H, M, S, m, u, n")
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 64)
	if err != nil {
		return 0, errors.New("malformed grpc-timeout " + strconv.Quote(s) + ": want 1 to 8 digits and a unit")
	}
	if unit == time.Hour && n > math.MaxInt64/uint64(time.Hour) {
		return math.MaxInt64, nil
	}
	return unit * time.Duration(n), nil
}
