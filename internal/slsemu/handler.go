package slsemu

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

// ServeHTTP implements http.Handler: the SLS API on every path except
// /_emu/, which is the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	w.Header().Set("x-log-requestid", s.nextRequestID())
	if r.URL.Path == "/_emu" || strings.HasPrefix(r.URL.Path, "/_emu/") {
		s.serveAdmin(w, r)
		return
	}
	rt, rerr := classify(r)
	s.stats.count(rt.api)
	q := r.URL.Query()
	if rt.api == APIPullLogs {
		if query := q.Get("query"); query != "" {
			s.stats.query(query)
		}
	}
	act := s.faults.match(rt, q.Get("consumer"))
	if act.latency > 0 && !s.sleep(r.Context(), act.latency) {
		dropConn(w)
		return
	}
	if act.drop {
		dropConn(w)
		return
	}
	if act.err != nil {
		writeError(w, act.err)
		return
	}
	rt.stuck = act.stuck
	if rerr != nil {
		writeError(w, rerr)
		return
	}
	body, e := s.readBody(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	if e := s.authenticate(r, body); e != nil {
		writeError(w, e)
		return
	}
	if rt.project == "" {
		writeError(w, errorf(http.StatusNotFound, CodeProjectNotExist, "no project in host %q: send requests to <project>.<endpoint>", r.Host))
		return
	}
	if e := s.dispatch(w, r, rt, body); e != nil {
		writeError(w, e)
	}
}

// dropConn closes the client connection without writing a response.
func dropConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2 or a test recorder): abort the handler the way
	// net/http documents; the server recovers it silently.
	panic(http.ErrAbortHandler)
}

// readBody reads the whole request body, bounded by MaxBodyBytes.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.opts.MaxBodyBytes)))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusBadRequest, CodePostBodyTooLarge, "request body exceeds %d bytes", s.opts.MaxBodyBytes)
		}
		return nil, errorf(http.StatusBadRequest, CodeParameterInvalid, "read request body: %v", err)
	}
	return body, nil
}

// dispatch runs the handler of an authenticated SLS request.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, rt route, body []byte) *Error {
	switch rt.api {
	case APIGetProject:
		return s.handleGetProject(w, rt)
	case APICreateProject:
		return s.handleCreateProject(w, rt, body)
	case APIDeleteProject:
		return s.handleDeleteProject(w, rt)
	case APIListLogStore:
		return s.handleListLogStore(w, rt)
	case APICreateLogStore:
		return s.handleCreateLogStore(w, rt, body)
	case APIGetLogStore:
		return s.handleGetLogStore(w, rt)
	case APIUpdateLogStore:
		return s.handleUpdateLogStore(w, rt, body)
	case APIDeleteLogStore:
		return s.handleDeleteLogStore(w, rt)
	case APIListShards:
		return s.handleListShards(w, rt)
	case APIPutLogs:
		return s.handlePutLogs(w, r, rt, body)
	case APIGetCursor:
		return s.handleGetCursor(w, r, rt)
	case APIGetCursorTime:
		return s.handleGetCursorTime(w, r, rt)
	case APIPullLogs:
		return s.handlePullLogs(w, r, rt)
	case APISplitShard:
		return s.handleSplitShard(w, r, rt)
	case APIMergeShards:
		return s.handleMergeShards(w, rt)
	case APIListConsumerGroup:
		return s.handleListConsumerGroups(w, rt)
	case APICreateConsumerGroup:
		return s.handleCreateConsumerGroup(w, rt, body)
	case APIUpdateConsumerGroup:
		return s.handleUpdateConsumerGroup(w, rt, body)
	case APIDeleteConsumerGroup:
		return s.handleDeleteConsumerGroup(w, rt)
	case APIHeartbeat:
		return s.handleHeartbeat(w, r, rt, body)
	case APIUpdateCheckpoint:
		return s.handleUpdateCheckpoint(w, r, rt, body)
	case APIGetCheckpoint:
		return s.handleGetCheckpoint(w, r, rt)
	}
	return errorf(http.StatusNotFound, CodeRequestNotSupported, "%s is not supported", rt.api)
}
