input "nothing" { # ERROR: Missing input source
}

input "two" {
  file  = "main.pb.hcl"
  value = "x" # ERROR: Conflicting input sources
}
