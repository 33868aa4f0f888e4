// Package request is the language of Mayfly's request templates: the
// method, URL, header values and body of a plan's requests are Go
// text/template texts (https://pkg.go.dev/text/template) with the functions
// below. CheckTemplate checks a text's syntax (plan validation calls it);
// package request/script executes templates, one iteration at a time.
// (The executor is a package of its own because it needs plan's types, and
// plan imports this package: one package could not do both.)
//
// Every value a template draws at random comes from the iteration's seeded
// generator, so the same plan and seed render the same requests.
//
// Functions (an example, then what it gives):
//
//	feed "users" "token"     {{feed "users" "token"}} → the column "token"
//	                         of this iteration's row of feeder "users". The
//	                         row is chosen once per iteration and feeder, so
//	                         {{feed "users" "name"}} in the same iteration is
//	                         from the same row. An exhausted sequential or
//	                         unique feeder stops the scenario.
//	var "token"              {{var "token"}} → the value an earlier request
//	                         of this iteration extracted into "token"; an
//	                         error if the extraction did not match.
//	randInt a b              {{randInt 1 10}} → an integer in [1, 10], both
//	                         ends included.
//	pick a b ...             {{pick "red" "green" 3}} → one of its arguments,
//	                         uniformly.
//	uuid                     {{uuid}} → a version 4 UUID such as
//	                         "0f8fad5b-d9cb-469f-a165-70867728950e", drawn
//	                         from the iteration's generator (deterministic).
//	now                      {{now}} → the current time, RFC 3339, UTC:
//	                         "2025-03-01T12:00:00Z".
//	unix, unixMilli          {{unix}} → 1740830400: the current time in
//	                         seconds (milliseconds) since 1970.
//	seq                      {{seq}} → the iteration's number in its
//	                         scenario, from 0.
//	vu                       {{vu}} → the number of the virtual user running
//	                         the iteration, from 1.
//	json x                   {{feed "texts" "text" | json}} → x as JSON: a
//	                         string quoted and escaped ("say \"hi\""), a
//	                         number or boolean as is, nil as null.
//	base64 x                 {{base64 "user:pass"}} → "dXNlcjpwYXNz"
//	                         (standard encoding, with padding).
//	urlquery x               {{feed "q" "term" | urlquery}} → x escaped for
//	                         a URL query ("a b&c" → "a+b%26c"); text/template's
//	                         own, as are printf, len, index, eq, if, with,
//	                         range and the other built-ins.
//
// A template has no data of its own: field references such as {{.Name}}
// are errors (values come from feed and var), and so are {{define}},
// {{template}} and {{block}}. There is no access to the environment
// (no env function): a plan's requests depend on the plan and seed alone.
package request

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
)

// arity is, for each function of the language, how many arguments it
// takes (-1: one or more).
var arity = map[string]int{
	"feed": 2, "var": 1, "randInt": 2, "pick": -1, "uuid": 0, "now": 0,
	"unix": 0, "unixMilli": 0, "seq": 0, "vu": 0, "json": 1, "base64": 1,
}

// checkFuncs stand in for the language's functions when a text is only
// checked: parsing needs their names, not their behaviour.
var checkFuncs = func() template.FuncMap {
	m := template.FuncMap{}
	for name := range arity {
		m[name] = func(...any) string { return "" }
	}
	return m
}()

// CheckTemplate reports a syntax error in a template text: a malformed
// action, an unknown function, a function given the wrong number of
// arguments, a field reference. The error's text starts with the position
// in the template, "line:col: " (1-based, the column in bytes), or "line: "
// where text/template gives no column.
func CheckTemplate(text string) error {
	_, err := Parse("", text, checkFuncs)
	return err
}

// Parse parses text as a request template named name, with funcs as the
// implementations of the language's functions (every one must be there).
// It rejects what CheckTemplate rejects, with the same error texts.
func Parse(name, text string, funcs template.FuncMap) (*template.Template, error) {
	for fn := range arity {
		if _, ok := funcs[fn]; !ok {
			return nil, fmt.Errorf("parse template %q: no implementation of function %q", name, fn)
		}
	}
	t, err := template.New(name).Funcs(funcs).Parse(text)
	if err != nil {
		return nil, cleanParseError(name, err)
	}
	if pos, ok := definition(text); ok {
		return nil, fmt.Errorf("%d:%d: {{define}} and {{block}} are not supported in request templates", lineCol(text, pos)...)
	}
	if t.Tree == nil || t.Root == nil {
		return t, nil
	}
	c := checker{text: text}
	c.walk(t.Root, false)
	if c.err != nil {
		return nil, c.err
	}
	return t, nil
}

// definition finds a {{define}} or {{block}} in text (which parses) and
// returns its position. text/template merges a definition named like the
// template itself into it, so its result cannot tell; parsing into our own
// set of trees shows every other definition as a tree of its own. Parsing
// under two names finds a definition whatever its name.
func definition(text string) (pos int, ok bool) {
	for _, name := range []string{"a", "b"} {
		main := parse.New(name)
		main.Mode = parse.SkipFuncCheck // the functions were checked already
		set := map[string]*parse.Tree{}
		if _, err := main.Parse(text, "", "", set); err != nil {
			return 0, false
		}
		for _, tree := range set {
			if tree != main {
				return int(tree.Root.Position()), true
			}
		}
	}
	return 0, false
}

// cleanParseError turns text/template's "template: name:3: msg" into
// "3: msg".
func cleanParseError(name string, err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "template: "+name+":"); ok {
		return errors.New(rest)
	}
	return err
}

// lineCol is the 1-based line and column (in bytes) of offset in text.
func lineCol(text string, offset int) []any {
	offset = min(max(offset, 0), len(text))
	line := 1 + strings.Count(text[:offset], "\n")
	col := offset - strings.LastIndexByte(text[:offset], '\n')
	return []any{line, col}
}

// checker walks a parse tree for what the language forbids but
// text/template's parser accepts. It keeps the first error.
type checker struct {
	text string
	err  error
}

func (c *checker) fail(n parse.Node, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%d:%d: "+format, append(lineCol(c.text, int(n.Position())), args...)...)
	}
}

// walk checks n. dotSet says whether dot holds a value there (inside the
// body of a with or range); at the top level a template's dot is nil.
func (c *checker) walk(n parse.Node, dotSet bool) {
	if n == nil || c.err != nil {
		return
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, m := range n.Nodes {
			c.walk(m, dotSet)
		}
	case *parse.ActionNode:
		c.walk(n.Pipe, dotSet)
	case *parse.IfNode:
		c.walk(n.Pipe, dotSet)
		c.walk(n.List, dotSet)
		c.walk(n.ElseList, dotSet)
	case *parse.WithNode:
		c.walk(n.Pipe, dotSet)
		c.walk(n.List, true)
		c.walk(n.ElseList, dotSet)
	case *parse.RangeNode:
		c.walk(n.Pipe, dotSet)
		c.walk(n.List, true)
		c.walk(n.ElseList, dotSet)
	case *parse.TemplateNode:
		c.fail(n, "{{template}} is not supported in request templates")
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for i, cmd := range n.Cmds {
			c.command(cmd, i > 0, dotSet)
		}
	case *parse.FieldNode:
		c.fail(n, "field %s: request templates have no fields; take values with feed or var", n)
	case *parse.ChainNode:
		c.fail(n, "field access %s: request templates have no fields; take values with feed or var", n)
	case *parse.VariableNode:
		if len(n.Ident) > 1 {
			c.fail(n, "field access %s: request templates have no fields", n)
		}
	case *parse.DotNode:
		if !dotSet {
			c.fail(n, "{{.}} is empty here: request templates have no data; take values with feed or var")
		}
	case *parse.IdentifierNode:
		// A function named as an argument is called without arguments.
		c.call(n, n.Ident, 0)
	}
}

// command checks one command of a pipeline; piped says whether it receives
// the previous command's value as its last argument.
func (c *checker) command(cmd *parse.CommandNode, piped, dotSet bool) {
	if len(cmd.Args) == 0 {
		return
	}
	args := cmd.Args[1:]
	if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
		n := len(args)
		if piped {
			n++
		}
		c.call(id, id.Ident, n)
	} else {
		c.walk(cmd.Args[0], dotSet)
	}
	for _, a := range args {
		c.walk(a, dotSet)
	}
}

// call checks the number of arguments of a call of one of the language's
// functions (text/template checks its built-ins only when executing, and
// so do we).
func (c *checker) call(n parse.Node, name string, got int) {
	want, ok := arity[name]
	switch {
	case !ok:
	case want < 0 && got == 0:
		c.fail(n, "%s needs at least one argument", name)
	case want >= 0 && got != want:
		c.fail(n, "%s takes %d argument%s, got %d", name, want, plural(want), got)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
