source "demo" "audit" {
  count  = 10
  colour = "blue"  # ERROR: 3:3 Unsupported argument
}

sinc "file" "x" {  # ERROR: 6:1 Unsupported block type; Did you mean "sink"?
  path = "-"
}

sink "file" "out" {  # WARNING: 10:1 Unused sink
  path = "-"
  batch {
    timeout = "10 parsecs"  # ERROR: 13:15 Invalid duration
  }
}

sink "file" "out" {  # ERROR: 17:13 Duplicate sink name
  path = "/tmp/x"  # WARNING: 17:1 Unused sink
}

sink "file" "nopath" {  # ERROR: 21:22 Missing required argument
}  # WARNING: 21:1 Unused sink

rule "decode" {
  filter = <<EOT
topic == 'actiontrail_audit_event'
  && event.eventName != nil
  && (event.userIdentity.type ==
EOT
}  # ERROR: 28:33 Invalid filter expression

rule "notbool" {
  filter = "topic + 'x'"  # ERROR: 33:13 Filter is not bool
}

route "main" {
  from  = [source.demo.audit]
  rules = [rule.decode, rule.notbool]
  to    = [sink.file.outt]  # ERROR: 39:12 Reference to undeclared sink; Did you mean "sink.file.out"?
}
