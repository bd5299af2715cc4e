provider "m" {
  type = "mock"
}

input "tags" {
  value = ["a", "b"]
}

template "t" {
  text = "Tags: ${tags}" # ERROR: Invalid template interpolation value
}

run "r" {
  template = template.t
  provider = provider.m
  vars     = { tags = input.tags }
}

# The right way: join them.
run "ok" {
  template = template.t
  provider = provider.m
  vars     = { tags = join(", ", input.tags) }
}
