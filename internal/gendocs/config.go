package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/plugin"
)

// attr is one attribute of the reference.
type attr struct {
	name, typ, def, checked, doc, example string
	required                              bool
}

// block is one block of the reference with its attributes and nested blocks.
type block struct {
	title  string // `sink "syslog" "NAME"`, `tls`
	doc    string
	attrs  []attr
	blocks []*block
}

// handDoc describes an attribute whose schema (config, plan)
// carries no Go doc comment. An attribute missing here is still listed.
type handDoc struct{ typ, def, doc, example string }

// handDocs are keyed by block path and attribute: "rule.filter",
// "sink.batch.max_events".
var handDocs = map[string]handDoc{
	"rule.filter":      {"expression (bool)", "", "An expr-lang expression that must be bool; false drops the event for this route.", `filter = "topic == 'actiontrail_audit_event'"`},
	"rule.decode_json": {"list of string", "", "Fields whose string value is JSON; they become objects downstream and are written verbatim. JSON paths can be read without it.", `decode_json = ["event"]`},
	"rule.set":         {"map of expression", "", "Field name → expression; a nil result leaves the field unset.", `set = { user = "event.userIdentity.userName" }`},
	"rule.meta":        {"map of expression", "", "Meta key → expression: hints sinks honour. HEC: index, sourcetype, source, host. Syslog: severity, facility, app_name, msgid, host.", `meta = { sourcetype = "'alicloud:actiontrail'" }`},
	"rule.delete":      {"list of string", "", "Fields to remove; `__tag__:NAME` removes a tag.", `delete = ["__tag__:__pack_id__"]`},
	"rule.on_error":    {"string", `"dead_letter"`, "What a run-time failure does: dead_letter (to the route's dead-letter sink with the rule name and error), keep (skip the failing step), drop (counted).", `on_error = "keep"`},
	"rule.description": {"string", "", "Free text for readers; ignored.", ""},

	"route.from":        {"list of source reference", "", "Sources whose events this route takes.", "from = [source.sls.actiontrail]"},
	"route.rules":       {"list of rule reference", "", "Rules run in order; a false filter drops the event for this route only.", "rules = [rule.actiontrail]"},
	"route.to":          {"list of sink reference", "", "Sinks that each get every kept event (fan-out).", "to = [sink.splunk_hec.soc, sink.syslog.qradar]"},
	"route.dead_letter": {"sink reference", "", "Where events that fail a rule or that a sink rejects go, with `dead_letter_reason` and `dead_letter_route`. Without it they are logged at ERROR and counted.", "dead_letter = sink.file.dead"},
	"route.description": {"string", "", "Free text for readers; ignored.", ""},

	"test.route":              {"route reference", "", "The route the input runs through (its rules; no sink is contacted).", "route = route.audit"},
	"test.input":              {"object", "", "The input event: `__topic__`, `__source__`, `__time__`, `__tag__:NAME` and content fields.", `input = { __topic__ = "actiontrail_audit_event" }`},
	"test.expect":             {"object", "", "Fields the output event must have, with these values (other fields are not compared).", `expect = { action = "CreateUser" }`},
	"test.expect_meta":        {"map of string", "", "Meta values the output event must have.", `expect_meta = { sourcetype = "alicloud:actiontrail" }`},
	"test.expect_dropped":     {"bool", "false", "The route must drop the event (a false filter).", "expect_dropped = true"},
	"test.expect_dead_letter": {"bool", "false", "A rule must fail on the event and dead-letter it.", "expect_dead_letter = true"},
	"test.description":        {"string", "", "Free text for readers; ignored.", ""},

	"sink.in_flight":             {"number", "", "Concurrent writes (WriteBatch calls) to the sink; the default is the sink type's (below).", "in_flight = 4"},
	"sink.buffer_events":         {"number", fmt.Sprint(plan.DefaultBuffer), "Events queued for the sink before backpressure reaches the sources.", "buffer_events = 20000"},
	"sink.buffer_bytes":          {"size", `"16MiB"`, "Memory of the events held for the sink (queued, batched, being written or retried), counted as their share of what the source measured they hold (about 2× their raw bytes); enqueueing waits while it is full, so backpressure reaches the sources. A batch larger than it still goes when the sink holds nothing. Counts toward `run --memory-limit=auto`.", `buffer_bytes = "16MiB"`},
	"sink.batch.max_events":      {"number", fmt.Sprint(plan.DefaultMaxEvents), "Most events per write (sink types may default otherwise, below).", "max_events = 500"},
	"sink.batch.max_bytes":       {"size", `"1MiB"`, "Most encoded bytes per write (sink types may default otherwise, below).", `max_bytes = "1MiB"`},
	"sink.batch.timeout":         {"duration", fmt.Sprintf("%q", plan.DefaultFlushTimeout.String()), "How long a partial batch waits for more events; it goes at once when a writer is idle.", `timeout = "1s"`},
	"sink.retry.initial_backoff": {"duration", fmt.Sprintf("%q", plan.DefaultRetryInitial.String()), "First pause after a failed write; doubles (with jitter) up to max_backoff.", `initial_backoff = "200ms"`},
	"sink.retry.max_backoff":     {"duration", fmt.Sprintf("%q", plan.DefaultRetryMax.String()), "Longest pause between retries. Retries never give up; meanwhile sources stop pulling.", `max_backoff = "30s"`},
}

var handBlockDocs = map[string]string{
	"source": "Reads events from upstream and checkpoints only what every routed sink acknowledged. Referenced as `source.TYPE.NAME`.",
	"sink":   "Writes events to a downstream. Referenced as `sink.TYPE.NAME`.",
	"rule":   "A filter and transformation in expr-lang, compiled once per plan. Steps run in the order filter, decode_json, set, meta, delete. Referenced as `rule.NAME`.",
	"route":  "Connects sources through rules to sinks, with an optional dead-letter sink. Referenced as `route.NAME`.",
	"test":   "An input event run through a route's rules by `forwarder test`, with what must come out.",
	"batch":  "How the engine groups events into one write.",
	"retry":  "Backoff of failed writes (capped exponential, with jitter).",
}

// probeBodies are minimal valid bodies per component type, so that a probe
// can set one attribute to a wrong value and read what Validate says about
// it. A type missing here is probed from its bare defaults.
var probeBodies = map[string]string{
	"source.sls":      `endpoint = "https://cn-hangzhou.log.aliyuncs.com"` + "\n" + `project = "p"` + "\n" + `logstore = "l"` + "\n" + `consumer_group = "g"` + "\n" + `access_key_id = "id"` + "\n" + `access_key_secret = "secret"`,
	"sink.splunk_hec": `endpoint = "https://splunk.example:8088"` + "\n" + `token = "t"`,
	"sink.syslog":     `address = "siem.example:6514"` + "\n" + `protocol = "tls"`,
	"sink.file":       `path = "-"`,
}

func writeConfigReference(w io.Writer, root string) error {
	x, err := newDocIndex(root)
	if err != nil {
		return err
	}
	ex, err := collectExamples(filepath.Join(root, "examples"))
	if err != nil {
		return err
	}
	reg := builtin.Registries()
	rootSchema, schemas := config.Schemas()

	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# Configuration reference\n\n")
	p("<!-- Generated by `go generate ./internal/gendocs` from the config structs and schemas. Do not edit; scripts/test.sh fails when it is stale. -->\n\n")
	p("A configuration is a `.hcl` file or a directory of them (read in name order and merged).\n")
	p("Sizes are strings with units (`\"1MiB\"`, `\"512KB\"`, `\"2048\"`), durations are Go-style (`\"500ms\"`, `\"1m30s\"`).\n")
	p("In source and sink bodies `env(\"NAME\")`, `env(\"NAME\", \"default\")` and `file(\"path\")` (relative to the\n")
	p("configuration directory) bring in secrets; `forwarder validate` never reads them. Rule attributes are\n")
	p("literal strings holding [expr-lang](https://expr-lang.org) expressions.\n\n")
	p("*Default* is what an absent attribute means (— for none). In a description, *Checked* is what\n")
	p("validation says about a wrong value, and *Example* is taken from `examples/` where one uses it.\n\n")

	p("## Top-level blocks\n\n| block | labels | what it is |\n|---|---|---|\n")
	for _, b := range rootSchema.Blocks {
		labels := make([]string, len(b.LabelNames))
		for i, l := range b.LabelNames {
			labels[i] = strings.ToUpper(l)
		}
		p("| [`%s`](#%s) | %s | %s |\n", b.Type, anchor(b.Type), strings.Join(labels, ", "), handBlockDocs[b.Type])
	}
	p("\n")

	for _, b := range rootSchema.Blocks {
		s, ok := schemas[b.Type]
		if !ok {
			continue
		}
		blk := &block{title: b.Type + ` "NAME"`, doc: handBlockDocs[b.Type]}
		for _, a := range s.Attributes {
			h := handDocs[b.Type+"."+a.Name]
			ea := attr{name: a.Name, typ: h.typ, def: h.def, doc: h.doc, required: a.Required, example: ex.get(b.Type, a.Name, h.example)}
			blk.attrs = append(blk.attrs, ea)
		}
		renderBlock(w, blk, 2)
	}

	p("## Sources\n\n%s\n\n", handBlockDocs["source"])
	for _, t := range reg.Sources.Types() {
		f, _ := reg.Sources.Lookup(t)
		blk := componentBlock(x, "source", t, f.NewConfig)
		renderBlock(w, blk, 3)
	}

	p("## Sinks\n\n%s\n\n", handBlockDocs["sink"])
	p("### Settings of every sink\n\nThe engine owns batching, concurrency, buffering and retries, once for all sink types; every sink body accepts these.\n\n")
	common, nested := plan.SinkSettings()
	eng := &block{}
	for _, a := range common.Attributes {
		h := handDocs["sink."+a.Name]
		eng.attrs = append(eng.attrs, attr{name: a.Name, typ: h.typ, def: h.def, doc: h.doc, required: a.Required, example: ex.get("sink.*", a.Name, h.example)})
	}
	for _, bs := range common.Blocks {
		nb := &block{title: bs.Type, doc: handBlockDocs[bs.Type]}
		if v, ok := nested[bs.Type]; ok {
			rt := reflect.TypeOf(v)
			for i := range rt.NumField() {
				name, _, ok := hclTag(rt.Field(i))
				if !ok {
					continue
				}
				h := handDocs["sink."+bs.Type+"."+name]
				typ := h.typ
				if typ == "" {
					typ = goType(rt.Field(i).Type, name, "")
				}
				nb.attrs = append(nb.attrs, attr{name: name, typ: typ, def: h.def, doc: h.doc, example: ex.get("sink.*."+bs.Type, name, h.example)})
			}
		}
		eng.blocks = append(eng.blocks, nb)
	}
	renderBlock(w, eng, 4)
	for _, t := range reg.Sinks.Types() {
		f, _ := reg.Sinks.Lookup(t)
		blk := componentBlock(x, "sink", t, func() any { return f.NewConfig() })
		inFlight := max(f.MaxInFlight, 1)
		maxEvents, maxBytes := plan.DefaultMaxEvents, int64(plan.DefaultMaxBytes)
		if f.Batch.MaxEvents > 0 {
			maxEvents = f.Batch.MaxEvents
		}
		if f.Batch.MaxBytes > 0 {
			maxBytes = int64(f.Batch.MaxBytes)
		}
		blk.doc += fmt.Sprintf(" Engine defaults for this type: `in_flight = %d`, `batch { max_events = %d, max_bytes = %q }`.", inFlight, maxEvents, sizeString(maxBytes))
		renderBlock(w, blk, 3)
	}
	return nil
}

// componentBlock describes a source or sink type from its config struct.
func componentBlock[C any](x *docIndex, kind, typ string, newConfig func() C) *block {
	defaults := reflect.ValueOf(newConfig())
	rt := defaults.Type()
	pkgDoc := x.packageDoc(rt)
	blk := &block{title: fmt.Sprintf(`%s "%s" "NAME"`, kind, typ), doc: pkgDoc}
	prober := &prober{key: kind + "." + typ, newConfig: func() any { return newConfig() }}
	fillStruct(x, blk, defaults, nil, "", kind+"."+typ, prober)
	return blk
}

// fillStruct adds a struct's hcl-tagged fields to blk: attributes, and
// nested blocks for ",block" fields.
func fillStruct(x *docIndex, blk *block, v reflect.Value, index []int, attrPrefix, exKey string, pr *prober) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v = reflect.New(v.Type().Elem())
		}
		v = v.Elem()
	}
	t := v.Type()
	docs := x.of(t)
	for i := range t.NumField() {
		sf := t.Field(i)
		name, kind, ok := hclTag(sf)
		if !ok {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		if kind == "block" {
			ft := sf.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			nb := &block{title: name, doc: x.of(ft).doc}
			if nb.doc == "" {
				nb.doc = docs.fields[sf.Name]
			}
			fv, fpr := v.Field(i), pr
			if sf.Type.Kind() == reflect.Slice {
				// A repeated block: document its element; values inside a
				// list cannot be probed through the field path.
				fv, fpr = reflect.New(ft).Elem(), nil
			}
			fillStruct(x, nb, fv, idx, attrPrefix+name+".", exKey+"."+name, fpr)
			blk.blocks = append(blk.blocks, nb)
			continue
		}
		a := attr{
			name:     name,
			typ:      goType(sf.Type, name, docs.fields[sf.Name]),
			def:      defaultString(v.Field(i)),
			doc:      docs.fields[sf.Name],
			required: kind == "",
			checked:  pr.probe(idx, attrPrefix+name),
			example:  "",
		}
		a.example = exampleFor(exKey, name)
		blk.attrs = append(blk.attrs, a)
	}
}

// hclTag reads `hcl:"name,kind"`; kind is "" (required), "optional",
// "block" or another gohcl kind.
func hclTag(sf reflect.StructField) (name, kind string, ok bool) {
	tag, ok := sf.Tag.Lookup("hcl")
	if !ok || tag == "" {
		return "", "", false
	}
	name, kind, _ = strings.Cut(tag, ",")
	if kind == "remain" || kind == "label" {
		return "", "", false
	}
	return name, kind, true
}

var secretType = reflect.TypeOf(plugin.Secret(""))

// goType names an attribute's type for readers.
func goType(t reflect.Type, name, doc string) string {
	if t == secretType {
		return "string (secret)"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		switch {
		case strings.HasSuffix(name, "_timeout") || strings.HasSuffix(name, "_interval") || strings.HasSuffix(name, "_backoff") ||
			strings.HasSuffix(name, "_hold") || name == "timeout":
			return "duration"
		case strings.HasSuffix(name, "_size") || strings.HasSuffix(name, "_bytes"):
			return "size"
		}
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list of " + goType(t.Elem(), "", "")
	case reflect.Map:
		return "map of " + goType(t.Elem(), "", "")
	}
	return t.String()
}

// defaultString renders a default as HCL, or "" for none.
func defaultString(v reflect.Value) string {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		if v.String() == "" {
			return ""
		}
		return fmt.Sprintf("%q", v.String())
	case reflect.Bool:
		return fmt.Sprint(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprint(v.Int())
	case reflect.Slice:
		if v.Len() == 0 {
			return ""
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = defaultString(v.Index(i))
		}
		return capped("["+strings.Join(parts, ", ")+"]", v.Len())
	case reflect.Map:
		if v.Len() == 0 {
			return ""
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s = %s", k, defaultString(v.MapIndex(k)))
		}
		return capped("{ "+strings.Join(parts, ", ")+" }", v.Len())
	}
	return ""
}

// capped shortens a long list or map default to its size.
func capped(s string, n int) string {
	if len(s) <= maxExample {
		return s
	}
	if strings.HasPrefix(s, "[") {
		return fmt.Sprintf("[ … ] (%d items)", n)
	}
	return fmt.Sprintf("{ … } (%d entries)", n)
}

// prober asks a config's Validate about wrong values, one attribute at a
// time, over a minimal valid body.
type prober struct {
	key       string
	newConfig func() any
}

func (p *prober) probe(index []int, attrPath string) (checked string) {
	if p == nil {
		return ""
	}
	defer func() {
		if recover() != nil { // a Validate that cannot take the probe value says nothing here
			checked = ""
		}
	}()
	cfg := p.newConfig()
	if src, ok := probeBodies[p.key]; ok {
		f, diags := hclsyntax.ParseConfig([]byte(src), "probe.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			return ""
		}
		if diags := gohcl.DecodeBody(f.Body, nil, cfg); diags.HasErrors() {
			return ""
		}
	}
	v := reflect.ValueOf(cfg)
	for _, i := range index {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("?")
	case reflect.Int, reflect.Int64:
		v.SetInt(probeInt)
	default:
		return ""
	}
	c, ok := cfg.(plugin.Config)
	if !ok {
		return ""
	}
	err := c.Validate()
	if err == nil {
		return ""
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ae *plugin.AttrError
		if errors.As(e, &ae) && ae.Attr == attrPath {
			return cleanCheck(ae.Err.Error())
		}
	}
	return ""
}

// probeInt is the wrong value a probe sets a number to.
const probeInt = -999983

// cleanCheck turns a validation message about the probe value into a
// statement of what is accepted: "unsupported value "?"; use one of a, b"
// → "Use one of a, b"; "invalid endpoint "?": want URL" → "Want URL".
func cleanCheck(msg string) string {
	if i := strings.LastIndex(msg, "; "); i >= 0 {
		msg = msg[i+2:]
	}
	const q = "\x00"
	msg = strings.ReplaceAll(msg, `"?"`, q)
	msg = strings.ReplaceAll(msg, fmt.Sprint(probeInt), q)
	if i := strings.Index(msg, q); i >= 0 {
		if j := strings.Index(msg[i:], ": "); j >= 0 {
			msg = msg[i+j+2:]
		}
	}
	msg = strings.ReplaceAll(msg, ", not "+q, "")
	msg = strings.Replace(msg, q+" is not ", "must be ", 1)
	msg = strings.Replace(msg, q+": ", "", 1)
	if msg == "" || strings.Contains(msg, q) || strings.HasPrefix(msg, "want a number with") {
		return ""
	}
	if first, _, _ := strings.Cut(msg, " "); !strings.Contains(first, "_") {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg
}

func sizeString(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprint(n)
}

// maxExample is the longest example quoted in a table cell.
const maxExample = 90

// examples holds the first use of each attribute in examples/, keyed by
// block path ("sink.syslog", "sink.syslog.leef", "sink.*.batch", "rule").
type examples map[string]map[string]string

var exampleIndex examples

func exampleFor(key, name string) string { return exampleIndex.get(key, name, "") }

func (e examples) get(key, name, fallback string) string {
	if s, ok := e[key][name]; ok {
		return s
	}
	return fallback
}

func collectExamples(dir string) (examples, error) {
	ex := examples{}
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".hcl") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	sort.Strings(files)
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if diags.HasErrors() {
			continue
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			keys := []string{b.Type}
			if (b.Type == "source" || b.Type == "sink") && len(b.Labels) > 0 {
				keys = []string{b.Type + "." + b.Labels[0], b.Type + ".*"}
			}
			ex.add(keys, b.Body, src)
		}
	}
	exampleIndex = ex
	return ex, nil
}

func (e examples) add(keys []string, body *hclsyntax.Body, src []byte) {
	for _, k := range keys {
		if e[k] == nil {
			e[k] = map[string]string{}
		}
	}
	names := make([]string, 0, len(body.Attributes))
	for n := range body.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := body.Attributes[n]
		r := a.SrcRange
		text := string(src[r.Start.Byte:r.End.Byte])
		text = strings.Join(strings.Fields(text), " ")
		if strings.Contains(string(src[r.Start.Byte:r.End.Byte]), "\n") || len(text) > maxExample {
			continue // multi-line or long: a later, shorter use (or the hand-written example) reads better
		}
		for _, k := range keys {
			if _, ok := e[k][n]; !ok {
				e[k][n] = text
			}
		}
	}
	for _, b := range body.Blocks {
		sub := make([]string, len(keys))
		for i, k := range keys {
			sub[i] = k + "." + b.Type
		}
		e.add(sub, b.Body, src)
	}
}

func renderBlock(w io.Writer, b *block, level int) {
	if b.title != "" {
		fmt.Fprintf(w, "%s `%s`\n\n", strings.Repeat("#", level), b.title)
	}
	if b.doc != "" {
		fmt.Fprintf(w, "%s\n\n", b.doc)
	}
	if len(b.attrs) > 0 {
		fmt.Fprintf(w, "| attribute | type | default | description |\n|---|---|---|---|\n")
		for _, a := range b.attrs {
			def := "—"
			switch {
			case a.required:
				def = "required"
			case a.def != "":
				def = "`" + cell(a.def) + "`"
			}
			desc := cell(a.doc)
			if desc == "" {
				desc = "(undocumented)"
			}
			if a.checked != "" {
				desc += " Checked: " + cell(a.checked) + "."
			}
			if a.example != "" {
				desc += " Example: `" + cell(a.example) + "`"
			}
			fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", a.name, a.typ, def, desc)
		}
		fmt.Fprintln(w)
	}
	for _, nb := range b.blocks {
		renderBlock(w, nb, level+1)
	}
}

// cell escapes text for a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// anchor is the GitHub heading slug of a top-level block's section.
func anchor(typ string) string {
	switch typ {
	case "source", "sink":
		return typ + "s"
	}
	return typ + "-name"
}
