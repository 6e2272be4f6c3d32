source "demo" "in" {
}

sink "file" "out" {
  path = "-"
}

rule "notbool" {
  filter = "topic + 'x'"  # ERROR: 9:13 Filter is not bool
}

rule "syntax" {
  filter = "topic == 'a' &&"  # ERROR: 13:28 Invalid filter expression
}

rule "unknown_function" {
  set = { x = "nosuchfunc(topic)" }  # ERROR: 17:16 Invalid expression
}

route "r" {
  from  = [source.demo.in]
  rules = [rule.notbool, rule.syntax, rule.unknown_function]
  to    = [sink.file.out]
}
