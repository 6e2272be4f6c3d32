# Every block kind as config reads it. Source and sink bodies stay
# undecoded here, and references are not resolved (plan does both), so an
# unknown type and an undeclared sink load without a diagnostic.

source "anything" "audit" {
  endpoint = env("SLS_ENDPOINT", "https://cn-hangzhou.log.aliyuncs.com")
  secret   = file("secret.txt")
  nested {
    x = 1
  }
}

sink "file" "out" {
  path = "-"
}

rule "decode" {
  description = "decodes ActionTrail events"
  filter      = <<EOT
topic == 'actiontrail_audit_event'
  && event.eventName != nil
EOT
  decode_json = ["event"]
  set         = { action = "event.eventName", "quoted key" = "1" }
  delete      = ["__tag__:__pack_id__"]
  meta        = { index = "'audit'" }
  on_error    = "keep"
}

route "main" {
  description = "all of it"
  from        = [source.anything.audit]
  rules       = [rule.decode]
  to          = [sink.file.out, sink.file.undeclared]
  dead_letter = sink.file.out
}

test "decodes" {
  description        = "a test"
  route              = route.main
  input              = { __topic__ = "actiontrail_audit_event" }
  expect             = { action = "x" }
  expect_meta        = { index = "audit" }
  expect_dropped     = false
  expect_dead_letter = false
}
