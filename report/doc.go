// Package report renders a finished Mayfly run for people and machines:
//
//   - WriteText: the end-of-run summary printed to the terminal;
//   - WriteJSON / ReadJSON: summary.json, a versioned, documented schema
//     (see SCHEMA.md) that `mayfly compare` reads back;
//   - WriteJUnit: junit.xml, SLOs as test cases for CI;
//   - WriteProgressBar / WriteProgressLine: the live status while a run
//     is in progress, for terminals and for logs.
//
// Rendering is pure: the only I/O is the io.Writer given, and every time
// comes from the input, so the same Run renders the same bytes (the
// package is golden-tested).
package report
