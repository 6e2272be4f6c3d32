package sls

import "strings"

// SetPushDown records the SPL condition the plan derived from the filters
// of the routes reading this source (plan, rules.PushDown) and
// returns the query pulls will send. enabled is false when push_down =
// false; the query is then the user's alone.
func (c *Config) SetPushDown(cond string) (query string, enabled bool) {
	if c.PushDown != nil && !*c.PushDown {
		c.Derived = ""
		return c.Query, false
	}
	c.Derived = cond
	return c.pullQuery(), true
}

// pullQuery is the SPL sent with each pull: the user's query, then the
// derived condition as one more `where` stage. SPL stages run in order, so
// this is the AND of both, and the condition sees the fields as the user's
// query left them, exactly as the local filters do.
func (c *Config) pullQuery() string {
	if c.Derived == "" {
		return c.Query
	}
	q := strings.TrimRight(strings.TrimSpace(c.Query), "; \t\n")
	if q == "" {
		q = "*"
	}
	return q + " | where " + c.Derived
}
