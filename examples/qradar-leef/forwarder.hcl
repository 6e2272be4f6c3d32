# ActionTrail audit events from SLS to IBM QRadar as LEEF 2.0 over TLS
# syslog. Secrets come from the environment (see README.md):
#   SLS_AK_ID, SLS_AK_KEY   RAM keys for the SLS project
# QRADAR_ADDRESS (host:port) and the SLS_* variables override the defaults.

source "sls" "actiontrail" {
  endpoint          = env("SLS_ENDPOINT", "https://cn-hangzhou.log.aliyuncs.com")
  project           = env("SLS_PROJECT", "audit-prod")
  logstore          = env("SLS_LOGSTORE", "actiontrail_audit")
  consumer_group    = "forwarder-qradar"
  access_key_id     = env("SLS_AK_ID")
  access_key_secret = env("SLS_AK_KEY")
  query             = "* | where __topic__ = 'actiontrail_audit_event'"
}

# Maps ActionTrail onto LEEF's predefined keys (usrName, src, cat, sev,
# identSrc) so QRadar's Universal LEEF DSM fills its own columns; the rest
# are custom keys. The event name becomes the LEEF EventID (event_id_field
# below), so QRadar can map each API call to its own QID.
rule "actiontrail_leef" {
  filter      = "topic == 'actiontrail_audit_event'"
  decode_json = ["event"]
  set = {
    eventName   = "event.eventName"
    usrName     = "event.userIdentity.userName"
    src         = "event.sourceIpAddress"
    identSrc    = "event.sourceIpAddress"
    cat         = "event.eventType"
    sev         = "event.errorCode != nil ? '7' : '3'"
    accountId   = "event.userIdentity.accountId"
    accessKeyId = "event.userIdentity.accessKeyId"
    service     = "event.serviceName"
    region      = "event.acsRegion"
    errorCode   = "event.errorCode"
    userAgent   = "event.userAgent"
    requestId   = "event.requestId"
  }
  # The whole JSON stays in SLS; QRadar gets the mapped keys only.
  delete = ["event", "owner_id"]
  meta = {
    severity = "event.errorCode != nil ? 'warning' : 'info'"
    app_name = "'actiontrail'"
  }
}

sink "syslog" "qradar" {
  address     = env("QRADAR_ADDRESS", "qradar.corp.example:6514")
  protocol    = "tls"
  format      = "rfc5424"
  framing     = "non_transparent" # QRadar's TCP and TLS syslog listeners split events at LF
  encoding    = "leef"
  facility    = "local4"
  hostname    = "alicloud-actiontrail" # QRadar's Log Source Identifier
  fields_only = true                   # only the mapped keys, no __topic__/__tag__ keys
  leef {
    vendor          = "Alibaba Cloud"
    product         = "ActionTrail"
    product_version = "1.0"
    event_id        = "ActionTrailEvent"
    event_id_field  = "eventName"
    delimiter       = "^"
  }
  tls {
    ca_file = "/etc/forwarder/qradar-ca.pem"
  }
}

sink "file" "dead_letters" {
  path = "/var/lib/forwarder/dead-letters.ndjson"
}

route "actiontrail_to_qradar" {
  from        = [source.sls.actiontrail]
  rules       = [rule.actiontrail_leef]
  to          = [sink.syslog.qradar]
  dead_letter = sink.file.dead_letters
}

test "a failed call maps to LEEF keys with a high sev" {
  route = route.actiontrail_to_qradar
  input = {
    __topic__ = "actiontrail_audit_event"
    event     = "{\"eventName\":\"DeleteBucket\",\"eventType\":\"ApiCall\",\"sourceIpAddress\":\"198.51.100.7\",\"errorCode\":\"AccessDenied\",\"userIdentity\":{\"userName\":\"bob\",\"accountId\":\"1234567890123456\"}}"
  }
  expect      = { eventName = "DeleteBucket", usrName = "bob", src = "198.51.100.7", cat = "ApiCall", sev = "7", errorCode = "AccessDenied", accountId = "1234567890123456" }
  expect_meta = { severity = "warning", app_name = "actiontrail" }
}

test "a successful sign-in has a low sev" {
  route       = route.actiontrail_to_qradar
  input       = { __topic__ = "actiontrail_audit_event", event = "{\"eventName\":\"ConsoleSignin\",\"eventType\":\"ConsoleSignin\",\"userIdentity\":{\"userName\":\"alice\"}}" }
  expect      = { eventName = "ConsoleSignin", usrName = "alice", sev = "3" }
  expect_meta = { severity = "info" }
}

test "other topics are not sent" {
  route          = route.actiontrail_to_qradar
  input          = { __topic__ = "waf_access_log", final_action = "block" }
  expect_dropped = true
}
