package plan

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults applied to what a plan leaves out.
const (
	DefaultSeed         = 1
	DefaultTimeout      = 30 * time.Second
	DefaultLateAfter    = 10 * time.Millisecond
	DefaultGracefulStop = 30 * time.Second
	DefaultMaxVUs       = 10_000
	DefaultMaxDuration  = 10 * time.Minute
	DefaultStrategy     = "circular"
)

// Load reads and validates the plan at path. A plan with problems gives an
// Errors listing every one of them.
func Load(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return Parse(path, data)
}

// Parse parses and validates data as if read from file, which names the
// plan in messages and sets Plan.File and Plan.Dir. A plan with problems
// gives an Errors listing every one of them, in file order.
func Parse(file string, data []byte) (*Plan, error) {
	p := newParser(file, data)
	root := p.document(data)
	if root == nil {
		return nil, p.errs.err()
	}
	pl := p.plan(root)
	if err := p.errs.err(); err != nil {
		return nil, err
	}
	pl.File = file
	pl.Dir = filepath.Dir(file)
	return pl, nil
}

// planKeys are the top-level keys. Keys starting with x- are free for
// the plan's own use, e.g. to hold anchors that scenarios share:
//
//	x-request: &search {url: /search, expect: {status: [200]}}
var planKeys = []string{"name", "seed", "target", "allow_hosts", "http", "feeders", "scenarios", "slo", "x-*"}

// plan reads the root mapping. Problems are recorded in p.errs; the plan
// returned is only meaningful when there are none.
func (p *parser) plan(root *yaml.Node) *Plan {
	o := p.object(root, nil, "", planKeys)
	pl := &Plan{Seed: DefaultSeed, HTTP: HTTP{Timeout: DefaultTimeout, KeepAlive: true, LateAfter: DefaultLateAfter}}

	pl.Name = strings.TrimSuffix(filepath.Base(p.file), filepath.Ext(p.file))
	if p.file == "" {
		pl.Name = "plan"
	}
	if n := o.get("name"); n != nil {
		if s, ok := p.nonEmpty(n, "name"); ok {
			pl.Name = s
		}
	}
	if n := o.get("seed"); n != nil {
		var seed uint64
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&seed) != nil {
			p.errorf(n, "seed", "must be a whole number from 0 to %d, got %s", uint64(math.MaxUint64), describe(n))
		} else {
			pl.Seed = seed
		}
	}

	// allow_hosts before target and requests: they are checked against it.
	hosts := p.allowHosts(o, pl)
	if n := o.get("target"); n != nil {
		if s, ok := p.nonEmpty(n, "target"); ok {
			if msg := checkBaseURL(s, hosts); msg != "" {
				p.errorf(n, "target", "%s", msg)
			} else {
				pl.Target = s
			}
		}
	}
	ctx := &planContext{hosts: hosts, hasTarget: o.has("target"), feeders: map[string]bool{}}

	if n := o.get("feeders"); n != nil && !isNull(n) {
		pl.Feeders = p.feeders(n, o.key("feeders"), ctx)
	}
	if n := o.get("http"); n != nil && !isNull(n) {
		p.http(n, o.key("http"), &pl.HTTP, ctx)
	}

	switch n := o.get("scenarios"); {
	case n == nil:
		p.errorf(root, "scenarios", "missing: a plan needs at least one scenario")
	case isNull(n) || n.Kind == yaml.MappingNode && len(n.Content) == 0:
		p.errorf(o.key("scenarios"), "scenarios", "must define at least one scenario")
	default:
		pl.Scenarios = p.scenarios(n, o.key("scenarios"), ctx)
	}

	if n := o.get("slo"); n != nil && !isNull(n) {
		pl.SLOs = p.slos(n, selectable(pl.Scenarios))
	}
	return pl
}

// planContext is what the parts of a plan need to know of the whole.
type planContext struct {
	hosts     map[string]bool // allow_hosts, lower case
	hasTarget bool            // whether relative URLs can be resolved
	feeders   map[string]bool // names of the feeders defined
}

func (p *parser) allowHosts(o *object, pl *Plan) map[string]bool {
	hosts := map[string]bool{}
	n := o.get("allow_hosts")
	if n == nil || isNull(n) {
		return hosts
	}
	items, _ := p.sequence(n, "allow_hosts", true)
	for i, item := range items {
		path := index("allow_hosts", i)
		s, ok := p.nonEmpty(item, path)
		if !ok {
			continue
		}
		host, msg := normalizeHost(s)
		if msg != "" {
			p.errorf(item, path, "%s", msg)
			continue
		}
		hosts[host] = true
		pl.AllowHosts = append(pl.AllowHosts, host)
	}
	return hosts
}

var httpKeys = []string{"timeout", "keep_alive", "max_conns", "late_after", "headers"}

func (p *parser) http(n, at *yaml.Node, h *HTTP, ctx *planContext) {
	o := p.object(n, at, "http", httpKeys)
	if o == nil {
		return
	}
	if n := o.get("timeout"); n != nil {
		if d, ok := p.positive(n, "http.timeout"); ok {
			h.Timeout = d
		}
	}
	if n := o.get("keep_alive"); n != nil {
		if b, ok := p.boolean(n, "http.keep_alive"); ok {
			h.KeepAlive = b
		}
	}
	if n := o.get("max_conns"); n != nil {
		if c, ok := p.count(n, "http.max_conns", 0); ok {
			h.MaxConns = c
		}
	}
	if n := o.get("late_after"); n != nil {
		if d, ok := p.positive(n, "http.late_after"); ok {
			h.LateAfter = d
		}
	}
	if n := o.get("headers"); n != nil {
		h.Headers = p.headers(n, o.key("headers"), "http.headers", ctx)
	}
}

var (
	feederKeys    = []string{"csv", "json", "values", "sql", "strategy"}
	feederSources = []string{"csv", "json", "values", "sql"}
	strategies    = []string{"sequential", "random", "unique", "circular"}
)

func (p *parser) feeders(n, at *yaml.Node, ctx *planContext) []*Feeder {
	o := p.object(n, at, "feeders", nil)
	if o == nil {
		return nil
	}
	var out []*Feeder
	for _, k := range o.keys {
		name := deref(k).Value
		ctx.feeders[name] = true
		if f := p.feeder(name, k, o.get(name)); f != nil {
			out = append(out, f)
		}
	}
	return out
}

func (p *parser) feeder(name string, key, n *yaml.Node) *Feeder {
	path := join("feeders", name)
	o := p.object(n, key, path, feederKeys)
	if o == nil {
		return nil
	}
	f := &Feeder{Name: name, Strategy: DefaultStrategy, Pos: Pos{key.Line, key.Column}}
	var sources []string // in file order
	for _, s := range o.names() {
		if slices.Contains(feederSources, s) {
			sources = append(sources, s)
		}
	}
	switch len(sources) {
	case 0:
		p.errorf(key, path, "needs a source: one of csv, json, values or sql")
	case 1:
	default:
		p.errorf(o.key(sources[1]), join(path, sources[1]), "a feeder has one source, but this one also has %s", sources[0])
	}
	if n := o.get("csv"); n != nil {
		f.CSV, _ = p.nonEmpty(n, join(path, "csv"))
	}
	if n := o.get("json"); n != nil {
		f.JSON, _ = p.nonEmpty(n, join(path, "json"))
	}
	if n := o.get("sql"); n != nil {
		f.SQL, _ = p.nonEmpty(n, join(path, "sql"))
	}
	if n := o.get("values"); n != nil {
		f.Values = p.values(n, join(path, "values"))
	}
	if n := o.get("strategy"); n != nil {
		if s, ok := p.str(n, join(path, "strategy")); ok {
			if slices.Contains(strategies, s) {
				f.Strategy = s
			} else {
				p.errorf(n, join(path, "strategy"), "unknown strategy %q: want sequential, random, unique or circular%s", s, didYouMean(s, strategies))
			}
		}
	}
	return f
}

// values reads an inline feeder: scalars become rows {value: …}, mappings
// rows of their own (values as written).
func (p *parser) values(n *yaml.Node, path string) []map[string]string {
	items, ok := p.sequence(n, path, false)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(n, path, "must not be empty")
		return nil
	}
	rows := make([]map[string]string, 0, len(items))
	for i, item := range items {
		ipath := index(path, i)
		switch item.Kind {
		case yaml.ScalarNode:
			rows = append(rows, map[string]string{"value": scalarText(item)})
		case yaml.MappingNode:
			o := p.object(item, nil, ipath, nil)
			row := map[string]string{}
			for _, name := range o.names() {
				v := o.get(name)
				if v.Kind != yaml.ScalarNode {
					p.errorf(v, join(ipath, name), "must be a single value, got %s", describe(v))
					continue
				}
				row[name] = scalarText(v)
			}
			rows = append(rows, row)
		default:
			p.errorf(item, ipath, "must be a value or a mapping of values, got %s", describe(item))
		}
	}
	return rows
}

// scalarText is a scalar as a feeder hands it to templates: as written,
// with null as "".
func scalarText(n *yaml.Node) string {
	if n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// headers reads a mapping of header names to (template) values, sorted by
// name so that requests are the same from run to run.
func (p *parser) headers(n, at *yaml.Node, path string, ctx *planContext) []Header {
	o := p.object(n, at, path, nil)
	if o == nil {
		return nil
	}
	var out []Header
	for _, k := range o.keys {
		name := deref(k).Value
		hpath := join(path, name)
		if !isToken(name) {
			p.errorf(k, hpath, "%q is not a valid header name", name)
			continue
		}
		v := o.get(name)
		s, ok := p.str(v, hpath)
		if !ok {
			continue
		}
		if strings.ContainsAny(s, "\r\n") {
			p.errorf(v, hpath, "a header value must be on one line (a | block ends with a line break: use |- or a quoted string)")
			continue
		}
		p.template(v, hpath, s, 0, ctx.feeders)
		out = append(out, Header{Key: name, Value: s})
	}
	sortHeaders(out)
	return out
}

var sloKeys = []string{"expr", "abort", "grace"}

// selectable lists what an SLO's selector may name: the plan's
// scenarios and requests.
func selectable(scenarios []*Scenario) map[string]map[string]bool {
	names := map[string]map[string]bool{"scenario": {}, "request": {}}
	for _, s := range scenarios {
		names["scenario"][s.Name] = true
		for _, r := range s.Requests {
			names["request"][r.Name] = true
		}
	}
	return names
}

// slos reads the objectives. names holds, by label, the values a selector
// may use: a selector naming no request or scenario is a typo that would
// otherwise only show after the run, as "nothing to measure".
func (p *parser) slos(n *yaml.Node, names map[string]map[string]bool) []*SLO {
	items, ok := p.sequence(n, "slo", true)
	if !ok {
		return nil
	}
	var out []*SLO
	for i, item := range items {
		path := index("slo", i)
		s := &SLO{Pos: Pos{item.Line, item.Column}}
		exprNode := item
		if item.Kind == yaml.MappingNode {
			o := p.object(item, nil, path, sloKeys)
			if o == nil {
				continue
			}
			exprNode = o.get("expr")
			if exprNode == nil {
				p.errorf(item, join(path, "expr"), "missing: the objective, e.g. \"errors < 1%%\"")
			}
			if n := o.get("abort"); n != nil {
				s.Abort, _ = p.boolean(n, join(path, "abort"))
			}
			if n := o.get("grace"); n != nil {
				s.Grace, _ = p.duration(n, join(path, "grace"))
			}
			path = join(path, "expr")
		}
		if exprNode == nil {
			continue
		}
		expr, ok := p.nonEmpty(exprNode, path)
		if !ok {
			continue
		}
		if s.Objective, ok = p.sloExpr(exprNode, path, expr); !ok {
			continue
		}
		for _, label := range sortedLabels(s.Objective.Labels) {
			value := s.Objective.Labels[label]
			if known, checked := names[label]; checked && !known[value] {
				col := strings.Index(expr, value) + 1
				if col == 0 {
					col = 1
				}
				p.errInside(exprNode, path, 1, col, fmt.Sprintf("no %s is named %q%s", label, value, didYouMean(value, sortedKeys(known))))
			}
		}
		out = append(out, s)
	}
	return out
}

func sortedLabels(labels map[string]string) []string {
	out := make([]string, 0, len(labels))
	for k := range labels {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
