# ActionTrail audit events from SLS to ArcSight (a SmartConnector) as CEF
# over TCP syslog. Secrets come from the environment (see README.md):
#   SLS_AK_ID, SLS_AK_KEY   RAM keys for the SLS project
# ARCSIGHT_ADDRESS (host:port) and the SLS_* variables override the defaults.

source "sls" "actiontrail" {
  endpoint          = env("SLS_ENDPOINT", "https://cn-hangzhou.log.aliyuncs.com")
  project           = env("SLS_PROJECT", "audit-prod")
  logstore          = env("SLS_LOGSTORE", "actiontrail_audit")
  consumer_group    = "forwarder-arcsight"
  access_key_id     = env("SLS_AK_ID")
  access_key_secret = env("SLS_AK_KEY")
  query             = "* | where __topic__ = 'actiontrail_audit_event'"
}

# Maps ActionTrail onto the CEF dictionary (suser, src, act, outcome, cat,
# requestClientApplication, cs1..cs3 with their labels) so the connector
# fills ArcSight's own fields. The event name is the CEF Signature ID and
# Name (signature_id_field, name_field below).
rule "actiontrail_cef" {
  filter      = "topic == 'actiontrail_audit_event'"
  decode_json = ["event"]
  set = {
    eventName                = "event.eventName"
    cefSeverity              = "event.errorCode != nil ? '7' : '3'"
    suser                    = "event.userIdentity.userName"
    src                      = "event.sourceIpAddress"
    act                      = "event.eventName"
    cat                      = "event.eventType"
    outcome                  = "event.errorCode != nil ? 'failure' : 'success'"
    requestClientApplication = "event.userAgent"
    cs1Label                 = "'accountId'"
    cs1                      = "event.userIdentity.accountId"
    cs2Label                 = "'region'"
    cs2                      = "event.acsRegion"
    cs3Label                 = "event.errorCode != nil ? 'errorCode' : nil"
    cs3                      = "event.errorCode"
  }
  # The whole JSON stays in SLS; ArcSight gets the mapped keys only.
  delete = ["event", "owner_id"]
  meta = {
    severity = "event.errorCode != nil ? 'warning' : 'info'"
    app_name = "'actiontrail'"
  }
}

sink "syslog" "arcsight" {
  address     = env("ARCSIGHT_ADDRESS", "arcsight-connector.corp.example:514")
  protocol    = "tcp"
  format      = "rfc3164"         # SmartConnector syslog daemons read the BSD header
  framing     = "non_transparent" # one event per line
  encoding    = "cef"
  facility    = "local4"
  hostname    = "alicloud-actiontrail"
  fields_only = true
  cef {
    vendor             = "Alibaba Cloud"
    product            = "ActionTrail"
    version            = "1.0"
    signature_id       = "ActionTrailEvent"
    signature_id_field = "eventName"
    name               = "ActionTrail event"
    name_field         = "eventName"
    severity           = "3"
    severity_field     = "cefSeverity"
  }
}

sink "file" "dead_letters" {
  path = "/var/lib/forwarder/dead-letters.ndjson"
}

route "actiontrail_to_arcsight" {
  from        = [source.sls.actiontrail]
  rules       = [rule.actiontrail_cef]
  to          = [sink.syslog.arcsight]
  dead_letter = sink.file.dead_letters
}

test "a failed call maps to CEF keys" {
  route = route.actiontrail_to_arcsight
  input = {
    __topic__ = "actiontrail_audit_event"
    event     = "{\"eventName\":\"CreateAccessKey\",\"eventType\":\"ApiCall\",\"acsRegion\":\"cn-shanghai\",\"sourceIpAddress\":\"203.0.113.9\",\"errorCode\":\"NoPermission\",\"userIdentity\":{\"userName\":\"mallory\",\"accountId\":\"1234567890123456\"}}"
  }
  expect = { act = "CreateAccessKey", suser = "mallory", src = "203.0.113.9", outcome = "failure", cefSeverity = "7", cs1 = "1234567890123456", cs2 = "cn-shanghai", cs3 = "NoPermission" }
}

test "a successful call is low severity" {
  route  = route.actiontrail_to_arcsight
  input  = { __topic__ = "actiontrail_audit_event", event = "{\"eventName\":\"DescribeInstances\",\"eventType\":\"ApiCall\",\"userIdentity\":{\"userName\":\"alice\"}}" }
  expect = { act = "DescribeInstances", outcome = "success", cefSeverity = "3" }
}

test "other topics are not sent" {
  route          = route.actiontrail_to_arcsight
  input          = { __topic__ = "oss_access_log", operation = "GetObject" }
  expect_dropped = true
}
