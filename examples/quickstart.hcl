# Quickstart: built-in demo audit events → one rule → standard output.
# Run it with:  go run ./cmd/forwarder run examples/quickstart.hcl

source "demo" "audit" {
  count = 20 # stop after 20 events (0 = run forever)
  rate  = 100
  seed  = 7
}

rule "actiontrail" {
  filter      = "topic == 'actiontrail_audit_event'"
  decode_json = ["event"]
  set = {
    user   = "event.userIdentity.userName"
    action = "event.eventName"
    failed = "event.errorCode != nil"
  }
  delete = ["__tag__:__pack_id__"]
  meta   = { sourcetype = "'alicloud:actiontrail'" }
}

sink "file" "stdout" {
  path = "-"
}

route "audit_to_stdout" {
  from  = [source.demo.audit]
  rules = [rule.actiontrail]
  to    = [sink.file.stdout]
}

test "decodes actiontrail" {
  route = route.audit_to_stdout
  input = {
    __topic__ = "actiontrail_audit_event"
    event     = "{\"eventName\":\"CreateUser\",\"userIdentity\":{\"userName\":\"alice\"}}"
  }
  expect      = { action = "CreateUser", user = "alice", failed = false }
  expect_meta = { sourcetype = "alicloud:actiontrail" }
}

test "drops other topics" {
  route          = route.audit_to_stdout
  input          = { __topic__ = "waf_access_log", host = "shop.example.com" }
  expect_dropped = true
}
