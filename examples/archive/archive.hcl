# Archive: the same ActionTrail route feeds a cheap long-term archive in OSS,
# as zstd NDJSON (everything, replayable) and as Parquet (typed columns for
# query engines such as MaxCompute, Athena, Trino or DuckDB).
#
# Events are acknowledged to SLS only once the object holding them is stored,
# so a crash replays them. Objects fill from many pulls at once: raise the
# source's in_flight so that an object can grow before flush_idle rolls it.

source "sls" "actiontrail" {
  endpoint          = "https://cn-hangzhou.log.aliyuncs.com"
  project           = "audit-prod"
  logstore          = "actiontrail_audit"
  consumer_group    = "archive"
  access_key_id     = env("SLS_AK_ID")
  access_key_secret = env("SLS_AK_KEY")
  in_flight         = 32
}

rule "actiontrail" {
  filter      = "topic == 'actiontrail_audit_event'"
  decode_json = ["event"]
  set = {
    user       = "event.userIdentity.userName"
    action     = "event.eventName"
    service    = "event.serviceName"
    source_ip  = "event.sourceIpAddress"
    error_code = "event.errorCode"
  }
}

# Everything, as NDJSON, one object per hour and partition, Hive-style keys.
sink "object_store" "raw" {
  endpoint          = "https://s3.oss-cn-hangzhou.aliyuncs.com" # OSS's S3-compatible endpoint, virtual-hosted
  region            = "cn-hangzhou"
  bucket            = "audit-archive"
  access_key_id     = env("OSS_AK_ID")
  access_key_secret = env("OSS_AK_KEY")
  security_token    = env("OSS_STS_TOKEN", "") # set when the keys are STS temporary keys
  prefix            = "actiontrail/raw/"
  partition         = "dt=%Y-%m-%d/hour=%H"
  time_zone         = "Asia/Shanghai"
  format            = "json"
  compression       = "zstd"
  max_object_size   = "128MiB"
  max_object_age    = "10m"
  in_flight         = 64
}

# Typed columns for SQL engines.
sink "object_store" "table" {
  endpoint          = "https://s3.oss-cn-hangzhou.aliyuncs.com"
  region            = "cn-hangzhou"
  bucket            = "audit-archive"
  access_key_id     = env("OSS_AK_ID")
  access_key_secret = env("OSS_AK_KEY")
  prefix            = "actiontrail/table/"
  partition         = "year=%Y/month=%m/day=%d"
  format            = "parquet"
  compression       = "zstd"

  parquet {
    column "__time__" { type = "int64" }
    column "__source__" { type = "string" }
    column "user" { type = "string" }
    column "action" { type = "string" }
    column "service" { type = "string" }
    column "source_ip" { type = "string" }
    column "error_code" { type = "string" }
  }
}

route "archive" {
  from  = [source.sls.actiontrail]
  rules = [rule.actiontrail]
  to    = [sink.object_store.raw, sink.object_store.table]
}

test "columns come from the event" {
  route  = route.archive
  input  = { __topic__ = "actiontrail_audit_event", event = "{\"eventName\":\"DeleteBucket\",\"serviceName\":\"Oss\",\"userIdentity\":{\"userName\":\"alice\"}}" }
  expect = { action = "DeleteBucket", service = "Oss", user = "alice" }
}
