// Package builtin is the one explicit list of the source and sink types
// forwarder ships. The CLI, the examples test and integration tests all call
// Registries; there is no init() self-registration.
package builtin

import (
	"github.com/forwarder/forwarder/engine/plan"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sinks/file"
	"github.com/forwarder/forwarder/sinks/objectstore"
	"github.com/forwarder/forwarder/sinks/splunkhec"
	"github.com/forwarder/forwarder/sinks/syslog"
	"github.com/forwarder/forwarder/sources"
	"github.com/forwarder/forwarder/sources/demo"
	"github.com/forwarder/forwarder/sources/sls"
)

// Registries returns every built-in source and sink factory.
func Registries() plan.Registries {
	sinkReg, err := sinks.NewRegistry(
		file.Factory(),
		objectstore.Factory(),
		splunkhec.Factory(),
		syslog.Factory(),
	)
	if err != nil {
		panic(err) // a duplicate type here is a programming error
	}
	return plan.Registries{
		Sources: map[string]sources.Factory{
			"demo": demo.Factory(),
			"sls":  sls.Factory(),
		},
		Sinks: sinkReg,
	}
}
