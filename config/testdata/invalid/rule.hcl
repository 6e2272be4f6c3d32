rule "bad name!" {  # ERROR: 1:6 Invalid block name
}

rule "unknown_attribute" {
  filtre = "true"  # ERROR: 5:3 Unsupported argument; Did you mean "filter"?
}

rule "not_a_string" {
  filter = 42  # ERROR: 9:12 Invalid expression
}

rule "not_a_list" {
  decode_json = "event"  # ERROR: 13:18 Unsuitable value type
  delete      = [1, [2]]  # ERROR: 14:17 Unsuitable value type
}

rule "bad_set" {
  set  = ["a", "b"]  # ERROR: 18:10 Invalid expression
  meta = { index = 1 }  # ERROR: 19:20 Invalid expression
}

rule "bad_on_error" {
  on_error = "explode"  # ERROR: 23:14 Invalid on_error
}

rule "variables" {
  filter = "${topic}"  # ERROR: 27:15 Variables not allowed
}
