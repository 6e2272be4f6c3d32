source "demo" "in" {
}

sink "file" "out" {  # WARNING: 4:1 Unused sink
  path = "-"
}

rule "keep" {
  filter = "true"
}

route "undeclared" {
  from        = [source.demo.inn]  # ERROR: 13:18 Reference to undeclared source; Did you mean "source.demo.in"?
  rules       = [rule.kepe]  # ERROR: 14:18 Reference to undeclared rule; Did you mean "rule.keep"?
  to          = [sink.file.outt]  # ERROR: 15:18 Reference to undeclared sink; Did you mean "sink.file.out"?
  dead_letter = sink.file.dead  # ERROR: 16:17 Reference to undeclared sink; Did you mean "sink.file.out"?
}

route "wrong_kind" {
  from  = [sink.file.out]  # ERROR: 20:12 Invalid reference
  rules = [rule.keep]
  to    = [rule.keep]  # ERROR: 22:12 Invalid reference
}

route "empty" {
  from = [source.demo.in]
  to   = []  # ERROR: 27:10 Empty route
}
