// Package script turns a plan's scenario into what the load engine runs:
// a load.IterationFunc that, for each request of the scenario in order,
// renders its templates (the language of package request), sends it,
// judges the response and extracts values for the requests that follow.
//
// Templates are parsed once, when the scenario is compiled; a text without
// "{{" is never executed. An iteration renders with a pooled renderer that
// owns parsed copies of the scenario's templates, bound to its own state
// (text/template binds functions at parse time), so rendering neither
// parses nor locks.
package script

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template/parse"
	"time"

	"github.com/mayfly-perf/mayfly/feed"
	"github.com/mayfly-perf/mayfly/load"
	"github.com/mayfly-perf/mayfly/plan"
)

// Compile turns a scenario's validated requests into the load.IterationFunc
// that runs one iteration. For each request in order it renders the method,
// URL, headers (the plan's global HTTP headers, then the request's, which
// override a global header of the same name) and body; resolves the URL
// against the plan's target; sends the request with its expected statuses
// and a check of its body_contains and JSON expectations; stores its
// extractions in it.Vars; and pauses for the scenario's think time, if any.
//
// A request that failed (Kind != OK) ends the iteration after its think
// time: the requests after it would lack what it should have given. A
// request that cannot be rendered (a missing var, bad data) is recorded
// with it.Fail as a Script error and ends the iteration likewise; when the
// cause is an exhausted sequential or unique feeder, the scenario stops.
//
// feeders holds the plan's feeders by name. Compile fails on a template
// that does not parse, a literal {{feed "f" "c"}} naming an unknown feeder
// or column, a literal {{var "v"}} that no earlier request extracts, a bad
// regexp or JSON check, and a relative URL without a target.
func Compile(s *plan.Scenario, p *plan.Plan, feeders map[string]*feed.Feeder) (load.IterationFunc, error) {
	c, err := compile(s, p, feeders)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, it *load.Iteration) {
		c.iterate(ctx, it, it.Rand, it.N, it.VU, it.Vars)
	}, nil
}

// iteration is what an iteration needs of *load.Iteration besides its
// fields (an interface, so that tests can watch the calls).
type iteration interface {
	Do(ctx context.Context, req *load.Request) *load.Response
	Sleep(ctx context.Context, d time.Duration)
	Fail(name string, kind load.ErrorKind, err error)
	StopScenario()
}

// compiled is a scenario ready to run. After compile it is read-only
// (but for its pool), so iterations share it.
type compiled struct {
	scenario string
	steps    []*step
	think    plan.Think

	sources     []source // the texts that are templates, parsed by each renderer
	feeders     []*feed.Feeder
	feederIndex map[string]int
	pool        sync.Pool // of *renderer
}

// source is a template text of the scenario.
type source struct {
	step                 int // index in compiled.steps
	request, field, text string
}

// text is a method, URL, header value or body: static, or the template
// sources[src].
type text struct {
	field       string // "url", "header Authorization", ... for messages
	src         int    // -1: static
	static      string
	staticBytes []byte // static as bytes, for a body
}

// step is one request of the scenario.
type step struct {
	name     string
	method   text
	url      text
	relative bool // url is relative to base (only for a template: static URLs are resolved at compile)
	base     string
	headers  []header
	body     text
	expect   []int
	check    func(*load.Response) error
	keepBody bool
	extract  []*extractor
}

type header struct {
	key   string
	value text
}

func compile(s *plan.Scenario, p *plan.Plan, feeders map[string]*feed.Feeder) (*compiled, error) {
	if len(s.Requests) == 0 {
		return nil, fmt.Errorf("compile scenario %q: no requests", s.Name)
	}
	c := &compiled{scenario: s.Name, think: s.Think, feederIndex: map[string]int{}}
	for _, name := range slices.Sorted(maps.Keys(feeders)) {
		c.feederIndex[name] = len(c.feeders)
		c.feeders = append(c.feeders, feeders[name])
	}
	base := strings.TrimRight(p.Target, "/")
	for _, r := range s.Requests {
		st, err := c.step(r, p.HTTP.Headers, base)
		if err != nil {
			return nil, fmt.Errorf("compile scenario %q: request %q: %w", s.Name, r.Name, err)
		}
		c.steps = append(c.steps, st)
	}
	// The first renderer parses every template: a text that does not parse
	// fails here, not in an iteration.
	first, err := newRenderer(c)
	if err != nil {
		return nil, fmt.Errorf("compile scenario %q: %w", s.Name, err)
	}
	if err := c.checkRefs(first); err != nil {
		return nil, fmt.Errorf("compile scenario %q: %w", s.Name, err)
	}
	c.pool.Put(first)
	return c, nil
}

func (c *compiled) step(r *plan.Request, global []plan.Header, base string) (*step, error) {
	st := &step{name: r.Name, expect: r.Expect.Status, base: base}
	st.method = c.text(r.Name, "method", r.Method)
	st.url = c.text(r.Name, "url", r.URL)
	if st.url.src < 0 {
		u, err := resolve(base, st.url.static)
		if err != nil {
			return nil, err
		}
		st.url.static = u
	} else {
		// Whether a template's URL is relative shows only once rendered,
		// unless it starts with its scheme.
		st.relative = true
		if base == "" && !absolute(r.URL) && !strings.HasPrefix(r.URL, "{{") {
			return nil, fmt.Errorf("url %q is relative and the plan has no target", r.URL)
		}
	}
	for _, h := range global {
		overridden := slices.ContainsFunc(r.Headers, func(rh plan.Header) bool { return strings.EqualFold(rh.Key, h.Key) })
		if !overridden {
			st.headers = append(st.headers, header{key: h.Key, value: c.text(r.Name, "header "+h.Key, h.Value)})
		}
	}
	for _, h := range r.Headers {
		st.headers = append(st.headers, header{key: h.Key, value: c.text(r.Name, "header "+h.Key, h.Value)})
	}
	st.body = c.text(r.Name, "body", r.Body)
	check, err := newCheck(r.Expect)
	if err != nil {
		return nil, err
	}
	st.check = check
	st.keepBody = check != nil
	for _, x := range r.Extract {
		e, err := newExtractor(r.Name, x)
		if err != nil {
			return nil, err
		}
		st.extract = append(st.extract, e)
		st.keepBody = st.keepBody || e.needsBody()
	}
	return st, nil
}

// text registers a text of a request: a static one as is, a template as a
// source for the renderers to parse.
func (c *compiled) text(request, field, s string) text {
	if !strings.Contains(s, "{{") {
		return text{field: field, src: -1, static: s, staticBytes: []byte(s)}
	}
	c.sources = append(c.sources, source{step: len(c.steps), request: request, field: field, text: s})
	return text{field: field, src: len(c.sources) - 1}
}

// scheme matches the start of an absolute URL.
var scheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://`)

func absolute(u string) bool { return scheme.MatchString(u) }

// resolve makes u absolute: a relative URL is appended to the target's
// path (a target http://h/v1 and a URL /tickets give http://h/v1/tickets),
// as a base URL works in Gatling or JMeter.
func resolve(base, u string) (string, error) {
	if absolute(u) {
		return u, nil
	}
	if base == "" {
		return "", fmt.Errorf("url %q is relative and the plan has no target", u)
	}
	if u == "" || u[0] == '?' {
		return base + "/" + u, nil
	}
	if u[0] != '/' {
		return base + "/" + u, nil
	}
	return base + u, nil
}

// checkRefs checks the feed and var calls whose arguments are literal
// strings: that the feeder and its column exist, and that an earlier
// request extracts the variable.
func (c *compiled) checkRefs(r *renderer) error {
	extracted := map[string]bool{}
	src := 0
	for i, st := range c.steps {
		for ; src < len(c.sources) && c.sources[src].step == i; src++ {
			var err error
			walkCalls(r.tmpls[src].Root, func(fn string, args []string) {
				if err != nil {
					return
				}
				err = c.checkCall(fn, args, extracted)
			})
			if err != nil {
				return fmt.Errorf("request %q: %s: %w", st.name, c.sources[src].field, err)
			}
		}
		for _, x := range st.extract {
			extracted[x.v] = true
		}
	}
	return nil
}

func (c *compiled) checkCall(fn string, args []string, extracted map[string]bool) error {
	switch fn {
	case "feed":
		if len(args) == 0 {
			return nil
		}
		i, ok := c.feederIndex[args[0]]
		if !ok {
			return fmt.Errorf("no feeder %q (have %q)", args[0], slices.Sorted(maps.Keys(c.feederIndex)))
		}
		if len(args) > 1 && !slices.Contains(c.feeders[i].Columns(), args[1]) {
			return fmt.Errorf("feeder %q has no column %q (it has %q)", args[0], args[1], c.feeders[i].Columns())
		}
	case "var":
		if len(args) > 0 && !extracted[args[0]] {
			return fmt.Errorf("var %q: no earlier request of the scenario extracts it", args[0])
		}
	}
	return nil
}

// walkCalls calls fn for every call in the tree of a function whose
// leading arguments are literal strings, with those strings.
func walkCalls(n parse.Node, fn func(name string, args []string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, m := range n.Nodes {
				walkCalls(m, fn)
			}
		}
	case *parse.ActionNode:
		walkCalls(n.Pipe, fn)
	case *parse.IfNode:
		walkCalls(n.Pipe, fn)
		walkCalls(n.List, fn)
		walkCalls(n.ElseList, fn)
	case *parse.WithNode:
		walkCalls(n.Pipe, fn)
		walkCalls(n.List, fn)
		walkCalls(n.ElseList, fn)
	case *parse.RangeNode:
		walkCalls(n.Pipe, fn)
		walkCalls(n.List, fn)
		walkCalls(n.ElseList, fn)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, cmd := range n.Cmds {
			if len(cmd.Args) == 0 {
				continue
			}
			if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
				var lits []string
				for _, a := range cmd.Args[1:] {
					s, ok := a.(*parse.StringNode)
					if !ok {
						break
					}
					lits = append(lits, s.Text)
				}
				fn(id.Ident, lits)
			}
			for _, a := range cmd.Args {
				walkCalls(a, fn)
			}
		}
	}
}

// iterate runs one iteration (see Compile).
func (c *compiled) iterate(ctx context.Context, it iteration, rnd *rand.Rand, n uint64, vu int, vars map[string]string) {
	r, err := c.renderer()
	if err != nil {
		it.Fail(c.steps[0].name, load.Script, err)
		return
	}
	if vars == nil {
		vars = map[string]string{}
	}
	r.begin(rnd, n, vu, vars)
	defer func() {
		r.end()
		c.pool.Put(r)
	}()
	for _, st := range c.steps {
		if ctx.Err() != nil {
			return
		}
		req, err := r.build(st)
		if err != nil {
			it.Fail(st.name, load.Script, err)
			if errors.Is(err, feed.ErrExhausted) {
				it.StopScenario()
				return
			}
			c.pause(ctx, it, rnd)
			return
		}
		resp := it.Do(ctx, req)
		ok := resp != nil && resp.Kind == load.OK
		if ok {
			for _, x := range st.extract {
				if v, found := x.extract(resp); found {
					vars[x.v] = v
				} else {
					delete(vars, x.v)
					r.st.missed = append(r.st.missed, x)
				}
			}
		}
		c.pause(ctx, it, rnd)
		if !ok {
			return
		}
	}
}

func (c *compiled) renderer() (*renderer, error) {
	if r, ok := c.pool.Get().(*renderer); ok {
		return r, nil
	}
	return newRenderer(c)
}

// pause sleeps for the think time, drawn uniformly from [Min, Max].
func (c *compiled) pause(ctx context.Context, it iteration, rnd *rand.Rand) {
	lo, hi := c.think.Min, c.think.Max
	if hi <= 0 && lo <= 0 {
		return
	}
	d := lo
	if hi > lo {
		d += time.Duration(rnd.Int64N(int64(hi-lo) + 1))
	}
	it.Sleep(ctx, d)
}

// build renders st into r.req, which is valid until the next build.
func (r *renderer) build(st *step) (*load.Request, error) {
	method, err := r.render(&st.method)
	if err != nil {
		return nil, err
	}
	url, err := r.render(&st.url)
	if err != nil {
		return nil, err
	}
	if st.relative {
		if url, err = resolve(st.base, url); err != nil {
			return nil, err
		}
	}
	r.hdr = r.hdr[:0]
	for i := range st.headers {
		h := &st.headers[i]
		v, err := r.render(&h.value)
		if err != nil {
			return nil, err
		}
		r.hdr = append(r.hdr, load.Header{Key: h.key, Value: v})
	}
	body, err := r.renderBody(&st.body)
	if err != nil {
		return nil, err
	}
	r.req = load.Request{
		Name:     st.name,
		Method:   method,
		URL:      url,
		Header:   r.hdr,
		Body:     body,
		Expect:   st.expect,
		Check:    st.check,
		KeepBody: st.keepBody,
	}
	return &r.req, nil
}
