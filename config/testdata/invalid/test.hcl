test "missing_everything" {  # ERROR: 1:27 Missing required argument; argument "route"
}  # ERROR: 1:27 Missing required argument; argument "input"

test "not_objects" {
  route       = "route.main"  # ERROR: 5:17 Invalid expression
  input       = "topic = x"  # ERROR: 6:17 Invalid input
  expect      = ["a"]  # ERROR: 7:17 Invalid expect
  expect_meta = 1  # ERROR: 8:17 Invalid expect_meta
}

test "not_bools" {
  route              = route.main
  input              = { topic = "x" }
  expect_dropped     = "maybe"  # ERROR: 14:25 Unsuitable value type
  expect_dead_letter = 2  # ERROR: 15:24 Unsuitable value type
  expected           = {}  # ERROR: 16:3 Unsupported argument; Did you mean "expect"?
}
