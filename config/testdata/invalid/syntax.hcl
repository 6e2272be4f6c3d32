# A syntax error: the file's blocks are not decoded, so only the syntax
# errors are reported.

sink "file" "out" {
  path = "-"
  batch {  # ERROR: 6:9 Unclosed configuration block
    max_events = 10

rule "never_decoded" {
  filter = 42
}
