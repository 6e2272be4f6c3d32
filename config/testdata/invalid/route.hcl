route "missing_everything" {  # ERROR: 1:28 Missing required argument; argument "from"
}  # ERROR: 1:28 Missing required argument; argument "to"

route "not_traversals" {
  from        = ["source.demo.in"]  # ERROR: 5:18 Invalid expression
  to          = sink.file.out  # ERROR: 6:17 Invalid expression
  dead_letter = "sink.file.dead"  # ERROR: 7:17 Invalid expression
}

route "unknown_attribute" {
  from    = [source.demo.in]
  to      = [sink.file.out]
  through = [rule.r]  # ERROR: 13:3 Unsupported argument
}

route "bad-name." {  # ERROR: 16:7 Invalid block name
  from = [source.demo.in]
  to   = [sink.file.out]
}
