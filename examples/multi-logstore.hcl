# One SLS source reading two logstores into Splunk HEC. Rules see where each
# event was read (project, logstore, shard, source_name): here they route by
# logstore and set the HEC index from it. Nothing of the origin is sent
# unless a rule copies it, as sls_logstore below does.
#
#   SLS_ENDPOINT=https://cn-hangzhou.log.aliyuncs.com SLS_AK_ID=… SLS_AK_KEY=… \
#   HEC_ENDPOINT=https://splunk.example.com:8088 HEC_TOKEN=… \
#   forwarder run examples/multi-logstore.hcl

source "sls" "audit" {
  endpoint          = env("SLS_ENDPOINT", "http://127.0.0.1:9599")
  project           = "audit-prod"
  logstores         = ["actiontrail", "oss_access"]
  consumer_group    = "siem-forwarder"
  access_key_id     = env("SLS_AK_ID")
  access_key_secret = env("SLS_AK_KEY")
}

# The HEC index and sourcetype follow the logstore; the logstore itself
# becomes an indexed field.
rule "by_logstore" {
  set = { sls_logstore = "logstore" }
  meta = {
    index      = "{actiontrail: 'alicloud_audit', oss_access: 'alicloud_oss'}[logstore] ?? 'main'"
    sourcetype = "'alicloud:' + logstore"
  }
}

rule "actiontrail" {
  filter      = "logstore == 'actiontrail'"
  decode_json = ["event"]
  set = {
    user   = "event.userIdentity.userName"
    action = "event.eventName"
  }
}

rule "oss_access" {
  filter = "logstore == 'oss_access'"
}

sink "splunk_hec" "splunk" {
  endpoint = env("HEC_ENDPOINT", "https://splunk.example.com:8088")
  token    = env("HEC_TOKEN")
  fields   = ["sls_logstore"]
}

route "actiontrail" {
  from  = [source.sls.audit]
  rules = [rule.actiontrail, rule.by_logstore]
  to    = [sink.splunk_hec.splunk]
}

route "oss_access" {
  from  = [source.sls.audit]
  rules = [rule.oss_access, rule.by_logstore]
  to    = [sink.splunk_hec.splunk]
}
