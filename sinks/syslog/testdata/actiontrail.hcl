# A ready ActionTrail mapping for QRadar (LEEF) and ArcSight (CEF).
#
# The rule flattens the ActionTrail event into named fields and names each
# event by its eventName (meta event_id: the LEEF EventID, so QRadar can map
# each API call to its own QID, and the CEF Signature ID); the keys maps
# write those fields under the SIEMs' standard keys. Copy the rule and the
# blocks you need; the tests of the syslog sink parse this very output with
# an independent CEF parser (nsyslog-parser) and a strict LEEF parser.

source "demo" "audit" {
  count = 100
}

rule "actiontrail_siem" {
  filter      = "topic == 'actiontrail_audit_event'"
  decode_json = ["event"]
  set = {
    user       = "event.userIdentity.userName"
    user_type  = "event.userIdentity.type"
    account_id = "event.userIdentity.accountId"
    # SIEMs want an address in src; ActionTrail writes "Internal" for calls
    # made by cloud services, which stays in client (unmapped).
    client     = "event.sourceIpAddress"
    client_ip  = "cidr(event.sourceIpAddress ?? '', '0.0.0.0/0') || cidr(event.sourceIpAddress ?? '', '::/0') ? event.sourceIpAddress : nil"
    user_agent = "event.userAgent"
    service    = "event.eventSource"
    action     = "event.eventName"
    category   = "event.eventCategory"
    region     = "event.acsRegion"
    request_id = "event.requestId"
    error_code = "event.errorCode"
    outcome    = "event.errorCode == nil ? 'success' : 'failure'"
  }
  # The raw event stays in the body of json sinks; SIEM keys carry the rest.
  delete = ["event", "__tag__:__pack_id__"]
  meta = {
    event_id   = "event.eventName"
    event_name = "event.eventName + ' by ' + (event.userIdentity.userName ?? 'unknown')"
    severity   = "event.errorCode != nil ? 'warning' : 'info'"
  }
}

sink "syslog" "qradar" {
  address  = "qradar.example.com:514"
  protocol = "tcp"
  encoding = "leef"
  leef {
    format_version  = "2.0"
    vendor          = "Alibaba Cloud"
    product         = "ActionTrail"
    product_version = "1.0"
    delimiter       = "^"
    keys = {
      user       = "usrName"
      client_ip  = "src"
      category   = "cat"
      account_id = "accountName"
      user_type  = "role"
      service    = "resource"
    }
  }
}

sink "syslog" "arcsight" {
  address  = "arcsight.example.com:514"
  protocol = "tcp"
  encoding = "cef"
  cef {
    vendor  = "Alibaba Cloud"
    product = "ActionTrail"
    version = "1.0"
    keys = {
      user       = "suser"
      client_ip  = "src"
      action     = "act"
      category   = "cat"
      user_agent = "requestClientApplication"
      service    = "destinationServiceName"
      request_id = "externalId"
      error_code = "reason"
    }
  }
}

route "siem" {
  from  = [source.demo.audit]
  rules = [rule.actiontrail_siem]
  to    = [sink.syslog.qradar, sink.syslog.arcsight]
}

test "actiontrail fields and event id" {
  route = route.siem
  input = {
    __topic__ = "actiontrail_audit_event"
    event     = "{\"eventName\":\"CreateAccessKey\",\"eventSource\":\"ram.aliyuncs.com\",\"eventCategory\":\"Management\",\"sourceIpAddress\":\"203.0.113.7\",\"userIdentity\":{\"type\":\"ram-user\",\"userName\":\"alice\",\"accountId\":\"1234567890123456\"}}"
  }
  expect      = { user = "alice", client_ip = "203.0.113.7", action = "CreateAccessKey", category = "Management", outcome = "success" }
  expect_meta = { event_id = "CreateAccessKey", event_name = "CreateAccessKey by alice", severity = "info" }
}

test "internal caller has no src" {
  route = route.siem
  input = {
    __topic__ = "actiontrail_audit_event"
    event     = "{\"eventName\":\"DescribeInstances\",\"sourceIpAddress\":\"Internal\",\"userIdentity\":{\"userName\":\"ecs\"}}"
  }
  expect = { client = "Internal", client_ip = null }
}

test "failed call" {
  route = route.siem
  input = {
    __topic__ = "actiontrail_audit_event"
    event     = "{\"eventName\":\"DeleteBucket\",\"errorCode\":\"NoPermission\",\"userIdentity\":{\"userName\":\"bob\"}}"
  }
  expect      = { outcome = "failure", error_code = "NoPermission" }
  expect_meta = { event_id = "DeleteBucket", severity = "warning" }
}
