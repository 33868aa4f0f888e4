// Package hist holds Mayfly's latency histograms: HDR histograms with three
// significant digits from 1µs to 1h, mergeable across seconds, request names
// and processes. Percentiles are always read from a (merged) histogram,
// never averaged.
package hist

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Range and precision of every Histogram. Values are recorded in
// microseconds; anything outside the range is clamped, so a record never
// fails.
const (
	lowest  = 1                  // µs
	highest = 3600 * 1000 * 1000 // µs: one hour
	digits  = 3                  // significant decimal digits
)

// Histogram is a latency distribution. The zero value is not usable; call
// New. It is not safe for concurrent use: callers serialise access.
type Histogram struct {
	h *hdr.Histogram
}

// New returns an empty histogram.
func New() *Histogram {
	return &Histogram{h: hdr.New(lowest, highest, digits)}
}

// Record adds one observation. Durations below 1µs count as 1µs, above one
// hour as one hour.
func (h *Histogram) Record(d time.Duration) {
	v := d.Microseconds()
	if v < lowest {
		v = lowest
	} else if v > highest {
		v = highest
	}
	_ = h.h.RecordValue(v) // cannot fail: v is within range
}

// RecordN adds n observations of d.
func (h *Histogram) RecordN(d time.Duration, n int64) {
	v := d.Microseconds()
	if v < lowest {
		v = lowest
	} else if v > highest {
		v = highest
	}
	_ = h.h.RecordValues(v, n)
}

// Merge adds every observation of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil {
		return
	}
	h.h.Merge(o.h)
}

// Reset empties h, keeping its memory.
func (h *Histogram) Reset() { h.h.Reset() }

// Clone returns an independent copy of h.
func (h *Histogram) Clone() *Histogram {
	c := New()
	c.h.Merge(h.h)
	return c
}

// Count is the number of observations.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Quantile returns the value at percentile p (0 < p <= 100), e.g. 99.9.
// An empty histogram gives 0.
func (h *Histogram) Quantile(p float64) time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.ValueAtQuantile(p)) * time.Microsecond
}

// Max is the largest observation (within the histogram's precision).
func (h *Histogram) Max() time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.Max()) * time.Microsecond
}

// Min is the smallest observation (within the histogram's precision).
func (h *Histogram) Min() time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.Min()) * time.Microsecond
}

// Mean is the arithmetic mean of the observations.
func (h *Histogram) Mean() time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.Mean() * float64(time.Microsecond))
}

// MarshalText encodes h in the compressed HdrHistogram V2 format, base64:
// the same format HdrHistogram libraries of other languages read, so a
// per-second time series on disk can be merged by anyone.
func (h *Histogram) MarshalText() ([]byte, error) {
	b, err := h.h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return b, nil // Encode already returns base64
}

// UnmarshalText decodes what MarshalText wrote. Observations outside
// Mayfly's range are clamped into it.
func (h *Histogram) UnmarshalText(b []byte) error {
	src, err := hdr.Decode(bytes.TrimSpace(b))
	if err != nil {
		// Decode wants the base64 text; report something readable when it
		// was not even that.
		if _, berr := base64.StdEncoding.DecodeString(string(b)); berr != nil {
			return fmt.Errorf("decode histogram: not base64: %w", berr)
		}
		return fmt.Errorf("decode histogram: %w", err)
	}
	if h.h == nil {
		h.h = hdr.New(lowest, highest, digits)
	} else {
		h.h.Reset()
	}
	if dropped := h.h.Merge(src); dropped > 0 {
		// Values beyond one hour: keep them as the maximum.
		_ = h.h.RecordValues(highest, dropped)
	}
	return nil
}
