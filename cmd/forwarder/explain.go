package main

import (
	"fmt"
	"io"

	"github.com/forwarder/forwarder/engine/plan"
)

// explainPushDown prints, per source, what it asks SLS to filter.
func explainPushDown(w io.Writer, p *plan.Plan) {
	for _, s := range p.Sources() {
		pd := s.PushDown
		switch {
		case pd == nil:
			fmt.Fprintf(w, "source %s: no push-down (a %s source reads everything)\n", s.Key, s.Type)
		case pd.Condition != "":
			fmt.Fprintf(w, "source %s: query: %s\n", s.Key, pd.Query)
		default:
			fmt.Fprintf(w, "source %s: no push-down: %s", s.Key, pd.Note)
			if pd.Query != "" {
				fmt.Fprintf(w, "; query: %s", pd.Query)
			}
			fmt.Fprintln(w)
		}
	}
}
