package hist

import hdr "github.com/HdrHistogram/hdrhistogram-go"

// Subtract removes o's observations from h: the inverse of Merge, so that a
// sliding window can add its newest second and subtract the one leaving it
// instead of re-merging every second it spans. o should hold a subset of
// h's observations (typically a histogram merged into h earlier); where o
// holds more than h, h is left empty rather than negative.
//
// It costs a few copies of the histogram's count array (~190 KB), whatever
// o holds.
func (h *Histogram) Subtract(o *Histogram) {
	if o == nil || o.h.TotalCount() == 0 {
		return
	}
	hs, os := h.h.Export(), o.h.Export() // copies; same geometry: both from New
	for i, c := range os.Counts {
		if i >= len(hs.Counts) {
			break
		}
		hs.Counts[i] = max(0, hs.Counts[i]-c)
	}
	h.h = hdr.Import(hs)
}
