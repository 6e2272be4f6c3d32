# A realistic layout: one directory, one file per concern. forwarder loads
# every *.hcl file in the directory, sorted, as one configuration.
#
# The demo source stands in for SLS here so the example runs anywhere; in
# production it is a source "sls" block (see the README).

source "demo" "audit" {
  rate = 2000 # events per second; count = 0 runs until stopped
  seed = 42
}
