source "demo" "audit" {
  count  = 10
  colour = "blue"
}

sinc "file" "x" {
  path = "-"
}

sink "file" "out" {
  path = "-"
  batch {
    timeout = "10 parsecs"
  }
}

sink "file" "out" {
  path = "/tmp/x"
}

sink "file" "nopath" {
}

rule "decode" {
  filter = <<EOT
topic == 'actiontrail_audit_event'
  && event.eventName != nil
  && (event.userIdentity.type ==
EOT
}

rule "notbool" {
  filter = "topic + 'x'"
}

route "main" {
  from  = [source.demo.audit]
  rules = [rule.decode, rule.notbool]
  to    = [sink.file.outt]
}
