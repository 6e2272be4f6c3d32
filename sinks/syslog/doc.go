// Package syslog is the "syslog" sink: RFC 5424 or RFC 3164 messages over
// UDP (RFC 5426), TCP (RFC 6587) or TLS (RFC 5425), for SIEMs such as QRadar
// and ArcSight that take syslog.
//
//	sink "syslog" "qradar" {
//	  address  = "qradar.corp.example:6514"
//	  protocol = "tls"             # udp | tcp (default) | tls
//	  format   = "rfc5424"         # rfc5424 (default) | rfc3164
//	  framing  = "octet_counting"  # octet_counting (default) | non_transparent; tcp and tls only
//	  encoding = "leef"            # json (default) | kv | cef | leef
//	  facility = "local0"          # name or 0–23; meta "facility" overrides
//	  severity = "info"            # name or 0–7; meta "severity" overrides
//	  hostname = ""                # default: this machine; meta "host" overrides
//	  app_name = "forwarder"       # meta "app_name" overrides
//	  procid   = ""                # "" is the NILVALUE
//	  msgid    = ""                # meta "msgid" overrides
//	  sd_id    = ""                # SD element for topic, source and tags: NAME@PEN ("sls@12345"); default none
//	  fields_only = false          # body: content fields only
//	  timezone = "UTC"             # UTC | Local | "+08:00"
//	  udp_max_size = "2048"        # udp: largest datagram
//	  udp_oversize = "truncate"    # truncate | dead_letter
//	  max_message_size = "64KiB"   # tcp/tls: largest message (rsyslog maxMessageSize)
//	  oversize = "truncate"        # tcp/tls: truncate | dead_letter
//	  write_timeout   = "10s"
//	  connect_timeout = "10s"
//	  ack_hold        = "100ms"    # tcp/tls: see "Delivery" below
//	  tls  { ca_file = "/etc/forwarder/ca.pem" }
//	  kv   { pair_separator = "||"  kv_separator = "="  keys = { user = "usrName" } }
//	  cef  { vendor = "Alibaba Cloud"  product = "ActionTrail"  version = "1.0"
//	         signature_id = ""  signature_id_field = "eventName"   # meta event_id first
//	         name = ""  name_field = ""                            # meta event_name first
//	         severity = "5"  severity_field = ""
//	         keys = { user = "suser", client_ip = "src" } }
//	  leef { format_version = "2.0"  vendor = "Alibaba Cloud"  product = "ActionTrail"
//	         product_version = "1.0"  event_id = ""  event_id_field = ""   # meta event_id first
//	         delimiter = "^"  keys = { user = "usrName", client_ip = "src" } }
//	}
//
// # Message
//
// RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`. The
// timestamp has microseconds and the zone offset. Header fields keep only
// PRINTUSASCII (other characters become '_') and are cut to the RFC's
// limits (255, 48, 128, 32); empty ones are the NILVALUE "-". The SD element
// sd_id carries topic="…", source="…" and one parameter per tag (names cut
// to SD-NAME rules), with '"', '\' and ']' escaped. A meta severity or
// facility that does not parse is ignored in favour of the configured one.
//
// RFC 3164: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PROCID]: MSG`, in the
// configured zone, with no year, MSGID or structured data.
//
// Bodies (MSG), all writing the same pairs in the same order: unless
// fields_only is set, __time__ (json, kv), the topic, the source and each
// tag, then the content fields; non-string values as JSON text. json and kv
// name the envelope as SLS does (__topic__, __source__, __tag__:NAME), cef
// and leef as slsTopic, slsSource, slsTagName (__receive_time__ →
// slsTagReceiveTime). The keys map of kv, cef and leef renames pairs to a
// SIEM's standard keys. The CEF Signature ID and LEEF EventID are the meta
// "event_id", the *_field value, the constant, the topic or "sls", the first
// not empty; the CEF Name is meta "event_name", name_field, name or the
// Signature ID. leef.version is the old name of format_version and warns
// (Config.Warnings).
//   - json: event.AppendJSON without meta (the flat SLS form), or
//     event.AppendFields with fields_only. Chosen so that nothing of the
//     event is lost even with RFC 3164, which has no structured data.
//   - kv: key=value joined by pair_separator; '\', each character of the
//     separators (and TAB as \t when it is one), CR and LF (as \r, \n) are
//     escaped with '\'.
//   - cef: CEF:0 header ('|' and '\' escaped) and extension "rt=<epoch
//     ms> …" ('=' and '\' escaped, CR/LF as \r \n, keys reduced to letters,
//     digits, '_', '.', '-').
//   - leef: LEEF 1.0 (TAB) or 2.0 (any ASCII delimiter, announced in the
//     header, non-printables as xHH), devTime and devTimeFormat first. LEEF
//     has no escapes: the delimiter, TAB, CR and LF in values become spaces
//     and '|' in header fields becomes '_'.
//
// Other control characters in kv, cef and leef text become U+FFFD; output
// is always valid UTF-8.
//
// # Framing and line breaks
//
// With octet counting ("LEN SP MSG") a line break is carried as is (only SD
// values can hold a raw one; every body encoding escapes its own). With
// non_transparent framing each message ends with LF, so SD values write CR
// and LF as "#015" and "#012" (rsyslog's notation; strict parsers refuse a
// backslash before other characters than '"', '\' and ']'), and raw CR/LF
// left in verbatim JSON fields (where they can only be whitespace) become
// spaces: an event can never split a frame. In RFC 3164 json bodies a raw
// DEL becomes \u007f, since strict parsers want a printable MSG.
// A message over max_message_size (TCP, TLS) or udp_max_size (one datagram
// per message) is shortened, or rejected with "dead_letter". Shortening cuts
// the event, not the bytes (see truncate.go): the longest value is cut on a
// UTF-8 boundary, then trailing fields are dropped, so the frame and the
// body encoding stay valid; a receiver never parses the rest of a cut
// message as new messages.
//
// # Delivery
//
// UDP: sent is delivered. TCP and TLS carry no application-level
// acknowledgement, and bytes in a receiver's socket buffer are lost when it
// dies, so a batch counts as delivered only when
//
//  1. before writing, a non-blocking MSG_PEEK shows the connection was not
//     closed or reset while idle;
//  2. the batch was written in full within write_timeout;
//  3. the receiver's TCP stack acknowledged every byte written (Linux:
//     tcpi_bytes_acked reaches what was acknowledged plus the SIOCOUTQ send
//     queue right after the write);
//  4. ack_hold later the connection is still the same and a second peek
//     shows no close or reset (SIGKILL of a receiver holding unread data
//     sends a reset; a clean close sends a FIN; both show).
//
// If any step fails the connection is closed and WriteBatch returns an
// error wrapping sinks.ErrNotConnected: the engine reconnects and resends
// the whole batch. The receiver may have stored part of it, so a crash
// costs at most the batches in flight as duplicates. Nothing acknowledged is
// lost as long as the receiver reads and stores a batch within ack_hold of
// receiving it: ack_hold is the assumed processing lag of the receiver. One
// WriteBatch at a time (the default in_flight = 1) caps a connection at
// about max_bytes per ack_hold; the lock is not held during the hold, so
// with in_flight = N the holds overlap (writes stay ordered) and the cap is
// N times higher, while the receiver must then keep up within ack_hold with
// N batches. ack_hold = "0s" turns steps 3 and 4 off; a crash of the
// receiver may then lose what sat in its socket buffer.
//
// Formatting uses hand-written append encoders into pooled buffers and
// does not allocate per event.
package syslog
