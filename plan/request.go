package plan

import (
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file reads a scenario's requests: "METHOD URL" shorthands or
// mappings with headers, body, expectations and extractions.

var requestKeys = []string{"name", "method", "url", "headers", "body", "expect", "extract"}

// scenarioRequests reads request (one) or requests (a sequence) into s.
func (p *parser) scenarioRequests(o *object, key *yaml.Node, path string, s *Scenario, ctx *planContext) {
	switch {
	case o.has("request") && o.has("requests"):
		p.errorf(o.key("requests"), join(path, "requests"), "a scenario has request (one) or requests (a sequence), not both")
	case o.has("request"):
		if r := p.request(o.get("request"), join(path, "request"), ctx); r != nil {
			s.Requests = []*Request{r}
		}
	case o.has("requests"):
		rpath := join(path, "requests")
		items, ok := p.sequence(o.get("requests"), rpath, false)
		if ok && len(items) == 0 {
			p.errorf(o.get("requests"), rpath, "must have at least one request")
		}
		for i, item := range items {
			if r := p.request(item, index(rpath, i), ctx); r != nil {
				s.Requests = append(s.Requests, r)
			}
		}
	default:
		p.errorf(key, join(path, "request"), `missing: what to send, e.g. request: GET /products, or requests: [...]`)
	}
}

// request reads one request: "METHOD URL" or a mapping.
func (p *parser) request(n *yaml.Node, path string, ctx *planContext) *Request {
	n = deref(n)
	r := &Request{Pos: Pos{n.Line, n.Column}}
	switch {
	case n.Kind == yaml.ScalarNode && !isNull(n):
		method, url, offset, ok := splitShorthand(n.Value)
		if !ok {
			p.errorf(n, path, `must be "METHOD URL" (like "GET /products") or a mapping, got %s`, describe(n))
			return nil
		}
		p.method(n, path, r, method)
		p.url(n, path, r, url, offset, ctx)
	case n.Kind == yaml.MappingNode:
		o := p.object(n, nil, path, requestKeys)
		if m := o.get("method"); m != nil {
			if s, ok := p.nonEmpty(m, join(path, "method")); ok {
				p.method(m, join(path, "method"), r, s)
			}
		} else {
			r.Method = "GET"
		}
		if u := o.get("url"); u == nil {
			p.errorf(n, join(path, "url"), "missing: where to send the request, e.g. url: /products")
		} else if s, ok := p.nonEmpty(u, join(path, "url")); ok {
			p.url(u, join(path, "url"), r, s, 0, ctx)
		}
		if h := o.get("headers"); h != nil {
			r.Headers = p.headers(h, o.key("headers"), join(path, "headers"), ctx)
		}
		if b := o.get("body"); b != nil {
			if s, ok := p.str(b, join(path, "body")); ok {
				p.template(b, join(path, "body"), s, 0, ctx.feeders)
				r.Body = s
			}
		}
		if e := o.get("expect"); e != nil {
			r.Expect = p.expect(e, o.key("expect"), join(path, "expect"))
		}
		if e := o.get("extract"); e != nil {
			r.Extract = p.extract(e, o.key("extract"), join(path, "extract"))
		}
		if nm := o.get("name"); nm != nil {
			r.Name, _ = p.nonEmpty(nm, join(path, "name"))
		}
	default:
		p.errorf(n, path, `must be "METHOD URL" (like "GET /products") or a mapping, got %s`, describe(n))
		return nil
	}
	if r.Name == "" {
		r.Name = defaultName(r.Method, r.URL)
	}
	return r
}

// splitShorthand splits "METHOD URL"; a lone URL is a GET. offset is
// where the URL starts in s, in bytes.
func splitShorthand(s string) (method, url string, offset int, ok bool) {
	t := strings.TrimLeft(s, " \t")
	lead := len(s) - len(t)
	first, rest, found := t, "", false
	if i := strings.IndexAny(t, " \t"); i >= 0 {
		first, rest, found = t[:i], t[i+1:], true
	}
	if isAbsolute(t) || strings.HasPrefix(t, "/") || strings.HasPrefix(t, "{{") {
		return "GET", strings.TrimRight(t, " \t"), lead, true
	}
	url = strings.TrimLeft(rest, " \t")
	if !found || url == "" {
		return "", "", 0, false
	}
	return first, strings.TrimRight(url, " \t"), lead + len(first) + (len(rest) - len(url)) + 1, true
}

// method sets r.Method: an HTTP method (a token, upper-cased) or a
// template that computes one.
func (p *parser) method(n *yaml.Node, path string, r *Request, m string) {
	if strings.Contains(m, "{{") {
		p.template(n, path, m, 0, nil)
		r.Method = m
		return
	}
	if !isToken(m) {
		p.errorf(n, path, "%q is not an HTTP method", m)
		return
	}
	r.Method = strings.ToUpper(m)
}

// url sets r.URL after checking its template and its host. offset is
// where the URL starts in n's value.
func (p *parser) url(n *yaml.Node, path string, r *Request, u string, offset int, ctx *planContext) {
	p.template(n, path, u, offset, ctx.feeders)
	if msg := checkRequestURL(u, ctx.hasTarget, ctx.hosts); msg != "" {
		p.errInside(n, path, 1, offset+1, msg)
		return
	}
	r.URL = u
}

// defaultName is "METHOD path": the URL without scheme, host and query,
// so that /cart?id=1 and /cart?id=2 are measured together; each template
// action becomes "*", so that /items/{{randInt 1 9}} is "GET /items/*".
func defaultName(method, url string) string {
	path := templateActions.ReplaceAllString(url, "*")
	if isAbsolute(path) {
		rest := path[strings.Index(path, "://")+3:]
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			path = rest[i:]
		} else {
			path = ""
		}
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		path = "/"
	}
	return method + " " + path
}

// templateActions matches {{ … }} actions (not nested: actions cannot be).
var templateActions = regexp.MustCompile(`\{\{.*?\}\}`)

var expectKeys = []string{"status", "body_contains", "json"}

func (p *parser) expect(n, at *yaml.Node, path string) Expect {
	var e Expect
	o := p.object(n, at, path, expectKeys)
	if s := o.get("status"); s != nil {
		items, _ := p.sequence(s, join(path, "status"), true)
		for i, item := range items {
			code, ok := p.integer(item, index(join(path, "status"), i))
			if ok && (code < 100 || code > 599) {
				p.errorf(item, index(join(path, "status"), i), "must be an HTTP status from 100 to 599, got %d", code)
				continue
			}
			if ok {
				e.Status = append(e.Status, code)
			}
		}
	}
	if b := o.get("body_contains"); b != nil {
		items, _ := p.sequence(b, join(path, "body_contains"), true)
		for i, item := range items {
			if s, ok := p.nonEmpty(item, index(join(path, "body_contains"), i)); ok {
				e.BodyContains = append(e.BodyContains, s)
			}
		}
	}
	if j := o.get("json"); j != nil {
		jo := p.object(j, o.key("json"), join(path, "json"), nil)
		if jo == nil {
			return e
		}
		for _, name := range jo.names() {
			v := jo.get(name)
			if v.Kind != yaml.ScalarNode {
				p.errorf(v, join(join(path, "json"), name), "must be a single value (string, number, true/false or null), got %s", describe(v))
				continue
			}
			var val any
			if err := v.Decode(&val); err != nil {
				p.errorf(v, join(join(path, "json"), name), "cannot read the value: %v", err)
				continue
			}
			e.JSON = append(e.JSON, JSONCheck{Path: name, Value: jsonValue(val)})
		}
	}
	return e
}

// jsonValue narrows what YAML decodes to the types JSONCheck documents:
// string, int, float64, bool or nil.
func jsonValue(v any) any {
	switch x := v.(type) {
	case int64:
		return int(x)
	case uint64:
		return float64(x)
	}
	return v
}

var (
	extractKeys = []string{"json", "header", "regex"}
	varName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (p *parser) extract(n, at *yaml.Node, path string) []Extract {
	o := p.object(n, at, path, nil)
	if o == nil {
		return nil
	}
	var out []Extract
	for _, k := range o.keys {
		name := deref(k).Value
		vpath := join(path, name)
		if !varName.MatchString(name) {
			p.errorf(k, vpath, "%q is not a variable name (letters, digits and _, not starting with a digit)", name)
			continue
		}
		eo := p.object(o.get(name), k, vpath, extractKeys)
		if eo == nil {
			continue
		}
		names := eo.names()
		if len(names) != 1 {
			if len(names) == 0 {
				p.errorf(k, vpath, "needs one of json, header or regex")
			} else {
				p.errorf(eo.key(names[1]), join(vpath, names[1]), "an extraction has one source, but this one also has %s", names[0])
			}
			continue
		}
		from := names[0]
		v := eo.get(from)
		expr, ok := p.nonEmpty(v, join(vpath, from))
		if !ok {
			continue
		}
		if from == "regex" {
			re, err := regexp.Compile(expr)
			switch {
			case err != nil:
				p.errorf(v, join(vpath, from), "invalid regexp: %v", err)
				continue
			case re.NumSubexp() < 1:
				p.errorf(v, join(vpath, from), "the regexp needs a group, e.g. id=(\\d+): its first group is the value")
				continue
			}
		}
		out = append(out, Extract{Var: name, From: from, Expr: expr})
	}
	return out
}

// isToken reports whether s is an HTTP token (RFC 9110): what methods and
// header names are made of.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func sortHeaders(h []Header) {
	sort.SliceStable(h, func(i, j int) bool { return h[i].Key < h[j].Key })
}
