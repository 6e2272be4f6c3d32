source "demo" "in" {
}

sink "fiel" "typo" {  # ERROR: 4:6 Unsupported sink type; Did you mean "file"?
}

sink "file" "settings" {
  path          = "-"
  in_flight     = 0  # ERROR: 9:19 Invalid in_flight
  buffer_events = 0  # ERROR: 10:19 Invalid buffer_events
  batch {
    max_events = 0  # ERROR: 12:18 Invalid max_events
    max_bytes  = "lots"  # ERROR: 13:18 Invalid size
    timeout    = "soon"  # ERROR: 14:18 Invalid duration
  }
  retry {
    initial_backoff = "-"  # ERROR: 17:23 Invalid duration
    max_backoff     = 30  # ERROR: 18:23 Invalid duration
  }
  flavour = "x"  # ERROR: 20:3 Unsupported argument
}

sink "splunk_hec" "hec" {
  endpoint = "ftp://splunk.example"  # ERROR: 24:14 Invalid endpoint
  token    = "t"
}

sink "splunk_hec" "no_token" {  # ERROR: 28:30 Missing required argument
  endpoint = "https://splunk.example"
}

sink "syslog" "sys" {
  address  = "host:514"
  protocol = "carrier-pigeon"  # ERROR: 34:14 Invalid protocol
}

route "r" {
  from = [source.demo.in]
  to   = [sink.fiel.typo, sink.file.settings, sink.splunk_hec.hec, sink.syslog.sys, sink.splunk_hec.no_token]
}
