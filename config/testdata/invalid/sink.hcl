sink "file" "dot.ted" {  # ERROR: 1:13 Invalid block name
  path = "-"
}

sink "file" "" {  # ERROR: 5:13 Invalid block name
}

sink "file" "ok" "extra" {  # ERROR: 8:18 Extraneous label for sink
}
