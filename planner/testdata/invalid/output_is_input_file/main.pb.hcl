provider "m" {
  type = "mock"
}

input "notes" {
  file = "notes.md"
}

template "t" {
  text = "Improve: ${input.notes}"
}

run "improve" {
  template = template.t
  provider = provider.m
  output   = "notes.md" # ERROR: Output overwrites an input
}
