template "both" {
  text = "hi"
  file = "t.tmpl" # ERROR: Conflicting template text
}

template "neither" { # ERROR: Missing template text
  system = "You are terse."
}

template "missing" {
  file = "nope.tmpl" # ERROR: Missing template file
}
