// Package load is Mayfly's engine: it schedules iterations of scenarios
// (open model: an arrival rate; closed model: virtual users), sends HTTP
// requests, and records every request as a Hit timed from its intended
// start. A failed request is a measurement, never a Go error.
//
// The vocabulary:
//
//   - Attacker runs Scenarios against HTTP targets and feeds a Recorder.
//   - Scenario is a workload: a Name, an Executor (when iterations start)
//     and an IterationFunc (what one iteration does: one or more Requests).
//   - Executor is one of ConstantArrivalRate, RampingArrivalRate (open
//     model) or ConstantVUs, RampingVUs, PerVUIterations, SharedIterations
//     (closed model).
//   - Pacer says when the n-th open-model iteration is due.
//   - Recorder aggregates Hits into Metrics per request name and per second.
//
// Timing contract: in the open model every iteration has a scheduled time;
// the first request of the iteration is timed from it (Latency), and from
// its actual send (ServiceTime). A request of a sequence that follows
// another is due when the previous one finished (plus think time), so its
// latency and service time differ only by the generator's own delay.
//
// Package load imports nothing of this repository but hist.
package load
