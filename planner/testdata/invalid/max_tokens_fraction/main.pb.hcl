provider "m" {
  type = "mock"
}

template "t" {
  text = "hi"
}

# Values known only once for_each is expanded: lang cannot see them, so
# whole numbers are checked when the request is compiled.
run "r" {
  for_each   = { a = 100.5 }
  template   = template.t
  provider   = provider.m
  max_tokens = each.value # ERROR: Invalid value
}

run "s" {
  for_each = { a = 2.5 }
  template = template.t
  provider = provider.m
  seed     = each.value # ERROR: Invalid value
}

run "ok" {
  for_each   = { a = 100 }
  template   = template.t
  provider   = provider.m
  max_tokens = each.value
  seed       = each.value
}
