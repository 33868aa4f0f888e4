package load

import (
	"math"
	"time"
)

// Pacer is an open-model schedule: Due says when iteration n (from 0) is
// due, as an offset from the scenario's start, and false when the schedule
// has no iteration n. Due is a pure function of n, so a schedule is the same
// in every run and can be tested without a clock.
type Pacer interface {
	Due(n uint64) (time.Duration, bool)
}

// Stage is one leg of a ramp: the target (an arrival rate per second, or a
// number of VUs) is reached linearly over Duration.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// ConstantPacer schedules Rate iterations per second for Duration.
type ConstantPacer struct {
	Rate     float64 // per second, > 0
	Duration time.Duration
}

// Due implements Pacer.
func (p ConstantPacer) Due(n uint64) (time.Duration, bool) {
	if p.Rate <= 0 {
		return 0, false
	}
	d := time.Duration(float64(n) / p.Rate * float64(time.Second))
	return d, d < p.Duration
}

// RampingPacer schedules a rate that moves linearly from StartRate through
// each stage's target. The n-th iteration is due when the integral of the
// rate reaches n.
type RampingPacer struct {
	legs []leg
}

type leg struct {
	start  time.Duration // offset of the leg
	dur    time.Duration
	r0, r1 float64 // rate at the leg's start and end, per second
	count0 float64 // iterations due before the leg
	count  float64 // iterations due within the leg
}

// NewRampingPacer builds the schedule of a ramping arrival rate.
func NewRampingPacer(startRate float64, stages []Stage) *RampingPacer {
	p := &RampingPacer{}
	var at time.Duration
	var total float64
	r := startRate
	for _, s := range stages {
		secs := s.Duration.Seconds()
		c := (r + s.Target) / 2 * secs // area of the trapezoid
		p.legs = append(p.legs, leg{start: at, dur: s.Duration, r0: r, r1: s.Target, count0: total, count: c})
		total += c
		at += s.Duration
		r = s.Target
	}
	return p
}

// Due implements Pacer.
func (p *RampingPacer) Due(n uint64) (time.Duration, bool) {
	x := float64(n)
	for _, l := range p.legs {
		if x >= l.count0+l.count {
			continue
		}
		// Solve r0·t + (r1−r0)/(2d)·t² = x − count0 for t, in the form
		// that stays exact when the ramp is flat (a = 0).
		k := x - l.count0
		a := (l.r1 - l.r0) / (2 * l.dur.Seconds())
		b := l.r0
		disc := b*b + 4*a*k
		if disc < 0 {
			disc = 0
		}
		den := b + math.Sqrt(disc)
		var t float64
		if den > 0 {
			t = 2 * k / den
		}
		return l.start + time.Duration(t*float64(time.Second)), true
	}
	return 0, false
}

// Length is the schedule's total duration.
func (p *RampingPacer) Length() time.Duration {
	if len(p.legs) == 0 {
		return 0
	}
	l := p.legs[len(p.legs)-1]
	return l.start + l.dur
}

// RateAt is the scheduled rate (per second) at offset t.
func (p *RampingPacer) RateAt(t time.Duration) float64 {
	for _, l := range p.legs {
		if t < l.start+l.dur {
			f := float64(t-l.start) / float64(l.dur)
			return l.r0 + (l.r1-l.r0)*f
		}
	}
	if len(p.legs) == 0 {
		return 0
	}
	return p.legs[len(p.legs)-1].r1
}
