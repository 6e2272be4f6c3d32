source "demo" "9lives" {  # ERROR: 1:15 Invalid block name
}

source "demo" "has space" {  # ERROR: 4:15 Invalid block name
}

source "demo" {  # ERROR: 7:15 Missing name for source
}

source "demo" "a" "b" {  # ERROR: 10:19 Extraneous label for source
}
