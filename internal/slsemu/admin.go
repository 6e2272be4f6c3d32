package slsemu

import "net/http"

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	writeError(w, errorf(http.StatusNotFound, CodeRequestNotSupported, "admin API not implemented yet"))
}

func (s *Server) load() error { return nil }
func (s *Server) save() error { return nil }
