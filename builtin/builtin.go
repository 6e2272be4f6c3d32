// Package builtin is the one explicit list of the source and sink types
// forwarder ships. The CLI, the examples test and integration tests all call
// Registries; there is no init() self-registration.
package builtin

import (
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks/file"
	"github.com/forwarder/forwarder/sinks/objectstore"
	"github.com/forwarder/forwarder/sinks/splunkhec"
	"github.com/forwarder/forwarder/sinks/syslog"
	"github.com/forwarder/forwarder/sources/demo"
	"github.com/forwarder/forwarder/sources/sls"
)

// Registries returns every built-in source and sink factory.
func Registries() plan.Registries {
	return plan.Registries{
		Sources: plugin.MustRegistry("source",
			demo.Factory(),
			sls.Factory(),
		),
		Sinks: plugin.MustRegistry("sink",
			file.Factory(),
			objectstore.Factory(),
			splunkhec.Factory(),
			syslog.Factory(),
		),
	}
}
