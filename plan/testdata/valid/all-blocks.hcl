# Every block kind, compiled without a diagnostic: two sources (one with
# a lane per sink), three sink types with engine settings, rules, routes
# with fan-out and a dead-letter sink, and tests.

source "sls" "audit" {
  endpoint          = "https://cn-hangzhou.log.aliyuncs.com"
  project           = "audit-prod"
  logstores         = ["actiontrail_audit"]
  consumer_group    = "forwarder"
  access_key_id     = env("SLS_AK_ID")
  access_key_secret = env("SLS_AK_KEY")
}

source "demo" "generated" {
  count = 10
  seed  = 3
}

sink "splunk_hec" "soc" {
  endpoint      = "https://splunk.example:8088"
  token         = env("SPLUNK_HEC_TOKEN")
  in_flight     = 2
  buffer_events = 5000
  batch {
    max_events = 200
    max_bytes  = "512KiB"
    timeout    = "2s"
  }
  retry {
    initial_backoff = "100ms"
    max_backoff     = "10s"
  }
}

sink "syslog" "qradar" {
  address  = "qradar.example:6514"
  protocol = "tls"
  encoding = "leef"
}

sink "file" "dead_letters" {
  path = "/var/lib/forwarder/dead-letters.ndjson"
}

rule "actiontrail" {
  filter      = "topic == 'actiontrail_audit_event'"
  decode_json = ["event"]
  set         = { action = "event.eventName" }
  meta        = { sourcetype = "'alicloud:actiontrail'" }
  on_error    = "dead_letter"
}

route "audit" {
  from        = [source.sls.audit, source.demo.generated]
  rules       = [rule.actiontrail]
  to          = [sink.splunk_hec.soc, sink.syslog.qradar]
  dead_letter = sink.file.dead_letters
}

test "keeps actiontrail" {
  route  = route.audit
  input  = { __topic__ = "actiontrail_audit_event", event = "{\"eventName\":\"Login\"}" }
  expect = { action = "Login" }
}
