rule "actiontrail" {
  filter      = "topic == 'actiontrail_audit_event'"
  decode_json = ["event"]
  set = {
    user       = "event.userIdentity.userName"
    action     = "event.eventName"
    service    = "event.eventSource"
    client_ip  = "event.sourceIpAddress"
    error_code = "event.errorCode"
  }
  delete = ["__tag__:__pack_id__", "owner_id"]
  meta = {
    sourcetype = "'alicloud:actiontrail'"
    index      = "'alicloud_audit'"
  }
}

# Only what a SOC wants paged on: failed calls, key creation, policy changes
# and sign-ins from outside the corporate range.
rule "high_value" {
  filter = <<EOT
event.errorCode != nil
  || event.eventName in ['CreateAccessKey', 'AttachPolicyToUser', 'AuthorizeSecurityGroup', 'PutBucketAcl']
  || (event.eventType == 'ConsoleSignin' && !cidr(event.sourceIpAddress, '203.0.113.0/24'))
EOT
  meta = {
    severity = "event.errorCode != nil ? 'warning' : 'notice'"
    app_name = "'actiontrail'"
    msgid    = "event.eventName"
  }
}

rule "waf_blocks" {
  filter = "topic == 'waf_access_log' && final_action != 'pass'"
  meta   = { sourcetype = "'alicloud:waf'" }
}
