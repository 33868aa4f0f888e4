package target

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRoutes(t *testing.T) {
	s := NewServer(Options{})
	tests := []struct {
		method, path, body, auth string
		status                   int
		contains                 string
	}{
		{"GET", "/ok", "", "", 200, "ok"},
		{"GET", "/items/42", "", "", 200, `"id":42`},
		{"GET", "/items/0", "", "", 404, "id:"},
		{"GET", "/items/abc", "", "", 404, "id:"},
		{"POST", "/login", `{"user":"ann"}`, "", 200, `"token":"tok-`},
		{"POST", "/login", `{}`, "", 400, "user: required"},
		{"POST", "/login", `not json`, "", 400, "user:"},
		{"GET", "/me", "", "", 401, "Authorization"},
		{"GET", "/me", "", "Bearer nope", 401, "unknown token"},
		{"GET", "/slow?ms=1", "", "", 200, "ok"},
		{"GET", "/slow?ms=-1", "", "", 400, "ms:"},
		{"GET", "/status/503", "", "", 503, ""},
		{"GET", "/status/99", "", "", 400, "code:"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.contains) {
				t.Fatalf("%d %q, want %d containing %q", w.Code, w.Body.String(), tt.status, tt.contains)
			}
		})
	}
}

func TestLoginThenMe(t *testing.T) {
	s := NewServer(Options{})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("POST", "/login", strings.NewReader(`{"user":"bob"}`)))
	tok := strings.Split(strings.Split(w.Body.String(), `"token":"`)[1], `"`)[0]
	r := httptest.NewRequest("GET", "/me", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "bob") {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
}

// A request that arrives during a pause waits until the pause ends.
func TestStall(t *testing.T) {
	s := NewServer(Options{StallEvery: 200 * time.Millisecond, StallFor: 100 * time.Millisecond})
	time.Sleep(time.Until(s.start.Add(110 * time.Millisecond))) // into the first pause
	start := time.Now()
	into := start.Sub(s.start) % (200 * time.Millisecond)
	s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ok", nil))
	el := time.Since(start)
	if into < 100*time.Millisecond {
		t.Skipf("the machine is too busy: the request came %v into the cycle, outside the pause", into)
	}
	// A lower bound only: a busy machine makes the wait longer, never shorter.
	if left := 200*time.Millisecond - into; el < left-5*time.Millisecond {
		t.Fatalf("answered in %v during a pause that had %v to go", el, left)
	}
}
