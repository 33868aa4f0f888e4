package hist

import (
	"testing"
	"time"
)

func TestSubtract(t *testing.T) {
	a, b := New(), New()
	for i := 1; i <= 1000; i++ {
		a.Record(time.Duration(i) * time.Millisecond)
	}
	for i := 1; i <= 10; i++ {
		b.Record(time.Duration(5000+i) * time.Millisecond) // a slow second
	}
	sum := a.Clone()
	sum.Merge(b)
	if got := sum.Max(); got < 5*time.Second {
		t.Fatalf("merged max = %v, want the slow second's", got)
	}

	sum.Subtract(b)
	if !sum.h.Equals(a.h) {
		t.Fatalf("(a+b)-b != a: count %d, max %v, p99 %v", sum.Count(), sum.Max(), sum.Quantile(99))
	}
	if got, want := sum.Quantile(99), a.Quantile(99); got != want {
		t.Errorf("p99 after subtract = %v, want %v", got, want)
	}

	// More than h holds: empty, never negative.
	b.Subtract(a)
	b.Subtract(b)
	if b.Count() != 0 || b.Max() != 0 {
		t.Errorf("over-subtracted: count %d, max %v; want empty", b.Count(), b.Max())
	}
	sum.Subtract(nil) // no-op
	if sum.Count() != 1000 {
		t.Errorf("count after Subtract(nil) = %d, want 1000", sum.Count())
	}
}
