source "demo" "in" {
}

sink "file" "out" {
  path = "-"
}

route "main" {
  from = [source.demo.in]
  to   = [sink.file.out]
}

test "undeclared route" {
  route = route.mian  # ERROR: 14:11 Reference to undeclared route; Did you mean "route.main"?
  input = { topic = "x" }
}

test "not a route" {
  route = sink.file.out  # ERROR: 19:11 Invalid reference
  input = { topic = "x" }
}
