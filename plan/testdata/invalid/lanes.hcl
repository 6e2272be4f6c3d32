# Per-sink lanes: sinks file.x and file.X read through the same consumer
# group (lane names are lower case). A shared lane that fans out is a
# warning.

source "sls" "per_sink" {  # ERROR: 5:1 Lane names collide
  endpoint          = "https://cn-hangzhou.log.aliyuncs.com"
  project           = "p"
  logstores         = ["l"]
  consumer_group    = "g"
  access_key_id     = "id"
  access_key_secret = env("SLS_AK_KEY")
}

source "sls" "shared" {  # WARNING: 14:1 Shared lane fans out
  endpoint          = "https://cn-hangzhou.log.aliyuncs.com"
  project           = "p"
  logstores         = ["l2"]
  consumer_group    = "g2"
  access_key_id     = "id"
  access_key_secret = env("SLS_AK_KEY")
  lanes             = "shared"
}

sink "file" "x" {
  path = "-"
}

sink "file" "X" {
  path = "/tmp/x"
}

route "both" {
  from = [source.sls.per_sink, source.sls.shared]
  to   = [sink.file.x, sink.file.X]
}
