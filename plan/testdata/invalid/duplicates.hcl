source "demo" "in" {
}

source "demo" "in" {  # ERROR: 4:15 Duplicate source name
}

sink "file" "out" {
  path = "-"
}

sink "file" "out" {  # ERROR: 11:13 Duplicate sink name
  path = "-"
}

rule "r" {
  filter = "true"
}

rule "r" {  # ERROR: 19:6 Duplicate rule name
  filter = "false"
}

route "main" {
  from = [source.demo.in]
  to   = [sink.file.out]
}

route "main" {  # ERROR: 28:7 Duplicate route name
  from = [source.demo.in]
  to   = [sink.file.out]
}

test "t" {
  route = route.main
  input = { topic = "x" }
}

test "t" {  # ERROR: 38:1 Duplicate test name
  route = route.main
  input = { topic = "y" }
}
