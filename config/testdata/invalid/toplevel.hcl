colour = "blue"  # ERROR: 1:1 Unsupported argument

sinc "file" "x" {  # ERROR: 3:1 Unsupported block type; Did you mean "sink"?
}

module "m" {  # ERROR: 6:1 Unsupported block type
}

sink "file" {  # ERROR: 9:13 Missing name for sink
}

rule {  # ERROR: 12:6 Missing name for rule
}
