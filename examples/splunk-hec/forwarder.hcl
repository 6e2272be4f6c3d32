# ActionTrail audit events from SLS to Splunk through the HTTP Event
# Collector. Secrets come from the environment (see README.md):
#   SLS_AK_ID, SLS_AK_KEY   RAM user or role keys with log:GetCursorOrData and consumer-group rights
#   SPLUNK_HEC_TOKEN        the HEC token (a GUID)
# SLS_ENDPOINT, SLS_PROJECT and SPLUNK_HEC_URL override the defaults below.

source "sls" "actiontrail" {
  endpoint          = env("SLS_ENDPOINT", "https://cn-hangzhou.log.aliyuncs.com")
  project           = env("SLS_PROJECT", "audit-prod")
  logstore          = env("SLS_LOGSTORE", "actiontrail_audit")
  consumer_group    = "forwarder-splunk"
  access_key_id     = env("SLS_AK_ID")
  access_key_secret = env("SLS_AK_KEY")
  start             = "begin"
}

rule "actiontrail" {
  filter      = "topic == 'actiontrail_audit_event'"
  decode_json = ["event"]
  set = {
    user       = "event.userIdentity.userName"
    action     = "event.eventName"
    service    = "event.serviceName"
    client_ip  = "event.sourceIpAddress"
    error_code = "event.errorCode"
  }
  delete = ["__tag__:__pack_id__"]
  meta = {
    sourcetype = "'alicloud:actiontrail'"
    source     = "'sls:' + topic"
    host       = "event.acsRegion ?? 'alicloud'"
  }
}

sink "splunk_hec" "soc" {
  endpoint    = env("SPLUNK_HEC_URL", "https://splunk.corp.example:8088")
  token       = env("SPLUNK_HEC_TOKEN")
  index       = "alicloud_audit"
  sourcetype  = "alicloud:sls"
  compression = "gzip"
  fields      = ["__topic__", "action", "user"]
  batch {
    max_events = 500
    max_bytes  = "1MiB"
    timeout    = "1s"
  }
  retry {
    initial_backoff = "200ms"
    max_backoff     = "30s"
  }
}

sink "file" "dead_letters" {
  path = "/var/lib/forwarder/dead-letters.ndjson"
}

route "actiontrail_to_splunk" {
  from        = [source.sls.actiontrail]
  rules       = [rule.actiontrail]
  to          = [sink.splunk_hec.soc]
  dead_letter = sink.file.dead_letters
}

test "console sign-in reaches splunk with its metadata" {
  route = route.actiontrail_to_splunk
  input = {
    __topic__ = "actiontrail_audit_event"
    event     = "{\"eventName\":\"ConsoleSignin\",\"serviceName\":\"Ims\",\"acsRegion\":\"cn-hangzhou\",\"sourceIpAddress\":\"198.51.100.7\",\"userIdentity\":{\"userName\":\"alice\"}}"
  }
  expect      = { user = "alice", action = "ConsoleSignin", service = "Ims", client_ip = "198.51.100.7" }
  expect_meta = { sourcetype = "alicloud:actiontrail", source = "sls:actiontrail_audit_event", host = "cn-hangzhou" }
}

test "a failed call keeps its error code" {
  route  = route.actiontrail_to_splunk
  input  = { __topic__ = "actiontrail_audit_event", event = "{\"eventName\":\"DeleteBucket\",\"errorCode\":\"AccessDenied\",\"userIdentity\":{\"userName\":\"bob\"}}" }
  expect = { action = "DeleteBucket", error_code = "AccessDenied" }
}

test "other topics are not sent" {
  route          = route.actiontrail_to_splunk
  input          = { __topic__ = "oss_access_log", bucket = "prod-data" }
  expect_dropped = true
}

test "an event that is not JSON is dead-lettered" {
  route              = route.actiontrail_to_splunk
  input              = { __topic__ = "actiontrail_audit_event", event = "{truncated" }
  expect_dead_letter = true
}
