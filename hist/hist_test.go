package hist

import (
	"testing"
	"time"
)

func TestQuantilesAndMerge(t *testing.T) {
	a, b := New(), New()
	for i := 1; i <= 1000; i++ {
		a.Record(time.Duration(i) * time.Millisecond)
	}
	b.RecordN(2*time.Second, 1000)
	a.Merge(b)
	if a.Count() != 2000 {
		t.Fatalf("count %d", a.Count())
	}
	// Three significant digits: within 0.1%.
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{25, 500 * time.Millisecond}, {50, time.Second}, {99, 2 * time.Second}} {
		got := a.Quantile(tt.p)
		if d := got - tt.want; d < -tt.want/1000 || d > tt.want/1000 {
			t.Errorf("p%v = %v, want %v ± 0.1%%", tt.p, got, tt.want)
		}
	}
	if a.Max() < 2*time.Second || a.Min() > time.Millisecond {
		t.Errorf("min %v max %v", a.Min(), a.Max())
	}
}

func TestClamp(t *testing.T) {
	h := New()
	h.Record(0)
	h.Record(2 * time.Hour)
	if h.Count() != 2 || h.Min() != time.Microsecond || h.Max() < time.Hour {
		t.Fatalf("count %d min %v max %v", h.Count(), h.Min(), h.Max())
	}
}

func TestTextRoundTrip(t *testing.T) {
	h := New()
	for i := range 500 {
		h.Record(time.Duration(i*i) * time.Microsecond)
	}
	b, err := h.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var g Histogram
	if err := g.UnmarshalText(b); err != nil {
		t.Fatal(err)
	}
	if g.Count() != h.Count() || g.Quantile(99) != h.Quantile(99) || g.Max() != h.Max() {
		t.Fatalf("decoded %d/%v/%v, want %d/%v/%v", g.Count(), g.Quantile(99), g.Max(), h.Count(), h.Quantile(99), h.Max())
	}
	if err := g.UnmarshalText([]byte("!!not base64")); err == nil {
		t.Fatal("garbage decoded")
	}
}

// BenchmarkMerge is paid once a second per request name (folding a second
// into the totals) and by the SLO evaluator.
func BenchmarkMerge(b *testing.B) {
	src := New()
	for i := range 1000 {
		src.Record(time.Duration(100+i) * time.Microsecond)
	}
	dst := New()
	for b.Loop() {
		dst.Merge(src)
	}
}

func BenchmarkRecord(b *testing.B) {
	h := New()
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i&0xffff) * time.Microsecond)
	}
}
