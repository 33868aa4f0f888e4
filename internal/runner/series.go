package runner

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/mayfly-perf/mayfly/load"
)

// SeriesLine is one line of series.ndjson: either one request name's
// second (Kind "request") or the run's state in that second (Kind "run").
// Durations are milliseconds. Histograms are HdrHistogram V2 compressed,
// base64: merge them to get percentiles over any span.
type SeriesLine struct {
	T    int    `json:"t"`
	Kind string `json:"kind"`

	Scenario    string     `json:"scenario,omitempty"`
	Name        string     `json:"name,omitempty"`
	Requests    int64      `json:"requests,omitempty"`
	Errors      int64      `json:"errors,omitempty"`
	Late        int64      `json:"late,omitempty"`
	Latency     *Quantiles `json:"latency,omitempty"`
	ServiceTime *Quantiles `json:"service_time,omitempty"`
	HDR         *HDR       `json:"hdr,omitempty"`

	VUs        int64            `json:"vus,omitempty"`
	InFlight   int64            `json:"in_flight,omitempty"`
	Dropped    map[string]int64 `json:"dropped,omitempty"`
	Iterations map[string]int64 `json:"iterations,omitempty"`
}

// Quantiles of one second, in milliseconds.
type Quantiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// HDR holds a second's encoded histograms.
type HDR struct {
	Latency     string `json:"latency"`
	ServiceTime string `json:"service_time"`
}

func quantiles(m *load.Metrics, latency bool) *Quantiles {
	h := m.ServiceTime
	if latency {
		h = m.Latency
	}
	ms := func(p float64) float64 { return float64(h.Quantile(p).Microseconds()) / 1000 }
	return &Quantiles{
		P50: ms(50), P90: ms(90), P95: ms(95), P99: ms(99),
		Max: float64(h.Max().Microseconds()) / 1000, Mean: float64(h.Mean().Microseconds()) / 1000,
	}
}

// seriesWriter streams seconds to disk as they end, so memory does not
// grow with the length of a run. A write error is kept and reported once
// at the end (Err); the run goes on.
type seriesWriter struct {
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
	err error
}

func newSeriesWriter(path string) (*seriesWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create time series: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	return &seriesWriter{f: f, w: w, enc: json.NewEncoder(w)}, nil
}

// Write appends one second. It may be called on a nil writer (no results
// directory).
func (s *seriesWriter) Write(sec *load.Second) {
	if s == nil || s.err != nil {
		return
	}
	keys := make([]load.Key, 0, len(sec.Requests))
	for k := range sec.Requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Scenario != keys[j].Scenario {
			return keys[i].Scenario < keys[j].Scenario
		}
		return keys[i].Name < keys[j].Name
	})
	for _, k := range keys {
		m := sec.Requests[k]
		lat, err := m.Latency.MarshalText()
		if err != nil {
			s.err = err
			return
		}
		svc, err := m.ServiceTime.MarshalText()
		if err != nil {
			s.err = err
			return
		}
		s.put(&SeriesLine{
			T: sec.T, Kind: "request", Scenario: k.Scenario, Name: k.Name,
			Requests: m.Requests, Errors: m.Errors, Late: m.Late,
			Latency: quantiles(m, true), ServiceTime: quantiles(m, false),
			HDR: &HDR{Latency: string(lat), ServiceTime: string(svc)},
		})
	}
	s.put(&SeriesLine{T: sec.T, Kind: "run", VUs: sec.VUs, InFlight: sec.InFlight, Dropped: sec.Dropped, Iterations: sec.Iterations})
	if s.err == nil {
		// Flush every second: a killed run keeps what it measured.
		if err := s.w.Flush(); err != nil {
			s.err = fmt.Errorf("write time series: %w", err)
		}
	}
}

func (s *seriesWriter) put(l *SeriesLine) {
	if s.err != nil {
		return
	}
	if err := s.enc.Encode(l); err != nil {
		s.err = fmt.Errorf("write time series: %w", err)
	}
}

// Err is the first write error, if any.
func (s *seriesWriter) Err() error {
	if s == nil {
		return nil
	}
	return s.err
}

// Close flushes and closes the file.
func (s *seriesWriter) Close() error {
	if s == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil && s.err == nil {
		s.err = err
	}
	if err := s.f.Close(); err != nil && s.err == nil {
		s.err = err
	}
	return s.err
}
