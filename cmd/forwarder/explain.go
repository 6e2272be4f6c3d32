package main

import (
	"fmt"
	"io"

	"github.com/forwarder/forwarder/plan"
)

// explainPushDown prints, per source lane, what it asks SLS to filter.
func explainPushDown(w io.Writer, p *plan.Plan) {
	for _, l := range p.Lanes() {
		pd, name := l.PushDown, "source "+l.Source.Key
		if l.Sink != "" {
			name += " lane " + l.Sink
		} else {
			pd = l.Source.PushDown
		}
		switch {
		case pd == nil:
			fmt.Fprintf(w, "%s: no push-down (a %s source reads everything)\n", name, l.Source.Type)
		case pd.Condition != "":
			fmt.Fprintf(w, "%s: query: %s\n", name, pd.Query)
		default:
			fmt.Fprintf(w, "%s: no push-down: %s", name, pd.Note)
			if pd.Query != "" {
				fmt.Fprintf(w, "; query: %s", pd.Query)
			}
			fmt.Fprintln(w)
		}
	}
}
