route "audit_to_splunk" {
  from        = [source.sls.audit]
  rules       = [rule.actiontrail]
  to          = [sink.splunk_hec.soc]
  dead_letter = sink.file.dead_letters
}

route "alerts_to_qradar" {
  from        = [source.sls.audit]
  rules       = [rule.actiontrail, rule.high_value]
  to          = [sink.syslog.qradar]
  dead_letter = sink.file.dead_letters
}

route "waf_to_splunk" {
  from  = [source.sls.audit]
  rules = [rule.waf_blocks]
  to    = [sink.splunk_hec.soc]
}

test "failed call is an alert" {
  route = route.alerts_to_qradar
  input = {
    __topic__ = "actiontrail_audit_event"
    event     = "{\"eventName\":\"DeleteBucket\",\"eventType\":\"ApiCall\",\"errorCode\":\"NoPermission\",\"userIdentity\":{\"userName\":\"bob\"}}"
  }
  expect      = { action = "DeleteBucket", user = "bob", error_code = "NoPermission" }
  expect_meta = { severity = "warning", msgid = "DeleteBucket", sourcetype = "alicloud:actiontrail" }
}

test "routine read is not an alert" {
  route          = route.alerts_to_qradar
  input          = { __topic__ = "actiontrail_audit_event", event = "{\"eventName\":\"DescribeInstances\",\"eventType\":\"ApiCall\"}" }
  expect_dropped = true
}

test "corrupt event is dead-lettered" {
  route              = route.audit_to_splunk
  input              = { __topic__ = "actiontrail_audit_event", event = "{not json" }
  expect_dead_letter = true
}

test "waf pass is dropped" {
  route          = route.waf_to_splunk
  input          = { __topic__ = "waf_access_log", final_action = "pass" }
  expect_dropped = true
}
