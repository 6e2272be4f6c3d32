sink "splunk_hec" "soc" {
  endpoint    = env("SPLUNK_HEC_URL", "https://splunk.corp.example:8088")
  token       = env("SPLUNK_HEC_TOKEN")
  index       = "alicloud_audit" # rules may override it per event (meta.index)
  sourcetype  = "alicloud:sls"
  indexer_ack = true # a batch counts as delivered only once Splunk indexed it
  tls {
    ca_file = "/etc/forwarder/corp-ca.pem"
  }
}

sink "syslog" "qradar" {
  address  = env("QRADAR_ADDRESS", "qradar.corp.example:6514")
  protocol = "tls"
  framing  = "non_transparent"
  encoding = "leef"
  facility = "local4"
  hostname = "alicloud-actiontrail"
  leef {
    product        = "ActionTrail"
    event_id_field = "action"
  }
  tls {
    ca_file = "/etc/forwarder/corp-ca.pem"
  }
}

sink "file" "dead_letters" {
  path = "/var/lib/forwarder/dead-letters.ndjson"
}
