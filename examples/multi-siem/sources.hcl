# A realistic layout: one directory, one file per concern. forwarder loads
# every *.hcl file in the directory, sorted, as one configuration.
#
# One SLS source feeds three routes: every ActionTrail event and WAF block to
# Splunk, the high-value ActionTrail events to QRadar as LEEF.
# Secrets come from the environment: SLS_AK_ID, SLS_AK_KEY, SPLUNK_HEC_TOKEN.

source "sls" "audit" {
  endpoint          = env("SLS_ENDPOINT", "https://cn-hangzhou.log.aliyuncs.com")
  project           = env("SLS_PROJECT", "audit-prod")
  logstores         = ["actiontrail_audit", "waf_access"]
  consumer_group    = "forwarder-multi-siem"
  access_key_id     = env("SLS_AK_ID")
  access_key_secret = env("SLS_AK_KEY")
}
