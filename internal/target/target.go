// Package target is a small HTTP service for Mayfly to load-test when there
// is no real one at hand: the demo, the CLI tests and the benchmark scripts
// that compare Mayfly with other tools. It can stall on purpose, so that
// coordinated omission shows.
package target

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options shape the server's behaviour. The zero value serves fast.
type Options struct {
	// StallEvery and StallFor make the whole server pause: every
	// StallEvery, for StallFor, no request is answered (requests that
	// arrive wait until the stall ends), like a stop-the-world pause.
	StallEvery, StallFor time.Duration
}

// Server is the demo service. Its routes:
//
//	GET  /ok                 20-byte body, as fast as possible
//	GET  /items/{id}         a small JSON item (id 1–100000), 404 otherwise
//	POST /login              {"user": "..."} → {"token": "..."}
//	GET  /me                 needs Authorization: Bearer <token from /login>
//	GET  /slow?ms=N          answers after N milliseconds (at most 10000)
//	GET  /status/{code}      answers with that status
//	GET  /healthz            ok
type Server struct {
	opts    Options
	start   time.Time
	mux     *http.ServeMux
	tokens  sync.Map
	nextTok atomic.Int64
}

// NewServer returns the demo service.
func NewServer(opts Options) *Server {
	s := &Server{opts: opts, start: time.Now(), mux: http.NewServeMux()}
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /ok", s.handleOK)
	s.mux.HandleFunc("GET /healthz", s.handleOK)
	s.mux.HandleFunc("GET /items/{id}", s.handleItem)
	s.mux.HandleFunc("POST /login", s.handleLogin)
	s.mux.HandleFunc("GET /me", s.handleMe)
	s.mux.HandleFunc("GET /slow", s.handleSlow)
	s.mux.HandleFunc("GET /status/{code}", s.handleStatus)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.stall()
	s.mux.ServeHTTP(w, r)
}

// stall blocks while the server is in one of its pauses.
func (s *Server) stall() {
	if s.opts.StallEvery <= 0 || s.opts.StallFor <= 0 {
		return
	}
	// Pauses occupy [k·every − for, k·every) for k ≥ 1.
	el := time.Since(s.start)
	into := el % s.opts.StallEvery
	if left := into - (s.opts.StallEvery - s.opts.StallFor); left >= 0 {
		time.Sleep(s.opts.StallFor - left)
	}
}

var okBody = []byte("ok: mayfly demo\n....") // 20 bytes

func (s *Server) handleOK(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write(okBody)
}

func (s *Server) handleItem(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id < 1 || id > 100000 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "id: no such item"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "name": fmt.Sprintf("item %d", id), "price": float64(id%997) + 0.99})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User string `json:"user"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil || in.User == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "user: required"})
		return
	}
	tok := fmt.Sprintf("tok-%d", s.nextTok.Add(1))
	s.tokens.Store(tok, in.User)
	writeJSON(w, http.StatusOK, map[string]string{"token": tok, "user": in.User})
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Authorization: bearer token required"})
		return
	}
	user, ok := s.tokens.Load(h[len(prefix):])
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Authorization: unknown token"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": user})
}

func (s *Server) handleSlow(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms < 0 || ms > 10000 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "ms: a number of milliseconds from 0 to 10000"})
		return
	}
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
	case <-r.Context().Done():
		return
	}
	s.handleOK(w, r)
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 200 || code > 599 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "code: a status from 200 to 599"})
		return
	}
	w.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
