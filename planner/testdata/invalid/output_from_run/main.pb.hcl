provider "m" {
  type = "mock"
}

template "t" {
  text = "${p}"
}

run "name" {
  template = template.t
  provider = provider.m
  vars     = { p = "Name a file" }
}

run "write" {
  template = template.t
  provider = provider.m
  vars     = { p = "Write it" }
  output   = "out/${run.name.output}" # ERROR: Invalid output path
}
