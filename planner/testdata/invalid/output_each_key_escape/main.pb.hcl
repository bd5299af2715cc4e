provider "m" {
  type = "mock"
}

template "t" {
  text = "${each_key}"
}

run "page" {
  for_each = { home = "Home", "../../etc/passwd" = "Oops" }
  template = template.t
  provider = provider.m
  vars     = { each_key = each.key }
  output   = "out/${each.key}" # ERROR: Output path outside the project
}
