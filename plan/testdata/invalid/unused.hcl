source "demo" "in" {
}

source "demo" "idle" {  # WARNING: 4:1 Unused source
}

sink "file" "out" {
  path = "-"
}

sink "file" "spare" {  # WARNING: 11:1 Unused sink
  path = "-"
}

route "main" {
  from = [source.demo.in]
  to   = [sink.file.out]
}
