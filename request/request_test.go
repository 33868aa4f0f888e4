package request

import (
	"strings"
	"testing"
	"text/template"
)

func TestCheckTemplate(t *testing.T) {
	tests := []struct {
		text string
		want string // "" means valid; else the error's text starts with it
	}{
		{"", ""},
		{"plain text, no actions", ""},
		{`{{feed "users" "name"}}`, ""},
		{"{{feed `users` `name` | json}}", ""},
		{`{{var "token"}}`, ""},
		{`{{randInt 1 10}} {{pick 1 "a" true}} {{uuid}} {{now}} {{unix}} {{unixMilli}} {{seq}} {{vu}}`, ""},
		{`{{json 1}} {{base64 "x"}} {{urlquery "a b"}} {{printf "%d" 1}}`, ""},
		{`{{"a" | pick}}`, ""},
		{`{{json seq}}`, ""},
		{`{{with var "x"}}{{.}}{{end}}`, ""},
		{`{{range $i, $c := "ab"}}{{$c}}{{end}}`, ""},
		{`{{if eq (feed "u" "role") "admin"}}x{{else}}{{.}}{{end}}`, "1:47: {{.}} is empty here"},
		{"{{", "1: unclosed action"},
		{"a\n{{env `HOME`}}", `2: function "env" not defined`},
		{`{{feed "users"}}`, "1:3: feed takes 2 arguments, got 1"},
		{`{{"x" | feed "users"}}`, ""},
		{`{{var}}`, "1:3: var takes 1 argument, got 0"},
		{`{{randInt 1 2 3}}`, "1:3: randInt takes 2 arguments, got 3"},
		{`{{pick}}`, "1:3: pick needs at least one argument"},
		{`{{uuid 4}}`, "1:3: uuid takes 0 arguments, got 1"},
		{`{{json feed}}`, "1:8: feed takes 2 arguments, got 0"},
		{`{{json (var)}}`, "1:9: var takes 1 argument, got 0"},
		{"x\n  {{.Name}}", "2:5: field .Name: request templates have no fields"},
		{`{{.}}`, "1:3: {{.}} is empty here"},
		{`{{$x := 1}}{{$x.Y}}`, "1:16: field access $x.Y"},
		{`{{(var "a").B}}`, "1:12: field access"},
		{`{{template "x"}}`, "1:12: {{template}} is not supported"},
		{`{{define "x"}}hi{{end}}`, "1:15: {{define}} and {{block}} are not supported"},
		{`{{block "x" 1}}b{{end}}`, "1:16: {{define}} and {{block}} are not supported"},
		{`{{define ""}}{{end}}`, "1:14: {{define}} and {{block}} are not supported"},
	}
	for _, tt := range tests {
		err := CheckTemplate(tt.text)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckTemplate(%q): %v", tt.text, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("CheckTemplate(%q) = %v, want an error starting %q", tt.text, err, tt.want)
		}
	}
}

func TestParseNeedsEveryFunction(t *testing.T) {
	funcs := template.FuncMap{}
	for name, f := range checkFuncs {
		if name != "uuid" {
			funcs[name] = f
		}
	}
	if _, err := Parse("t", "x", funcs); err == nil || !strings.Contains(err.Error(), `"uuid"`) {
		t.Errorf("Parse without uuid: error %v, want one naming uuid", err)
	}
	tmpl, err := Parse("t", `{{uuid}}`, checkFuncs)
	if err != nil || tmpl.Name() != "t" {
		t.Errorf("Parse: %v, %v", tmpl, err)
	}
}

func FuzzCheckTemplate(f *testing.F) {
	for _, s := range []string{`{{feed "a" "b"}}`, `{{`, `{{.X}}`, `{{with 1}}{{.}}{{end}}`, `{{define "a"}}{{end}}`, `{{block "b" 1}}{{end}}`, `{{pick}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		_ = CheckTemplate(text) // must not panic
	})
}
