source "dmeo" "typo" {  # ERROR: 1:8 Unsupported source type; Did you mean "demo"?
}

source "demo" "negative" {
  count      = -1  # ERROR: 5:16 Invalid count
  batch_size = 0  # ERROR: 6:16 Invalid batch_size
}

source "demo" "unknown_attribute" {
  colour = "blue"  # ERROR: 10:3 Unsupported argument
}

source "sls" "incomplete" {  # ERROR: 13:27 Missing required argument; argument "consumer_group"
  project = "p"  # ERROR: 13:27 Missing required argument; argument "endpoint"
}

sink "file" "out" {
  path = "-"
}

route "r" {
  from = [source.dmeo.typo, source.demo.negative, source.sls.incomplete, source.demo.unknown_attribute]
  to   = [sink.file.out]
}
